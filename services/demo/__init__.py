"""Demo data for ``make run`` and the tests: tenants and users (``tenants``), a planning year
(``planning``), an open tender under way (``tendering``) and a signed contract (``contracts``)
in each demo city."""

from services.demo.tenants import DEMO_PASSWORD, DemoLogin, seed

__all__ = ["DEMO_PASSWORD", "DemoLogin", "seed"]
