"""Weekly leaderboards: a unit's children ranked by progress, from the roll-up of a week.

A week runs Monday–Sunday (local dates); its board is the roll-up as of its Sunday, or of
today for the week under way (models/weeks.py; models/rollup.py: achieved, target, the
week's gain and the last four weeks'), with:

- pace: the average weekly gain over the four weeks ending that day;
- needed per week: what is still missing, spread over the weeks left until 31 December
  (a part week counts as a week);
- projected: achieved + pace × the days left until 31 December / 7.

Beside each reported figure a board carries BHXH's latest official one (models/official.py)
where a unit has it; `rank_by="official"` ranks on it where present (reported otherwise).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from sqlmodel.ext.asyncio.session import AsyncSession

from models.official import Key, Official, latest_official
from models.rollup import Figures, Rollup, UnitInfo
from models.units import PROGRAMMES
from models.weeks import Week

__all__ = ["Board", "Figures", "Standing", "UnitInfo", "Week", "board", "boards",
           "officials_of", "rank"]


@dataclass(frozen=True)
class Standing:
    unit: UnitInfo
    rank: int | None  # None: no target, not ranked
    figures: Figures
    official: Official | None = None

    @property
    def official_ratio(self) -> float | None:
        if self.official is None or not self.figures.target:
            return None
        return self.official.participants / self.figures.target

    def ranked_on(self, by: str) -> int:
        """The figure compared with the target: BHXH's where asked for and present."""
        if by == "official" and self.official is not None:
            return self.official.participants
        return self.figures.achieved


@dataclass(frozen=True)
class Board:
    """A unit's children ranked per programme for one week, as of one of its days."""
    unit: UnitInfo
    week: Week
    as_of: date
    totals: dict[str, Figures]
    rankings: dict[str, list[Standing]]  # programme → ranked first, then units without target
    official: dict[str, Official] = field(default_factory=dict)  # the unit's own, by programme
    rank_by: str = "reported"


def board(result: Rollup, unit_id: int, official: dict[Key, Official] | None = None,
          rank_by: str = "reported") -> Board:
    """`unit_id`'s children ranked per programme, from a roll-up as of a week's Sunday (or
    of a day of that week); `official`: BHXH's figures by (unit, programme) to show beside
    the reported ones, and to rank on with rank_by="official"."""
    official = official or {}
    kids = [result.units[c] for c in result.children.get(unit_id, [])]
    per_child = {k.id: result.figures(k.id) for k in kids}
    rankings = {p: rank([Standing(k, None, per_child[k.id][p], official.get((k.id, p)))
                         for k in kids], rank_by) for p in PROGRAMMES}
    own = {p: official[(unit_id, p)] for p in PROGRAMMES if (unit_id, p) in official}
    return Board(result.units[unit_id], result.week, result.as_of, result.figures(unit_id),
                 rankings, own, rank_by)


def boards(result: Rollup) -> Iterator[Board]:
    """Every unit that has children, one at a time (a national run holds one at once)."""
    return (board(result, uid) for uid in result.units if result.children.get(uid))


async def officials_of(result: Rollup, unit_ids: Iterable[int], *,
                       session: AsyncSession) -> dict[Key, Official]:
    """BHXH's latest figures as of the roll-up's day for the boards of `unit_ids`: the
    units and their children."""
    ids = set(unit_ids)
    for unit_id in list(ids):
        ids.update(result.children.get(unit_id, []))
    return await latest_official(ids, result.as_of, session=session)


def rank(standings: list[Standing], by: str = "reported") -> list[Standing]:
    """By progress (on the reported figure, or with by="official" on BHXH's where present),
    highest first; equal progress shares a rank (1, 2, 2, 4) and is listed by name; units
    without a target come last, unranked."""
    with_target = [s for s in standings if s.figures.target]
    without = sorted((s for s in standings if not s.figures.target), key=lambda s: s.unit.name)
    # A float orders the ratios (equal ratios divide to equal floats); unequal ones that
    # round to one float are ordered exactly after (Fraction is slow over a national run).
    with_target.sort(key=lambda s: (-_ratio(s, by), s.unit.name))
    if any(_ratio(a, by) == _ratio(b, by) and not _same_ratio(a, b, by)
           for a, b in zip(with_target, with_target[1:])):  # equal floats sort together
        with_target.sort(key=lambda s: (-Fraction(s.ranked_on(by), s.figures.target),
                                        s.unit.name))
    ranked: list[Standing] = []
    for i, s in enumerate(with_target):
        tied = ranked and _same_ratio(ranked[-1], s, by)
        ranked.append(Standing(s.unit, ranked[-1].rank if tied else i + 1, s.figures,
                               s.official))
    return ranked + [Standing(s.unit, None, s.figures, s.official) for s in without]


def _ratio(s: Standing, by: str) -> float:
    return s.ranked_on(by) / s.figures.target


def _same_ratio(a: Standing, b: Standing, by: str) -> bool:
    return a.ranked_on(by) * b.figures.target == b.ranked_on(by) * a.figures.target
