"""Messages waiting to be sent: scheduled pushes and replies whose delivery failed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UtcField, utcnow

STATUSES = ("pending", "sent", "failed")


class Outbox(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=300)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    payload: dict = Field(sa_type=JSON)
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    next_attempt: datetime = UtcField(default_factory=utcnow, index=True)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = UtcField(default_factory=utcnow)
    sent_at: datetime | None = UtcField(default=None)
    # A sender claims rows before sending them, so two instances never send one row twice;
    # a claim left by a crashed sender lapses at `claimed_until` and the row is retried.
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = UtcField(default=None)


async def enqueue(key: str, platform: str, chat_id: str, payload: dict, *, now: datetime,
                  session: AsyncSession, status: str = "pending",
                  last_error: str | None = None) -> bool:
    """Add a row unless one with this key exists (a job run twice, or on two instances at
    once, adds nothing). True when a row was added."""
    insert = (pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert)
    result = await session.exec(insert(Outbox).values(
        key=key, platform=platform, chat_id=chat_id, payload=payload, status=status,
        attempts=0, next_attempt=now, created_at=now, last_error=last_error,
    ).on_conflict_do_nothing(index_elements=["key"]))
    return result.rowcount == 1


async def first_to_run(job: str, *, session: AsyncSession) -> bool:
    """Whether this transaction may run `job` (e.g. "leaderboard:2026-W47").

    On PostgreSQL a transaction-level advisory lock makes one instance run it while the
    others skip; SQLite serves one host, where the outbox keys already settle it."""
    if session.bind.dialect.name != "postgresql":
        return True
    return (await session.exec(select(func.pg_try_advisory_xact_lock(
        func.hashtextextended(job, 0))))).one()
