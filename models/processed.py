"""Idempotency keys of handled messages, and choices waiting for a numbered answer."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, UniqueConstraint, bindparam, insert
from sqlmodel import Field, SQLModel, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import OFF_LOOP, UtcField, utcnow


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
    token: str = Field(max_length=16)  # new for every offer; in the button ids `c:token:i`
    payloads: list = Field(sa_type=JSON)
    # The message that offered the choices: a confirmed report is filed under it, so an
    # edit of that message corrects the report.
    message_ref: str | None = Field(default=None, max_length=300)
    expires_at: datetime = UtcField()


def answer_of_key():
    """The answer stored with the bound parameter `key` (a select of one column)."""
    return select(ProcessedMessage.__table__.c.replies).where(
        ProcessedMessage.__table__.c.key == bindparam("key"))


# Every message reads and writes its key: Core statements built once, on the session's
# connection (no ORM object, no statement built per message).
_ANSWER = answer_of_key()
_RECORD = insert(ProcessedMessage.__table__)


async def processed(key: str, *, session: AsyncSession) -> list | None:
    """The answer stored with a handled message's key; None when it was not handled."""
    conn = await session.connection()
    return (await conn.execute(_ANSWER, {"key": key})).scalar()


async def record(key: str, replies: list, created_at: datetime, *,
                 session: AsyncSession) -> None:
    """The key with its answer, in the message's transaction (a second one fails: the
    message was handled meanwhile)."""
    conn = await session.connection()
    await conn.execute(_RECORD, {"key": key, "replies": replies, "created_at": created_at})


async def pending_choice(platform: str, chat_id: str, user_id: str,
                         *, session: AsyncSession) -> PendingChoice | None:
    return (await session.exec(select(PendingChoice).where(
        PendingChoice.platform == platform, PendingChoice.chat_id == chat_id,
        PendingChoice.user_id == user_id))).first()


async def choice_holder(platform: str, chat_id: str, token: str,
                        *, session: AsyncSession) -> str | None:
    """The user whose open choices in this chat are the offer `token` (whose buttons they
    are), or None when no one's are."""
    return (await session.exec(select(PendingChoice.user_id).where(
        PendingChoice.platform == platform, PendingChoice.chat_id == chat_id,
        PendingChoice.token == token))).first()


async def take_choice(choice: PendingChoice, *, session: AsyncSession) -> bool:
    """Claim the choice for this answer: of several answers in flight (two instances, a
    button pressed twice) exactly one deletes the row; the others find it gone, or offered
    anew with another token, and get False."""
    result = await session.exec(delete(PendingChoice).where(
        PendingChoice.id == choice.id, PendingChoice.token == choice.token))
    return result.rowcount == 1


async def purge(before: datetime, *, session: AsyncSession) -> int:
    """Delete answers kept for messages handled before `before`, and choices that expired
    by then. Returns how many answers were deleted."""
    result = await session.exec(delete(ProcessedMessage).where(
        ProcessedMessage.created_at < before), execution_options=OFF_LOOP)
    await session.exec(delete(PendingChoice).where(PendingChoice.expires_at < before),
                       execution_options=OFF_LOOP)
    return result.rowcount
