"""Shared column helpers."""
from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlmodel import Field

# The execution option of a statement that may run long (a national scan, an export, an
# import, housekeeping): the inline SQLite driver runs it in a worker thread, not on the
# event loop (bot/sqlite_inline.py). Other drivers ignore it.
OFF_LOOP = {"off_loop": True}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def UtcField(**kw):
    """A timezone-aware UTC timestamp column (SQLite stores it as text, PostgreSQL as timestamptz)."""
    return Field(sa_type=DateTime(timezone=True), **kw)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
