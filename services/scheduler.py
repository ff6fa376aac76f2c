"""Entry point of the chronograph process: ``python -m services.scheduler``."""

from services.kit import chronograph
from services.schedule import register


def main() -> None:
    register()
    chronograph.main()


if __name__ == "__main__":
    main()
