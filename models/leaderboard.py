"""Weekly leaderboards: a unit's children ranked by progress, from the roll-up of a week.

A week runs Monday–Sunday (local dates); its board is the roll-up as of its Sunday, or of
today for the week under way (models/weeks.py; models/rollup.py: achieved, target, the
week's gain and the last four weeks'), with:

- pace: the average weekly gain over the four weeks ending that day;
- needed per week: what is still missing, spread over the weeks left until 31 December
  (a part week counts as a week);
- projected: achieved + pace × the days left until 31 December / 7.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from models.rollup import Figures, Rollup, UnitInfo
from models.units import PROGRAMMES
from models.weeks import Week

__all__ = ["Board", "Figures", "Standing", "UnitInfo", "Week", "board", "boards", "rank"]


@dataclass(frozen=True)
class Standing:
    unit: UnitInfo
    rank: int | None  # None: no target, not ranked
    figures: Figures


@dataclass(frozen=True)
class Board:
    """A unit's children ranked per programme for one week, as of one of its days."""
    unit: UnitInfo
    week: Week
    as_of: date
    totals: dict[str, Figures]
    rankings: dict[str, list[Standing]]  # programme → ranked first, then units without target


def board(result: Rollup, unit_id: int) -> Board:
    """`unit_id`'s children ranked per programme, from a roll-up as of a week's Sunday (or
    of a day of that week)."""
    kids = [result.units[c] for c in result.children.get(unit_id, [])]
    per_child = {k.id: result.figures(k.id) for k in kids}
    rankings = {p: rank([Standing(k, None, per_child[k.id][p]) for k in kids])
                for p in PROGRAMMES}
    return Board(result.units[unit_id], result.week, result.as_of, result.figures(unit_id),
                 rankings)


def boards(result: Rollup) -> Iterator[Board]:
    """Every unit that has children, one at a time (a national run holds one at once)."""
    return (board(result, uid) for uid in result.units if result.children.get(uid))


def rank(standings: list[Standing]) -> list[Standing]:
    """By progress, highest first; equal progress shares a rank (1, 2, 2, 4) and is listed by
    name; units without a target come last, unranked."""
    with_target = [s for s in standings if s.figures.target]
    without = sorted((s for s in standings if not s.figures.target), key=lambda s: s.unit.name)
    # A float orders the ratios (equal ratios divide to equal floats); unequal ones that
    # round to one float are ordered exactly after (Fraction is slow over a national run).
    with_target.sort(key=lambda s: (-_ratio(s), s.unit.name))
    if any(_ratio(a) == _ratio(b) and not _same_ratio(a.figures, b.figures)
           for a, b in zip(with_target, with_target[1:])):  # equal floats sort together
        with_target.sort(key=lambda s: (-Fraction(s.figures.achieved, s.figures.target),
                                        s.unit.name))
    ranked: list[Standing] = []
    for i, s in enumerate(with_target):
        tied = ranked and _same_ratio(ranked[-1].figures, s.figures)
        ranked.append(Standing(s.unit, ranked[-1].rank if tied else i + 1, s.figures))
    return ranked + [Standing(s.unit, None, s.figures) for s in without]


def _ratio(s: Standing) -> float:
    return s.figures.achieved / s.figures.target


def _same_ratio(a: Figures, b: Figures) -> bool:
    return a.achieved * b.target == b.achieved * a.target
