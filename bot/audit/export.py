"""Exports the audit log as CSV for a compliance officer:
`.venv/bin/python -m bot.audit.export > audit.csv`."""

import sys

from bot.audit.service import export_csv
from bot.db import get_sessionmaker


def main() -> None:
    with get_sessionmaker()() as session:
        sys.stdout.write(export_csv(session))


if __name__ == "__main__":
    main()
