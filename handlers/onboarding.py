"""Joining with an invite code (/start code, /thamgia code), and linking a group (/lienket)."""
from __future__ import annotations

import hashlib
import logging
import math
import secrets
from datetime import datetime, timedelta

from handlers.access import Refusal
from handlers.context import Context
from handlers.types import Incoming, Reply
from models.attempts import failed_joins_since, record_failed_join
from models.base import as_utc
from models.members import (ChatLink, Invite, Member, chat_link, hash_code, invite_by_code,
                            unlink_chat, use_invite)
from models.units import Unit, is_within, unit_by_code
from sqlmodel.ext.asyncio.session import AsyncSession

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone
ATTEMPT_WINDOW = timedelta(hours=1)  # wrong codes count for an hour ([limits] per hour)

log = logging.getLogger(__name__)


async def start(msg: Incoming, ctx: Context) -> list[Reply]:
    """/start [code]: join with a code, or a welcome with what the bot can do."""
    if ctx.args:
        if msg.chat_kind == "group":  # /thamgia is private-only (handlers/registry.py)
            raise Refusal("onboarding/join_in_private.j2")
        return await join(msg, ctx)
    active = ctx.member is not None and ctx.member.active
    return ctx.reply("onboarding/welcome.j2", member=ctx.member if active else None,
                     unit=ctx.home)


async def join(msg: Incoming, ctx: Context) -> list[Reply]:
    """/thamgia code: become staff or coordinator of the unit the code was made for."""
    code = ctx.args.split()[0] if ctx.args.split() else ""
    if not code:
        return ctx.reply("onboarding/missing_code.j2")
    since = ctx.now - ATTEMPT_WINDOW
    failed, oldest = await failed_joins_since(msg.platform, msg.user_id, since,
                                              session=ctx.session)
    if failed >= ctx.rules.join_attempts_per_hour:
        # Guessing codes: refuse every code, a right one too, until the hour has room.
        log.warning("invite code refused: %s user %s is blocked after %d wrong codes",
                    msg.platform, who(msg), failed)
        wait = as_utc(oldest) + ATTEMPT_WINDOW - ctx.now
        return ctx.reply("onboarding/too_many_attempts.j2", limit=failed,
                         minutes=max(1, math.ceil(wait.total_seconds() / 60)))
    invite = await invite_by_code(code, session=ctx.session) if len(code) <= 64 else None
    if invite is None:
        await record_failed_join(msg.platform, msg.user_id, ctx.now, forget_before=since,
                                 session=ctx.session)
        log.warning("wrong invite code from %s user %s (%d in the last hour)",
                    msg.platform, who(msg), failed + 1)
        return ctx.reply("onboarding/bad_code.j2")
    if as_utc(invite.expires_at) <= ctx.now:
        return ctx.reply("onboarding/expired.j2")
    unit = await ctx.session.get(Unit, invite.unit_id)
    member = ctx.member
    if member and member.active and (member.unit_id, member.role) == (unit.id, invite.role):
        return ctx.reply("onboarding/already.j2", unit=unit, role=member.role)
    if not await use_invite(invite, session=ctx.session):
        return ctx.reply("onboarding/used_up.j2")
    moved_from = None
    if member is None:
        member = Member(platform=msg.platform, user_id=msg.user_id,
                        display_name=msg.display_name[:200], role=invite.role, unit_id=unit.id,
                        joined_at=ctx.now)
    else:
        if member.active and member.unit_id != unit.id:
            moved_from = ctx.home
        member.role, member.unit_id, member.active = invite.role, unit.id, True
        member.display_name = msg.display_name[:200]
    ctx.session.add(member)
    return ctx.reply("onboarding/joined.j2", unit=unit, role=invite.role, moved_from=moved_from)


async def link_group(msg: Incoming, ctx: Context) -> list[Reply]:
    """/lienket code: a coordinator links this group to a unit under them."""
    code = ctx.args.split()[0] if ctx.args.split() else ""
    if not code:
        return ctx.reply("onboarding/link_missing_code.j2")
    unit = await unit_by_code(code.upper()[:64], session=ctx.session)
    if unit is None:
        return ctx.reply("onboarding/link_unknown_unit.j2", code=code[:30])
    if ctx.member.role != "admin":
        if not await is_within(unit.id, ctx.member.unit_id, session=ctx.session):
            return ctx.reply("onboarding/link_outside.j2", unit=unit)
        # A group already linked to a unit outside theirs is not theirs to take over.
        if ctx.chat_unit is not None and not await is_within(
                ctx.chat_unit.id, ctx.member.unit_id, session=ctx.session):
            return ctx.reply("onboarding/link_taken.j2", unit=ctx.chat_unit)
    link = await chat_link(msg.platform, msg.chat_id, session=ctx.session)
    if link is None:
        link = ChatLink(platform=msg.platform, chat_id=msg.chat_id, unit_id=unit.id)
    link.unit_id, link.active, link.linked_by, link.linked_at = (
        unit.id, True, ctx.member.id, ctx.now)
    ctx.session.add(link)
    return ctx.reply("onboarding/linked.j2", unit=unit)


async def bot_added(msg: Incoming, ctx: Context) -> list[Reply]:
    """The bot was added to a group: say how a coordinator links it."""
    return ctx.reply("onboarding/bot_added.j2")


async def bot_removed(msg: Incoming, ctx: Context) -> list[Reply]:
    """The bot was removed from a group: its link stops (no leaderboard queued for it)."""
    await unlink_chat(msg.platform, msg.chat_id, session=ctx.session)
    return []


def who(msg: Incoming) -> str:
    """A short hash of the user id for logs: repeated attempts can be told apart, the
    person is not named."""
    return hashlib.sha256(f"{msg.platform}:{msg.user_id}".encode()).hexdigest()[:10]


async def create_invite(unit: Unit, role: str, *, now: datetime, days: int, uses: int,
                        session: AsyncSession) -> str:
    """Make a new code; only its hash is stored, so it is shown once, to its creator."""
    code = "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(2))
    session.add(Invite(code_hash=hash_code(code), unit_id=unit.id, role=role,
                       expires_at=now + timedelta(days=days), uses_left=uses))
    return code
