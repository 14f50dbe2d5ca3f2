"""Who may do what where: shared checks that return a refusal or None."""
from __future__ import annotations

from handlers.context import Context
from handlers.types import Incoming, Reply
from models.units import Unit, is_within, unit_by_code


async def refuse_reporter(msg: Incoming, ctx: Context) -> list[Reply] | None:
    """Reports come from active hamlet staff, in private or in a group linked above their hamlet."""
    member = ctx.member
    if member is None or not member.active:
        return ctx.reply("common/not_member.j2")
    if member.role != "staff":
        return ctx.reply("reporting/not_staff.j2", role=member.role)
    if msg.chat_kind == "group":
        if ctx.chat_unit is None:
            return ctx.reply("common/group_not_linked.j2")
        if not await is_within(member.unit_id, ctx.chat_unit.id, session=ctx.session):
            return ctx.reply("reporting/wrong_group.j2", unit=ctx.chat_unit)
    return None


def refuse_non_member(ctx: Context) -> list[Reply] | None:
    if ctx.member is None or not ctx.member.active:
        return ctx.reply("common/not_member.j2")
    return None


async def refuse_outside(ctx: Context, unit: Unit, *, below: bool = False) -> list[Reply] | None:
    """Coordinators act inside their own subtree (strictly below their unit with `below`),
    admins anywhere, anyone else not at all."""
    refusal = refuse_non_member(ctx)
    if refusal:
        return refusal
    if ctx.member.role == "admin":
        return None
    if ctx.member.role != "coordinator":
        return ctx.reply("admin/not_coordinator.j2")
    inside = await is_within(unit.id, ctx.member.unit_id, session=ctx.session)
    if not inside or (below and unit.id == ctx.member.unit_id):
        return ctx.reply("admin/outside.j2", unit=unit, home=ctx.home)
    return None


async def unit_named(ctx: Context, code: str) -> Unit | list[Reply]:
    """The unit with this code, or the answer that there is none."""
    unit = await unit_by_code(code.upper()[:64], session=ctx.session)
    if unit is None:
        return ctx.reply("admin/unknown_unit.j2", code=code[:30], example=example_code(ctx))
    return unit


def example_code(ctx: Context) -> str:
    return ctx.home.code if ctx.home else "LM-KV1"


def refuse_non_coordinator(msg: Incoming, ctx: Context, *, private: bool = False
                           ) -> list[Reply] | None:
    """Coordinators' and admins' commands; `private` ones (invite codes, names, files) are
    answered in a private chat only."""
    refusal = refuse_non_member(ctx)
    if refusal:
        return refusal
    if ctx.member.role not in ("coordinator", "admin"):
        return ctx.reply("admin/not_coordinator.j2")
    if private and msg.chat_kind != "private":
        return ctx.reply("admin/only_private.j2")
    return None
