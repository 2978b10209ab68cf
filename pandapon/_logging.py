"""The ``pandapon`` logger; ``PANDAPON_LOG=info|debug`` adds a stderr handler at that level."""

from __future__ import annotations

import logging
import os

__all__ = ["setup_logging"]

_done = False

# A library never prints through logging's last-resort handler: without configuration, records go nowhere.
logging.getLogger("pandapon").addHandler(logging.NullHandler())


def setup_logging() -> None:
    """Honour ``PANDAPON_LOG`` once per process; without it the logger is left to the application."""
    global _done
    if _done:
        return
    _done = True
    level = os.environ.get("PANDAPON_LOG", "").strip().lower()
    if level not in ("debug", "info"):
        return
    logger = logging.getLogger("pandapon")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s %(levelname)s %(name)s] %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if level == "debug" else logging.INFO)
