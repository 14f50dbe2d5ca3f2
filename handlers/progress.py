"""/tiendo: progress of my unit (or the group's unit) against its targets."""
from __future__ import annotations

from datetime import date

from handlers.access import COORDINATORS
from handlers.context import Context
from handlers.types import Incoming, Reply
from models.completeness import completeness
from models.official import latest_official
from models.rollup import rollup
from models.weeks import this_week


async def progress(msg: Incoming, ctx: Context) -> list[Reply]:
    """/tiendo: achieved, target, % and how many are still needed, BHXH's official figure
    beside it where imported, health insurance coverage where the population is known;
    coordinators see children and, for a unit above a hamlet, how many hamlets have
    reported this week."""
    unit = ctx.unit
    year, week = ctx.local_now.year, this_week(ctx.local_now.date())
    figures = await rollup(unit, date(year, 12, 31), session=ctx.session)
    kids = figures.children.get(unit.id, [])
    if msg.chat_kind != "group" and ctx.member.role == "staff":
        kids = []
    done = {}
    if unit.kind != "hamlet" and ctx.member and ctx.member.role in COORDINATORS:
        done = await completeness(figures, week, deadline=ctx.rules.deadline, tz=ctx.tz,
                                  session=ctx.session)
    official = await latest_official([unit.id, *kids], ctx.local_now.date(),
                                     session=ctx.session)
    return ctx.reply("progress/unit.j2", unit=unit, year=year, rows=figures.progress(unit.id),
                     children=[(figures.units[c], figures.progress(c)) for c in kids],
                     today=ctx.local_now.date(), done=done, week=week, official=official)
