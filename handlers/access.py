"""Who may do what where: shared checks that return a refusal or None."""
from __future__ import annotations

from handlers.context import Context
from handlers.types import Incoming, Reply
from models.units import is_within


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
