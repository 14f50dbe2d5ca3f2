"""People, invite codes and linked group chats."""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import UniqueConstraint, bindparam, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UtcField, utcnow
from models.processed import answer_of_key, processed
from models.units import Unit

ROLES = ("staff", "coordinator", "admin")


class Member(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("platform", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=64)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    active: bool = True
    joined_at: datetime = UtcField(default_factory=utcnow)


class Invite(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(unique=True, max_length=64)
    unit_id: int = Field(foreign_key="unit.id")
    role: str = Field(max_length=16)
    expires_at: datetime = UtcField()
    uses_left: int
    created_at: datetime = UtcField(default_factory=utcnow)


class ChatLink(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    active: bool = True
    linked_by: int | None = Field(default=None, foreign_key="member.id")
    linked_at: datetime = UtcField(default_factory=utcnow)


def hash_code(code: str) -> str:
    """Invite codes are stored hashed; codes are normalised so case and spaces don't matter."""
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


async def member_of(platform: str, user_id: str, *, session: AsyncSession) -> Member | None:
    return (await session.exec(select(Member).where(
        Member.platform == platform, Member.user_id == user_id))).first()


# The member, their unit and the answer stored with the message's key (None: not handled
# yet), in one round-trip: every message reads them, so the statement is built once.
_SENDER = select(Member, Unit, answer_of_key().scalar_subquery()).join(
    Unit, Unit.id == Member.unit_id).where(
    Member.platform == bindparam("platform"), Member.user_id == bindparam("user_id"))


async def sender_and_answer(key: str, platform: str, user_id: str, *, session: AsyncSession
                            ) -> tuple[Member | None, Unit | None, list | None]:
    """The sender (member and unit, None for a stranger) and the answer stored with the
    message's key; a stranger's answer takes a second statement."""
    row = (await session.exec(_SENDER, params={"key": key, "platform": platform,
                                                "user_id": user_id})).first()
    if row is None:
        return None, None, await processed(key, session=session)
    return row[0], row[1], row[2]


async def chat_link(platform: str, chat_id: str, *, session: AsyncSession) -> ChatLink | None:
    return (await session.exec(select(ChatLink).where(
        ChatLink.platform == platform, ChatLink.chat_id == chat_id))).first()


async def invite_by_code(code: str, *, session: AsyncSession) -> Invite | None:
    return (await session.exec(select(Invite).where(Invite.code_hash == hash_code(code)))).first()


async def use_invite(invite: Invite, *, session: AsyncSession) -> bool:
    """Take one use of the code, atomically: of several joins in flight on the last use,
    exactly one gets True (the row update waits for the other's commit, then re-checks)."""
    taken = await session.exec(update(Invite).where(Invite.id == invite.id, Invite.uses_left > 0)
                               .values(uses_left=Invite.uses_left - 1).returning(Invite.id))
    return taken.first() is not None


async def move_chat_link(platform: str, old_chat_id: str, new_chat_id: str,
                         *, session: AsyncSession) -> bool:
    """A group got a new id (Telegram group → supergroup): its link follows it.
    False when there was nothing to move or the new id is already linked."""
    link = await chat_link(platform, old_chat_id, session=session)
    if link is None or await chat_link(platform, new_chat_id, session=session) is not None:
        return False
    link.chat_id = new_chat_id
    session.add(link)
    return True


async def unlink_chat(platform: str, chat_id: str, *, session: AsyncSession) -> None:
    """The chat is gone (the bot was blocked or removed): its link stops."""
    await session.exec(update(ChatLink).where(
        ChatLink.platform == platform, ChatLink.chat_id == chat_id).values(active=False))


async def active_admins(platforms: list[str], *, session: AsyncSession) -> list[Member]:
    return list(await session.exec(select(Member).where(
        Member.role == "admin", Member.active, col(Member.platform).in_(platforms))))


async def members_in(unit_ids: list[int], *, session: AsyncSession) -> list[tuple[Member, Unit]]:
    """Active members of these units with their unit, by unit name then display name."""
    rows = await session.exec(
        select(Member, Unit).join(Unit, Unit.id == Member.unit_id)
        .where(Member.unit_id.in_(unit_ids), Member.active)
        .order_by(Unit.name, Member.display_name, Member.id))
    return [(member, unit) for member, unit in rows]
