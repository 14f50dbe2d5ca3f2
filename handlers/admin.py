"""Coordinators' tools: corrections (/suachua), the ledger of a unit (/lichsu), invites
(/moi), members (/thanhvien) and leaving or letting go (/roi).

A coordinator acts only on units inside their own subtree, an admin anywhere: the
dispatcher resolves the unit a command names before it runs (handlers.access.admit). Changes to the ledger and to people are confirmed with
choices first, as large reports are: the "yes" payload is the same command with the
confirm word, dispatched again and validated again.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlmodel import select

from handlers.access import (Refusal, example_code, require_coordinator_in_private,
                             require_inside)
from handlers.context import Context
from handlers.counts import CONFIRM_WORD
from handlers.onboarding import create_invite
from handlers.privacy import personal_numbers
from handlers.text import fold
from handlers.types import Incoming, Reply
from models.base import as_utc
from models.ledger import Report, latest_of
from models.members import Member, members_in
from models.progress import unit_progress
from models.units import Unit, subtree_ids

PROGRAMME_WORDS = {"bhxh": "bhxh_tn", "bhxhtn": "bhxh_tn", "bhxh_tn": "bhxh_tn", "tn": "bhxh_tn",
                   "bhyt": "bhyt"}
ROLE_WORDS = {"staff": "staff", "canbo": "staff", "coordinator": "coordinator",
              "bcd": "coordinator", "bandieuhanh": "coordinator", "banchidao": "coordinator"}
REASON_MIN, REASON_MAX = 3, 200
HISTORY_LENGTH = 10
INVITE_DAYS, INVITE_USES = 14, 1
_AMOUNT = re.compile(r"^[+\-]?[0-9]{1,9}$")
_LONG_DIGITS = re.compile(r"[0-9]{7,}")


def _shown(token: str) -> str:
    """A bad token echoed back (and so stored with the answer): never a whole phone number."""
    return _LONG_DIGITS.sub(lambda m: m[0][:3] + "…", token[:30])


def _take_confirm(words: list[str]) -> tuple[list[str], bool]:
    if words and fold(words[-1]) == CONFIRM_WORD:
        return words[:-1], True
    return words, False


async def correct(msg: Incoming, ctx: Context) -> list[Reply]:
    """/suachua MÃ bhxh|bhyt ±N lý do: correct a unit's figure, with the reason, after a yes.
    In a private chat only: a correction and its reason are not for a group."""
    parts, unit = ctx.args.split(maxsplit=3), ctx.unit
    if len(parts) < 3 or unit is None:
        return ctx.reply("admin/correct_usage.j2", example=example_code(ctx))
    programme = PROGRAMME_WORDS.get(fold(parts[1]))
    if programme is None:
        return ctx.reply("admin/bad_programme.j2", bad=_shown(parts[1]))
    amount = _amount(parts[2], ctx.rules.max_per_report)
    if amount is None:
        return ctx.reply("admin/bad_amount.j2", bad=_shown(parts[2]), cap=ctx.rules.max_per_report)
    head, _, reason = (parts[3] if len(parts) > 3 else "").partition(" ")
    confirmed = fold(head) == CONFIRM_WORD
    reason = " ".join((reason if confirmed else f"{head} {reason}").split())
    if len(reason) < REASON_MIN or len(reason) > REASON_MAX:
        return ctx.reply("admin/bad_reason.j2", too_long=len(reason) > REASON_MAX,
                         min_length=REASON_MIN, max_length=REASON_MAX)
    if _LONG_DIGITS.search(reason) or personal_numbers(reason):
        return ctx.reply("admin/reason_digits.j2")
    achieved = next(r.achieved for r in await unit_progress(unit, ctx.local_now.year,
                                                            session=ctx.session)
                    if r.programme == programme)
    data = dict(unit=unit, programme=programme, amount=amount, achieved=achieved, reason=reason)
    if achieved + amount < 0:
        return ctx.reply("admin/below_zero.j2", **data)
    if not confirmed:
        return ctx.confirm(ctx.render("admin/correct_confirm.j2", **data),
                           f"/suachua {unit.code} {parts[1]} {amount:+d} {CONFIRM_WORD} {reason}")
    ctx.session.add(Report(
        unit_id=unit.id, programme=programme, count=amount, local_date=ctx.local_now.date(),
        created_at=ctx.now, member_id=ctx.member.id, kind="correction", note=reason,
        source_key=f"{msg.key}:correction"))
    return ctx.reply("admin/corrected.j2", **data)


def _amount(token: str, cap: int) -> int | None:
    if not _AMOUNT.match(token):
        return None
    value = int(token)
    return value if value != 0 and abs(value) <= cap else None


async def history(msg: Incoming, ctx: Context) -> list[Reply]:
    """/lichsu [MÃ]: the latest entries of a unit's ledger, with who and when. In a private
    chat only: it names people, and a group may belong to another unit."""
    unit = ctx.unit
    ids = await subtree_ids(unit, session=ctx.session)
    names = {u.id: u.name for u in await _units(ids, ctx)}
    kinds: dict[str, str] = {}
    entries = []
    for entry, who in await latest_of(ids, limit=HISTORY_LENGTH, tz=ctx.tz, session=ctx.session):
        if entry.kind not in kinds:
            kinds[entry.kind] = ctx.render("export/entry_kind.j2", entry_kind=entry.kind)
        entries.append(dict(
            at=_when(entry, ctx), timed=entry.kind != "baseline", kind=entry.kind,
            kind_label=kinds[entry.kind],
            programme=entry.programme, count=entry.count, who=who, note=entry.note,
            unit_name=names[entry.unit_id] if entry.unit_id != unit.id else ""))
    return ctx.reply("admin/history.j2", unit=unit, entries=entries)


def _when(entry: Report, ctx: Context) -> datetime | date:
    """When an entry was recorded (local time); for a baseline, the date it was given."""
    if entry.kind == "baseline":
        return entry.local_date
    return as_utc(entry.created_at).astimezone(ctx.tz)


async def _units(ids: list[int] | None, ctx: Context) -> list[Unit]:
    """These units (None: every unit)."""
    stmt = select(Unit) if ids is None else select(Unit).where(Unit.id.in_(ids))
    return list(await ctx.session.exec(stmt))


async def invite(msg: Incoming, ctx: Context) -> list[Reply]:
    """/moi staff MÃ-ẤP (or /moi coordinator MÃ): an invite code for a unit under me."""
    words, unit = ctx.args.split(), ctx.unit
    role = ROLE_WORDS.get(fold(words[0])) if words else None
    if role is None or unit is None:
        return ctx.reply("admin/invite_usage.j2", example=example_code(ctx))
    await require_inside(ctx, unit, below=role == "coordinator")
    if role == "staff" and unit.kind != "hamlet":
        return ctx.reply("admin/invite_not_hamlet.j2", unit=unit)
    code = await create_invite(unit, role, now=ctx.now, days=INVITE_DAYS, uses=INVITE_USES,
                               session=ctx.session)
    expires = ctx.local_now.date() + timedelta(days=INVITE_DAYS)
    return ctx.reply("admin/invite_created.j2", unit=unit, role=role, code=code,
                     uses=INVITE_USES, expires=expires)


async def members(msg: Incoming, ctx: Context) -> list[Reply]:
    """/thanhvien [MÃ]: the members of a unit and the units under it, with their numbers."""
    unit = ctx.unit
    rows = await members_in(await subtree_ids(unit, session=ctx.session), session=ctx.session)
    # In the order of their numbers (the ones /roi takes)
    listed = [dict(id=m.id, name=m.display_name, role=m.role, unit_name=u.name)
              for m, u in sorted(rows, key=lambda row: row[0].id)]
    return ctx.reply("admin/members.j2", unit=unit, members=listed)


async def leave(msg: Incoming, ctx: Context) -> list[Reply]:
    """/roi: leave the bot; /roi SỐ (or a name from /thanhvien): a coordinator lets a member
    under them go. Their reports stay in the ledger either way."""
    words, confirmed = _take_confirm(ctx.args.split())
    if not words:
        target, unit = ctx.member, ctx.home
    else:
        require_coordinator_in_private(msg, ctx)
        target, unit = await _member_named(" ".join(words), ctx)
    own = target.id == ctx.member.id
    data = dict(own=own, person=target.display_name, role=target.role, unit=unit)
    if not confirmed:
        payload = f"/roi {' '.join([str(target.id)] if words else [])} {CONFIRM_WORD}"
        return ctx.confirm(ctx.render("admin/leave_confirm.j2", **data),
                           " ".join(payload.split()), yes="admin/leave_yes.j2", own=own)
    target.active = False
    ctx.session.add(target)
    return ctx.reply("admin/left.j2", **data)


async def _member_named(text: str, ctx: Context) -> tuple[Member, Unit]:
    """The active member with this number or name among those the sender may let go."""
    scope = await subtree_ids(ctx.home, session=ctx.session)
    if ctx.member.role == "admin":
        scope = [u.id for u in await _units(None, ctx)]
    rows = await members_in(scope, session=ctx.session)
    if text.isascii() and text.isdigit():
        found = [(m, u) for m, u in rows if str(m.id) == text]
    else:
        wanted = fold(text)
        found = [(m, u) for m, u in rows if fold(m.display_name) == wanted]
    if len(found) != 1:
        raise Refusal("admin/member_not_found.j2", bad=_shown(text), many=len(found) > 1)
    member, unit = found[0]
    peer = member.role == "admin" or (member.role == "coordinator"
                                      and member.unit_id == ctx.member.unit_id)
    if ctx.member.role != "admin" and peer and member.id != ctx.member.id:
        raise Refusal("admin/member_outside.j2", person=member.display_name)
    return member, unit


