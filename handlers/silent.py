"""/chuabaocao [MÃ]: the hamlets (and their staff) that have not reported this week."""
from __future__ import annotations

from handlers.context import Context
from handlers.types import Incoming, Reply
from models.completeness import completeness, not_reported
from models.rollup import subtree_units
from models.weeks import Week

LISTED = 40  # hamlets named in one answer; the rest are counted


async def not_reported_list(msg: Incoming, ctx: Context) -> list[Reply]:
    unit, week = ctx.unit, Week.containing(ctx.local_now.date())
    units = await subtree_units([unit], session=ctx.session)
    total = (await completeness(units, week, deadline=ctx.rules.deadline, tz=ctx.tz,
                               session=ctx.session))[unit.id]
    silent = await not_reported(units, week, session=ctx.session)
    return ctx.reply("completeness/not_reported.j2", unit=unit, week=week, total=total,
                     silent=silent[:LISTED], more=max(len(silent) - LISTED, 0),
                     deadline=ctx.rules.deadline.of(week, ctx.tz))
