"""/bxh: the weekly leaderboard of a unit, and the view shared with the scheduled push.

Rankings exist to direct help: the strongest units are named as examples to learn from,
the weakest are named for support, never shamed. A hamlet has nothing to rank: its group
gets the hamlet's own summary, with its rank among its commune's hamlets from the
commune's board.
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
from models.leaderboard import Board, Figures, Standing, Week, board, officials_of
from models.official import Key, Official
from models.rollup import Rollup, rollup
from models.units import PROGRAMMES, Unit
from models.weeks import this_week

FIRST_YEAR = 2000
HIGHLIGHTS = 3  # at most this many strongest / weakest units named (a third of them)


@dataclass(frozen=True)
class BoardSettings:
    """How a board is laid out, and what draws its chart (bot/chart.py; None: no picture)."""
    top_n: int = 5
    bottom_n: int = 5
    full_max: int = 12  # up to this many children are all listed
    chart: Callable[[dict], bytes | None] | None = None  # it gives None: nothing to draw
    rank_by: str = "reported"  # or "official": BHXH's figure where a unit has one


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


@dataclass(frozen=True)
class HamletLine:
    """A hamlet's figures for one programme, and its rank among its commune's hamlets."""
    figures: Figures
    rank: int | None  # None: no target (or no commune), not ranked
    count: int  # the commune's hamlets ranked
    official: Official | None = None  # BHXH's latest figure


def view(board: Board, layout: BoardSettings, today: date, focus_id: int | None = None,
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
    return {"board": board, "sections": sections, "focus_id": focus_id,
            "year_end": date(board.week.year, 12, 31), "done": done,
            **_when(board.week, board.as_of, today)}


def _when(week: Week, as_of: date, today: date) -> dict:
    """The week, the day its figures are read as of, and whether it is 'this' week."""
    return {"week": week, "as_of": as_of, "when": week.relation(today)}


def board_reply(board: Board, layout: BoardSettings, render: Callable[..., str], today: date,
                focus_id: int | None = None, done: Completeness | None = None) -> Reply:
    """The board as one reply: the text, with the chart as a photo when one can be drawn;
    `done`: how many hamlets reported that week."""
    data = view(board, layout, today, focus_id, done)
    text = render("leaderboard/board.j2", **data)
    if layout.chart is None:
        return Reply(text)
    labels = render("leaderboard/chart_labels.j2", **data).splitlines()
    return Reply(text, image=layout.chart({**data, "labels": labels}))


def hamlet_view(tree: Rollup, hamlet_id: int, today: date, done: dict[int, Completeness],
                official: dict[Key, Official] | None = None, rank_by: str = "reported") -> dict:
    """A hamlet's week: its figures per programme (and BHXH's) and its rank on its commune's
    board (the roll-up must hold the commune), and whether it reported."""
    unit, official = tree.units[hamlet_id], official or {}
    parent = tree.units.get(unit.parent_id)
    commune = board(tree, parent.id, official, rank_by) if parent is not None else None
    lines = []
    for programme, figures in tree.figures(hamlet_id).items():
        ranked = commune.rankings[programme] if commune else []
        mine = next((s for s in ranked if s.unit.id == hamlet_id), None)
        lines.append(HamletLine(figures, mine.rank if mine else None,
                                sum(1 for s in ranked if s.rank is not None),
                                official.get((hamlet_id, programme))))
    return {"unit": unit, "parent": parent, "lines": lines, "done": done.get(hamlet_id),
            **_when(tree.week, tree.as_of, today)}


def unit_reply(tree: Rollup, unit_id: int, layout: BoardSettings, render: Callable[..., str],
               today: date, done: dict[int, Completeness], focus_id: int | None = None,
               official: dict[Key, Official] | None = None) -> Reply:
    """What a group linked to the unit gets for the roll-up's week (/bxh and the push): the
    board of its children, or a hamlet's own summary; `official`: BHXH's latest figures
    (models.leaderboard.officials_of), shown beside the reported ones."""
    official = official or {}
    if tree.units[unit_id].kind == "hamlet":
        return Reply(render("leaderboard/hamlet.j2", **hamlet_view(
            tree, unit_id, today, done, official, layout.rank_by)))
    return board_reply(board(tree, unit_id, official, layout.rank_by), layout, render, today,
                       focus_id, done[unit_id])


def week_named(text: str, today: date) -> Week:
    """'tuần này', 'tuần trước', 'tuần 47' (of this year) or '2026-W47'; ValueError else."""
    words = fold(text).split()
    this = this_week(today)
    if words == ["tuan", "nay"]:
        return this
    if words == ["tuan", "truoc"]:
        return this.previous()
    if len(words) == 2 and words[0] == "tuan" and re.fullmatch(r"[0-9]{1,2}", words[1]):
        return Week(date.fromisocalendar(today.isocalendar().year, int(words[1]), 1))
    return Week.parse(text)


async def leaderboard(msg: Incoming, ctx: Context) -> list[Reply]:
    """/bxh [tuần trước | 2026-W47]: the leaderboard of this group's unit (coordinators: of
    their unit) for this week so far, or for the week given; a hamlet's own summary."""
    unit = ctx.unit
    if msg.chat_kind == "private" and ctx.member.role == "staff":
        raise Refusal("leaderboard/not_for_staff.j2")
    today = ctx.local_now.date()
    week = this_week(today)
    if ctx.args:
        try:
            week = week_named(ctx.args, today)
        except ValueError:
            week = None
        # Only weeks that can have figures: far-off years overflow the date arithmetic.
        if week is None or not FIRST_YEAR <= week.start.year <= today.year:
            return ctx.reply("leaderboard/bad_week.j2", typed=ctx.args[:20],
                             example=this_week(today).previous().label)
        if week.start > today:
            return ctx.reply("leaderboard/future_week.j2", week=week)
    root = unit
    if unit.kind == "hamlet" and unit.parent_id is not None:  # ranked among its commune's
        root = await ctx.session.get(Unit, unit.parent_id)
    figures = await rollup(root, week.as_of(today), session=ctx.session)
    done = await completeness(figures, week, deadline=ctx.rules.deadline, tz=ctx.tz,
                              session=ctx.session)
    official = await officials_of(figures, [root.id], session=ctx.session)
    home = ctx.home
    focus = home.id if home is not None and home.parent_id == unit.id else None
    return [unit_reply(figures, unit.id, ctx.boards, ctx.render, today, done, focus, official)]
