"""The chronograph process: ``python -m services.entry.chronograph``. Run two for failover;
one leads (see ``services.kit.chronograph``)."""

from services.entry.registry import schedule
from services.kit import chronograph


def main() -> None:
    schedule()
    chronograph.main()


if __name__ == "__main__":
    main()
