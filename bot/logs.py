"""Logging set-up: plain text by default; nothing secret and no resident data is logged."""
from __future__ import annotations

import logging

from bot.config import LoggingSettings

# httpx logs every request URL at INFO, and Bot API URLs carry the token.
QUIET = ("httpx", "httpcore", "aiosqlite", "alembic", "apscheduler.executors.default")


def configure(settings: LoggingSettings) -> None:
    logging.basicConfig(level=settings.level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
