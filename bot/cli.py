"""The ``classguard`` command line: every command module registers on one app."""

from __future__ import annotations

import logging
import os
import sys

from bot.cli_base import app, err
from bot.commands import (  # noqa: F401  (registers commands)
    audit,
    cases,
    classify,
    digest,
    models,
    purge,
    run,
    setup,
    whatsapp,
)


def main() -> None:
    """Console-script entry point: no traceback ever reaches the user."""
    logging.basicConfig(
        level=os.environ.get("CLASSGUARD_LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # the last line of defence: log the detail, show one line
        logging.getLogger("classguard").debug("unhandled error", exc_info=True)
        err.print(f"error: {type(exc).__name__}: {exc}".splitlines()[0], markup=False)
        sys.exit(1)
