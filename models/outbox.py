"""Messages waiting to be sent: scheduled pushes and replies whose delivery failed.

Every query on the outbox lives here; bot/delivery.py decides what a failure does to a row,
bot/sender.py drains the rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import JSON, func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UtcField, as_utc, utcnow

STATUSES = ("pending", "sent", "failed")
CHUNK = 500  # ids or keys per IN (...): stay under SQLite's bound-parameter limit


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


@dataclass(frozen=True)
class Due:
    """A row to try now (its payload is read when it is sent)."""
    id: int
    key: str
    platform: str
    chat_id: str
    attempts: int


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


async def due_by_key(key: str, *, session: AsyncSession) -> Due | None:
    row = (await session.exec(select(Outbox.id, Outbox.key, Outbox.platform, Outbox.chat_id,
                                     Outbox.attempts).where(Outbox.key == key))).first()
    return Due(*row) if row else None


async def existing_keys(keys: list[str], *, session: AsyncSession) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        found.update(await session.exec(select(Outbox.key).where(
            col(Outbox.key).in_(keys[i:i + CHUNK]))))
    return found


async def claim(platform: str, *, token: str, now: datetime, lease: timedelta, limit: int,
                session: AsyncSession) -> dict[str, list[Due]]:
    """Claim the due rows of chats no other sender is working on (the caller commits);
    chat id → its rows in order.

    PostgreSQL skips rows another sender is claiming right now (FOR UPDATE SKIP LOCKED);
    the compare-and-set UPDATE settles SQLite, which has one writer."""
    query = (select(Outbox.id, Outbox.key, Outbox.chat_id, Outbox.attempts,
                    Outbox.next_attempt, Outbox.claimed_until)
             .where(Outbox.status == "pending", Outbox.platform == platform)
             .order_by(Outbox.id).limit(limit))
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates: dict[int, Due] = {}
    blocked: set[str] = set()
    for id_, key, chat_id, attempts, next_attempt, claimed in await session.exec(query):
        if chat_id in blocked:
            continue
        # a chat's later rows wait for its earlier ones, and for another sender
        if as_utc(next_attempt) > now or (claimed and as_utc(claimed) > now):
            blocked.add(chat_id)
            continue
        candidates[id_] = Due(id_, key, platform, chat_id, attempts)
    mine: set[int] = set()
    ids = list(candidates)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        await session.exec(update(Outbox).where(
            col(Outbox.id).in_(chunk), Outbox.status == "pending",
            or_(col(Outbox.claimed_until).is_(None), Outbox.claimed_until <= now),
        ).values(claimed_by=token, claimed_until=now + lease))
        mine.update(await session.exec(select(Outbox.id).where(
            col(Outbox.id).in_(chunk), Outbox.claimed_by == token)))
    chats: dict[str, list[Due]] = {}
    for id_, row in candidates.items():
        if id_ in mine:
            chats.setdefault(row.chat_id, []).append(row)
    return chats


async def payload_if_pending(row_id: int, *, session: AsyncSession) -> dict | None:
    row = await session.get(Outbox, row_id)
    return row.payload if row is not None and row.status == "pending" else None


async def set_row(row_id: int, *, session: AsyncSession, **values) -> None:
    await session.exec(update(Outbox).where(Outbox.id == row_id).values(**values))


async def release(ids: list[int], *, session: AsyncSession) -> None:
    """Free claimed rows for the next pass."""
    for i in range(0, len(ids), CHUNK):
        await session.exec(update(Outbox).where(col(Outbox.id).in_(ids[i:i + CHUNK]))
                           .values(claimed_by=None, claimed_until=None))


async def fail_chat(platform: str, chat_id: str, error: str, *, session: AsyncSession) -> None:
    """Everything still pending for a chat fails (the recipient is gone)."""
    await session.exec(update(Outbox).where(
        Outbox.platform == platform, Outbox.chat_id == chat_id,
        Outbox.status == "pending").values(status="failed", last_error=error))


async def failed_count(platform: str, *, session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(Outbox).where(
        Outbox.platform == platform, Outbox.status == "failed"))).one()


async def status_counts(*, session: AsyncSession) -> dict[tuple[str, str], int]:
    """(platform, status) → number of rows."""
    return {(p, s): n for p, s, n in await session.exec(
        select(Outbox.platform, Outbox.status, func.count()).group_by(Outbox.platform,
                                                                        Outbox.status))}


async def outbox_status(*, session: AsyncSession, failed_limit: int = 20) -> dict:
    """Counts per platform and status, the oldest pending row, and the latest failures."""
    oldest = (await session.exec(select(func.min(Outbox.created_at)).where(
        Outbox.status == "pending"))).one()
    failed = list(await session.exec(select(Outbox).where(Outbox.status == "failed")
                                     .order_by(col(Outbox.id).desc()).limit(failed_limit)))
    return {"counts": await status_counts(session=session),
            "oldest_pending": as_utc(oldest) if oldest else None, "failed": failed}


async def first_to_run(job: str, *, session: AsyncSession) -> bool:
    """Whether this transaction may run `job` (e.g. "leaderboard:2026-W47").

    On PostgreSQL a transaction-level advisory lock makes one instance run it while the
    others skip; SQLite serves one host, where the outbox keys already settle it."""
    if session.bind.dialect.name != "postgresql":
        return True
    return (await session.exec(select(func.pg_try_advisory_xact_lock(
        func.hashtextextended(job, 0))))).one()
