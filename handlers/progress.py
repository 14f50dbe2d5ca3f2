"""/tiendo: progress of my unit (or the group's unit) against its targets."""
from __future__ import annotations

from handlers.access import refuse_non_member
from handlers.context import Context
from handlers.types import Incoming, Reply
from models.progress import unit_progress
from models.units import children


async def progress(msg: Incoming, ctx: Context) -> list[Reply]:
    """/tiendo: achieved, target, % and how many are still needed; coordinators see children."""
    unit = ctx.chat_unit if msg.chat_kind == "group" else None
    if unit is None:
        refusal = refuse_non_member(ctx)
        if refusal:
            return refusal
        unit = ctx.home
    year = ctx.local_now.year
    rows = await unit_progress(unit, year, session=ctx.session)
    below = []
    if unit.kind != "hamlet" and (msg.chat_kind == "group" or ctx.member.role != "staff"):
        for child in await children(unit.id, session=ctx.session):
            below.append((child, await unit_progress(child, year, session=ctx.session)))
    return ctx.reply("progress/unit.j2", unit=unit, year=year, rows=rows, children=below,
                     today=ctx.local_now.date())
