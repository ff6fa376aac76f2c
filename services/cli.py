"""``python -m services.cli``: the operations commands of ``services.entry.cli``."""

from __future__ import annotations

import sys

from services.entry.cli import main

if __name__ == "__main__":
    sys.exit(main())
