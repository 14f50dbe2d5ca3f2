"""/baocaothang [MÃ] [tháng]: a unit's monthly report, and the view shared with the push on
the 1st (bot/scheduler.py).

Without a month it is the month just ended; the current month is shown so far (its
weeks that have ended). A month without a year is the latest such month: in January,
`tháng 12` is last December.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Callable

from handlers.access import UnitArg
from handlers.context import Context
from handlers.text import fold
from handlers.types import Document, Incoming, Reply
from models.monthly import Month, MonthlyReport, month_tree

FIRST_YEAR = 2000
# Folded words that name a month, never a unit code: tháng 10, t10, 10/2026, 2026-10, này.
MONTH_WORD = r"thang|nam|nay|truoc|t?[0-9]{1,2}|[0-9]{1,2}[/.-][0-9]{4}|[0-9]{4}[/.-][0-9]{1,2}"
UNIT = UnitArg("code", skip=MONTH_WORD)
_NUMBERS = re.compile(r"t?([0-9]{1,2})(?:[ /.-](?:nam )?([0-9]{4}))?|([0-9]{4})[/.-]([0-9]{1,2})")


def month_named(text: str, today: date) -> Month:
    """'tháng 10', '10', 't10', '10/2026', 'tháng 10 năm 2026', '2026-10', 'tháng này',
    'tháng trước'; ValueError else (a year before FIRST_YEAR too)."""
    this = Month.containing(today)
    words = fold(text).split()
    if words[:1] == ["thang"]:
        words = words[1:]
    spoken = " ".join(words)
    if spoken in ("nay", "truoc"):
        return this if spoken == "nay" else this.previous()
    found = _NUMBERS.fullmatch(spoken)
    if not found:
        raise ValueError(f"not a month: {text!r}")
    number, year = int(found[1] or found[4]), found[2] or found[3]
    if not 1 <= number <= 12:
        raise ValueError(f"no month {number}")
    if year is None:
        return Month(this.year if number <= this.month else this.year - 1, number)
    if int(year) < FIRST_YEAR:
        raise ValueError(f"year before {FIRST_YEAR}: {year}")
    return Month(int(year), number)


async def report(msg: Incoming, ctx: Context) -> list[Reply]:
    """The month asked (default: the month just ended) of my unit or one under me."""
    today = ctx.local_now.date()
    if len(ctx.args) > 60:
        return ctx.reply("monthly/bad_month.j2", typed=ctx.args[:20] + "…", today=today)
    typed = " ".join(w for w in ctx.args.split() if re.fullmatch(MONTH_WORD, fold(w))
                     or (w.isascii() and w.isdigit()))
    try:
        month = month_named(typed, today) if typed else Month.containing(today).previous()
    except ValueError:
        return ctx.reply("monthly/bad_month.j2", typed=typed[:20], today=today)
    if month > Month.containing(today):
        return ctx.reply("monthly/future_month.j2", month=month, today=today)
    tree = await month_tree(ctx.unit, month, today, deadline=ctx.rules.deadline, tz=ctx.tz,
                            review_threshold=ctx.rules.review_threshold, session=ctx.session)
    return [monthly_reply(tree.report(ctx.unit.id), ctx.render)]


def monthly_reply(report: MonthlyReport, render: Callable[..., str],
                  document: Document | None = None) -> Reply:
    """The report as one reply (split by the channel at its limit), with the month's XLSX
    for a city's coordinators."""
    return Reply(render("monthly/report.j2", r=report, month=report.month,
                        year_end=date(report.month.year, 12, 31), with_file=document is not None),
                 document=document)
