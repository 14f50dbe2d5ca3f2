"""Logging set-up: plain text by default; nothing secret and no resident data is logged."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from bot.config import LoggingSettings
from handlers.privacy import mask

# Libraries kept at WARNING whatever the level: httpx logs every request URL at INFO, and
# Bot API URLs carry the token; at DEBUG aiosqlite logs every query's parameters and PTB
# ("telegram") every update and API result, message texts included.
QUIET = ("httpx", "httpcore", "aiosqlite", "alembic", "apscheduler.executors.default",
         "telegram")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for a log collector."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
                 "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(settings: LoggingSettings) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if settings.format == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=settings.level, handlers=[handler], force=True)
    quiet_libraries()
    protect_records()


def quiet_libraries() -> None:
    """The QUIET libraries log warnings and errors only (or less, if the root logs less)."""
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))


# Secrets (bot tokens) that must never reach a log line, whatever logger or handler wrote
# it: Bot API URLs carry the token (PLATFORMS.md C, Telegram/Zalo "token in the URL path").
_SECRETS: set[str] = set()
REDACTED = "<redacted>"
_protected = False


def redact(text: str) -> str:
    """Secrets replaced, and phone- or ID-like numbers masked (handlers/privacy.py)."""
    for secret in _SECRETS:
        text = text.replace(secret, REDACTED)
    return mask(text)


def redact_secret(secret: str) -> None:
    """From now on every log record (message, arguments, traceback) has `secret` replaced.

    Done in the record factory rather than in a handler's filter so that it also holds for
    handlers added later (pytest's caplog, a JSON handler) and for every library logger.
    """
    if secret:
        protect_records()
        _SECRETS.add(secret)


def protect_records() -> None:
    """Install the record factory that redacts every record (once per process)."""
    global _protected
    if _protected:
        return
    _protected = True
    make_record = logging.getLogRecordFactory()

    def redacting_record(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: leave it to the handler to report
            return record
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        return record

    logging.setLogRecordFactory(redacting_record)
