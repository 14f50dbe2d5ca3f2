"""Shared column helpers."""
from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def UtcField(**kw):
    """A timezone-aware UTC timestamp column (SQLite stores it as text, PostgreSQL as timestamptz)."""
    return Field(sa_type=DateTime(timezone=True), **kw)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
