"""Access to the web dashboard and the JSON feed: one-time links, sessions, API tokens.

Every secret handed out (link, session, token) is random and stored only as its SHA-256,
so a copy of the database opens nothing.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import UtcField, utcnow
from models.members import Member

LINK_MINUTES = 15
SESSION_HOURS = 8
TOKEN_PREFIX = "hbt_"


class WebLink(SQLModel, table=True):
    """A one-time link from /web: opens one session, once, within LINK_MINUTES."""
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    member_id: int = Field(foreign_key="member.id", index=True)
    created_at: datetime = UtcField(default_factory=utcnow)
    expires_at: datetime = UtcField()
    used_at: datetime | None = UtcField(default=None, nullable=True)


class WebSession(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    member_id: int = Field(foreign_key="member.id", index=True)
    created_at: datetime = UtcField(default_factory=utcnow)
    expires_at: datetime = UtcField()
    ended_at: datetime | None = UtcField(default=None, nullable=True)


class ApiToken(SQLModel, table=True):
    """An admin's token for the JSON feed (`hamletbot token create`)."""
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    member_id: int = Field(foreign_key="member.id", index=True)
    label: str = Field(max_length=100)
    created_at: datetime = UtcField(default_factory=utcnow)
    revoked_at: datetime | None = UtcField(default=None, nullable=True)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_link(member: Member, *, now: datetime, session: AsyncSession) -> str:
    token = secrets.token_urlsafe(24)
    session.add(WebLink(token_hash=_hash(token), member_id=member.id, created_at=now,
                        expires_at=now + timedelta(minutes=LINK_MINUTES)))
    await session.flush()
    return token


async def consume_link(token: str, *, now: datetime, session: AsyncSession) -> int | None:
    """The link's member id, marking it used; None when unknown, spent or expired.
    One conditional UPDATE: of two requests racing with one link only one changes the row
    (PostgreSQL re-checks `used_at IS NULL` after the first one's lock is released)."""
    result = await session.exec(
        update(WebLink).where(WebLink.token_hash == _hash(token), WebLink.used_at.is_(None),
                              WebLink.expires_at > now)
        .values(used_at=now).returning(WebLink.member_id))
    return result.scalar_one_or_none()


async def open_session(member_id: int, *, now: datetime, session: AsyncSession) -> str:
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=_hash(token), member_id=member_id, created_at=now,
                           expires_at=now + timedelta(hours=SESSION_HOURS)))
    await session.flush()
    return token


async def session_member(token: str, *, now: datetime, session: AsyncSession) -> Member | None:
    """The active member behind a live session."""
    return (await session.exec(
        select(Member).join(WebSession, WebSession.member_id == Member.id)
        .where(WebSession.token_hash == _hash(token), WebSession.ended_at.is_(None),
               WebSession.expires_at > now, Member.active))).first()


async def end_session(token: str, *, now: datetime, session: AsyncSession) -> None:
    await session.exec(update(WebSession).where(
        WebSession.token_hash == _hash(token), WebSession.ended_at.is_(None)).values(ended_at=now))


async def create_token(member: Member, label: str, *, now: datetime,
                       session: AsyncSession) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=_hash(token), member_id=member.id, label=label,
                         created_at=now))
    await session.flush()
    return token


async def token_member(token: str, *, session: AsyncSession) -> Member | None:
    """The active admin behind a token that is not revoked."""
    return (await session.exec(
        select(Member).join(ApiToken, ApiToken.member_id == Member.id)
        .where(ApiToken.token_hash == _hash(token), ApiToken.revoked_at.is_(None),
               Member.active, Member.role == "admin"))).first()


async def list_tokens(*, session: AsyncSession) -> list[tuple[ApiToken, Member]]:
    rows = await session.exec(select(ApiToken, Member)
                              .join(Member, Member.id == ApiToken.member_id)
                              .order_by(ApiToken.id))
    return [(token, member) for token, member in rows]


async def revoke_token(token_id: int, *, now: datetime, session: AsyncSession) -> bool:
    result = await session.exec(update(ApiToken).where(
        ApiToken.id == token_id, ApiToken.revoked_at.is_(None)).values(revoked_at=now))
    return result.rowcount == 1
