"""Wrong invite codes per user, kept in the database so that the limit on guessing holds
across restarts and instances."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, delete, func
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UtcField


class JoinAttempt(SQLModel, table=True):
    """One wrong invite code: who and when, never the code typed."""
    __table_args__ = (Index("ix_joinattempt_who_at", "platform", "user_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=64)
    at: datetime = UtcField()


async def failed_joins_since(platform: str, user_id: str, since: datetime,
                             *, session: AsyncSession) -> tuple[int, datetime | None]:
    """How many wrong codes this user typed after `since`, and when the oldest of them was."""
    count, oldest = (await session.exec(select(func.count(), func.min(JoinAttempt.at)).where(
        JoinAttempt.platform == platform, JoinAttempt.user_id == user_id,
        JoinAttempt.at > since))).one()
    return count, oldest


async def record_failed_join(platform: str, user_id: str, at: datetime, *, forget_before: datetime,
                             session: AsyncSession) -> None:
    """Note a wrong code; this user's attempts older than `forget_before` no longer count and
    are dropped, so the table stays small."""
    await session.exec(delete(JoinAttempt).where(
        JoinAttempt.platform == platform, JoinAttempt.user_id == user_id,
        JoinAttempt.at <= forget_before))
    session.add(JoinAttempt(platform=platform, user_id=user_id, at=at))
