"""The processes, one module each, and what each deployment runs:

- ``api``: the HTTP API (``granian --interface asgi --factory services.entry.api:create_app``);
- ``worker``: the job workers (``dramatiq services.entry.worker``);
- ``relay``: the outbox relay (``python -m services.entry.relay``);
- ``chronograph``: timed work (``python -m services.entry.chronograph``);
- ``cli``: operations commands (``python -m services.entry.cli``);
- ``local``: everything at once on local defaults (``make run``).

``registry`` says which tables, jobs and timed tasks exist; ``local_servers`` and
``supervisor`` serve the local entry point (and the tests) only.
"""
