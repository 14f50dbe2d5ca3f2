"""Logging set-up: plain text by default; nothing secret and no resident data is logged."""
from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator

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


def quiet_libraries() -> None:
    """The QUIET libraries log warnings and errors only (or less, if the root logs less)."""
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))


REDACTED = "<redacted>"


class LogGuard:
    """Keeps secrets (bot tokens: Bot API URLs carry them, PLATFORMS.md C) and residents'
    phone- or ID-like numbers (handlers/privacy.py) out of every log record, whatever logger
    or handler wrote it: message, arguments and traceback.

    Done in the record factory rather than in a handler's filter so that it also holds for
    handlers added later (pytest's caplog, a JSON handler) and for every library logger. The
    App owns one, installed while it runs (bot/app.py); channels add their tokens to it.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets = {s for s in secrets if s}
        self._active = False
        self._factory: Callable[..., logging.LogRecord] | None = None
        self._previous: Callable[..., logging.LogRecord] | None = None

    def add(self, secret: str | None) -> None:
        if secret:
            self.secrets.add(secret)

    def redact(self, text: str) -> str:
        """Secrets replaced, and phone- or ID-like numbers masked."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return mask(text)

    def install(self) -> None:
        self._previous = make_record = logging.getLogRecordFactory()
        self._active = True

        def redacting_record(*args, **kwargs) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            return self._clean(record) if self._active else record

        self._factory = redacting_record
        logging.setLogRecordFactory(redacting_record)

    def remove(self) -> None:
        """Stop redacting; the factory before comes back unless another was installed since
        (then this one stays in the chain, passing records through)."""
        self._active = False
        if logging.getLogRecordFactory() is self._factory:
            logging.setLogRecordFactory(self._previous)

    @contextmanager
    def installed(self) -> Iterator[LogGuard]:
        self.install()
        try:
            yield self
        finally:
            self.remove()

    def _clean(self, record: logging.LogRecord) -> logging.LogRecord:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: leave it to the handler to report
            return record
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        clean = self.redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        return record
