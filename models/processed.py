"""Idempotency keys of handled messages, and choices waiting for a numbered answer."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UtcField, utcnow


class ProcessedMessage(SQLModel, table=True):
    """Written in the same transaction as the message's effects; holds the answer given."""
    key: str = Field(primary_key=True, max_length=300)
    replies: list = Field(sa_type=JSON)
    created_at: datetime = UtcField(default_factory=utcnow)


class PendingChoice(SQLModel, table=True):
    """The last list of choices shown to a user in a chat; answering "2" picks the second."""
    __table_args__ = (UniqueConstraint("platform", "chat_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    user_id: str = Field(max_length=64)
    payloads: list = Field(sa_type=JSON)
    expires_at: datetime = UtcField()


async def processed(key: str, *, session: AsyncSession) -> ProcessedMessage | None:
    return await session.get(ProcessedMessage, key)


async def pending_choice(platform: str, chat_id: str, user_id: str,
                         *, session: AsyncSession) -> PendingChoice | None:
    return (await session.exec(select(PendingChoice).where(
        PendingChoice.platform == platform, PendingChoice.chat_id == chat_id,
        PendingChoice.user_id == user_id))).first()


async def purge(before: datetime, *, session: AsyncSession) -> int:
    """Delete answers kept for messages handled before `before`, and choices that expired
    by then. Returns how many answers were deleted."""
    result = await session.exec(delete(ProcessedMessage).where(
        ProcessedMessage.created_at < before))
    await session.exec(delete(PendingChoice).where(PendingChoice.expires_at < before))
    return result.rowcount
