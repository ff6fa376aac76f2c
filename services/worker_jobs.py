"""Every context's job modules, imported for their registrations."""

from services.identity import tasks as identity_tasks

__all__ = ["identity_tasks"]
