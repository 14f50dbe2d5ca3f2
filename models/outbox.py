"""Messages waiting to be sent: scheduled pushes and replies whose delivery failed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
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


async def enqueue(key: str, platform: str, chat_id: str, payload: dict, *, now: datetime,
                  session: AsyncSession, status: str = "pending",
                  last_error: str | None = None) -> bool:
    """Add a row unless one with this key exists (a job run twice adds nothing).
    True when a row was added."""
    if (await session.exec(select(Outbox.id).where(Outbox.key == key))).first() is not None:
        return False
    session.add(Outbox(key=key, platform=platform, chat_id=chat_id, payload=payload,
                       status=status, next_attempt=now, created_at=now, last_error=last_error))
    return True
