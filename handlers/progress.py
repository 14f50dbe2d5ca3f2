"""/tiendo: progress of my unit (or the group's unit) against its targets."""
from __future__ import annotations

from datetime import date

from handlers.context import Context
from handlers.types import Incoming, Reply
from models.rollup import rollup


async def progress(msg: Incoming, ctx: Context) -> list[Reply]:
    """/tiendo: achieved, target, % and how many are still needed; coordinators see children."""
    unit = ctx.unit
    year = ctx.local_now.year
    figures = await rollup(unit, date(year, 12, 31), session=ctx.session)
    kids = figures.children.get(unit.id, [])
    if msg.chat_kind != "group" and ctx.member.role == "staff":
        kids = []
    return ctx.reply("progress/unit.j2", unit=unit, year=year, rows=figures.progress(unit.id),
                     children=[(figures.units[c], figures.progress(c)) for c in kids],
                     today=ctx.local_now.date())
