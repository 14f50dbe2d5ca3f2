"""/bxh: the weekly leaderboard of a unit, and the view shared with the scheduled push.

Rankings exist to direct help: the strongest units are named as examples to learn from,
the weakest are named for support, never shamed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Callable

from handlers.access import Refusal
from handlers.context import Context
from handlers.text import fold
from handlers.types import Incoming, Reply
from models.completeness import Completeness, completeness
from models.leaderboard import Board, Standing, Week, board
from models.rollup import rollup
from models.units import PROGRAMMES

FIRST_YEAR = 2000
HIGHLIGHTS = 3  # at most this many strongest / weakest units named (a third of them)


@dataclass(frozen=True)
class BoardSettings:
    """How a board is laid out, and what draws its chart (bot/chart.py; None: no picture)."""
    top_n: int = 5
    bottom_n: int = 5
    full_max: int = 12  # up to this many children are all listed
    chart: Callable[[dict], bytes] | None = None


@dataclass(frozen=True)
class Section:
    programme: str
    total: object  # models.leaderboard.Figures of the board's unit
    rows: list[Standing | None]  # None marks the gap between top and bottom
    strongest: list[Standing]
    weakest: list[Standing]
    focus: Standing | None  # the viewer's own unit when it is not in `rows`
    count: int  # children ranked (with a target)
    truncated: bool  # only the top and bottom are listed


def view(board: Board, layout: BoardSettings, focus_id: int | None = None,
         done: Completeness | None = None) -> dict:
    """What the template and the chart show: per programme, the rows to list (all of them,
    or the top and bottom N with the viewer's own unit), and the units to highlight."""
    sections = []
    for programme in PROGRAMMES:
        ranked = board.rankings[programme]
        with_target = [s for s in ranked if s.rank is not None]
        rows: list[Standing | None] = list(ranked)
        focus, truncated = None, len(ranked) > layout.full_max
        if truncated:
            top = with_target[:layout.top_n]
            bottom = with_target[max(layout.top_n, len(with_target) - layout.bottom_n):]
            rows = top + ([None] if len(top) + len(bottom) < len(ranked) else []) + bottom
            focus = next((s for s in ranked if s.unit.id == focus_id and s not in rows), None)
        named = max(1, min(HIGHLIGHTS, len(with_target) // 3))
        strongest = [s for s in with_target[:named] if s.figures.achieved > 0]
        weakest = [s for s in with_target[-named:][::-1]
                   if s not in strongest and s.figures.remaining]
        sections.append(Section(programme, board.totals[programme], rows, strongest,
                                weakest, focus, len(with_target), truncated))
    return {"board": board, "week": board.week, "sections": sections, "focus_id": focus_id,
            "year_end": date(board.week.year, 12, 31), "done": done}


def board_reply(board: Board, layout: BoardSettings, render: Callable[..., str],
                focus_id: int | None = None, done: Completeness | None = None) -> Reply:
    """The board as one reply: the text, with the chart as a photo when one can be drawn;
    `done`: how many hamlets reported that week."""
    data = view(board, layout, focus_id, done)
    text = render("leaderboard/board.j2", **data)
    if layout.chart is None or not any(s.rows for s in data["sections"]):
        return Reply(text)
    labels = render("leaderboard/chart_labels.j2", **data).splitlines()
    return Reply(text, image=layout.chart({**data, "labels": labels}))


def week_named(text: str, today: date) -> Week:
    """'tuần này', 'tuần trước', 'tuần 47' (of this year) or '2026-W47'; ValueError else."""
    words = fold(text).split()
    this = Week.containing(today)
    if words == ["tuan", "nay"]:
        return this
    if words == ["tuan", "truoc"]:
        return this.previous()
    if len(words) == 2 and words[0] == "tuan" and re.fullmatch(r"[0-9]{1,2}", words[1]):
        return Week(date.fromisocalendar(today.isocalendar().year, int(words[1]), 1))
    return Week.parse(text)


async def leaderboard(msg: Incoming, ctx: Context) -> list[Reply]:
    """/bxh [2026-W47]: the leaderboard of this group's unit (coordinators: of their unit)
    for the week just ended, or for the week given."""
    unit = ctx.unit
    if msg.chat_kind == "private" and ctx.member.role == "staff":
        raise Refusal("leaderboard/not_for_staff.j2")
    if unit.kind == "hamlet":
        return ctx.reply("leaderboard/hamlet.j2", unit=unit)
    week = default = Week.containing(ctx.local_now.date()).previous()
    if ctx.args:
        try:
            week = week_named(ctx.args, ctx.local_now.date())
        except ValueError:
            week = None
        # Only weeks that can have figures: far-off years overflow the date arithmetic.
        if week is None or not FIRST_YEAR <= week.start.year <= ctx.local_now.year + 1:
            return ctx.reply("leaderboard/bad_week.j2", typed=ctx.args[:20], example=default.label)
    figures = await rollup(unit, week.end, session=ctx.session)
    done = await completeness(figures, week, deadline=ctx.rules.deadline, tz=ctx.tz,
                              session=ctx.session)
    home = ctx.home
    focus = home.id if home is not None and home.parent_id == unit.id else None
    return [board_reply(board(figures, unit.id), ctx.boards, ctx.render, focus, done[unit.id])]
