"""The monthly report's figures: for a month (or the month so far), per unit and programme,
the month's gain, the cumulative figure against the target, the rank among the unit's
siblings and its change since the previous month's end, the weeks its hamlets reported,
and where the year-to-date pace leads by 31 December.

Everything comes from the one roll-up (models/rollup.py) as of the month's last day (or
the day asked) with its gain window moved to the month and its pace window to 1 January,
and from completeness (models/completeness.py) over the weeks whose Sunday falls in the
month (a week belongs to one month, as it belongs to the year of its Sunday) and that
have ended by that day.

The rank at the previous month's end is the rank of the cumulative figure less the
month's gain: a baseline import (not a gain) counts as there before the month. January
starts a new year's race, so it has no rank change.

Beside the reported figures: BHXH's official figure of the unit (its newest snapshot by
that day, models/official.py) and, where the reported gain between its last two
snapshots strays from the official change, the review flag.
"""
from __future__ import annotations

import calendar
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models.completeness import Completeness, Deadline, completeness_over
from models.leaderboard import Standing, rank
from models.official import (Key, Official, ReviewFlag, last_two, latest_official,
                             review_flags, review_window)
from models.rollup import Figures, Progress, Rollup, UnitInfo, rollup, subtree_units
from models.units import PROGRAMMES, Unit
from models.weeks import Week

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def containing(cls, day: date) -> "Month":
        return cls(day.year, day.month)

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    def previous(self) -> "Month":
        return Month.containing(self.start - timedelta(days=1))

    def weeks(self, until: date) -> list[Week]:
        """The weeks whose Sunday is in this month, ended by `until`."""
        sunday = self.start + timedelta(days=6 - self.start.weekday())
        found = []
        while sunday <= min(self.end, until):
            found.append(Week(sunday - timedelta(days=6)))
            sunday += timedelta(days=7)
        return found


@dataclass(frozen=True)
class MonthFigures:
    """One unit, one programme, for a month (up to its `as_of`)."""
    figures: Figures  # gain: the month's; last4: the gains since 1 January
    as_of: date
    rank: int | None = None  # among its siblings; None: no target, or not ranked
    previous_rank: int | None = None  # at the previous month's end; None in January
    official: Official | None = None  # BHXH's newest snapshot of the unit by as_of
    review: ReviewFlag | None = None  # reported gain and official change too far apart

    @property
    def official_gap(self) -> int | None:
        """Reported (cumulative) minus official."""
        return None if self.official is None else self.official.difference(
            self.figures.achieved)

    @property
    def gain(self) -> int:
        return self.figures.gain

    @property
    def days_gone(self) -> int:
        return self.as_of.timetuple().tm_yday

    @property
    def days_left(self) -> int:
        return (date(self.as_of.year, 12, 31) - self.as_of).days

    @property
    def per_month(self) -> float:
        """The year-to-date pace: gains since 1 January per average month."""
        return self.figures.last4 * DAYS_PER_MONTH / self.days_gone

    @property
    def projected(self) -> int:
        """The cumulative figure on 31 December if the year-to-date pace holds."""
        return self.figures.achieved + math.floor(
            self.figures.last4 * self.days_left / self.days_gone)

    @property
    def projected_ratio(self) -> float | None:
        target = self.figures.target
        return self.projected / target if target else None

    @property
    def rank_change(self) -> int | None:
        """Places gained (positive) or lost since the previous month's end."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


@dataclass(frozen=True)
class Row:
    unit: UnitInfo
    figures: MonthFigures
    done: Completeness  # hamlet-weeks reported / expected over the month


@dataclass(frozen=True)
class MonthlyReport:
    """A unit's month: its own figures per programme, its children ranked per programme."""
    unit: UnitInfo
    month: Month
    as_of: date
    weeks: list[Week]
    done: Completeness
    totals: dict[str, MonthFigures]
    rankings: dict[str, list[Row]]  # ranked first, then the units without a target

    @property
    def complete(self) -> bool:
        """The whole month (not the month so far)."""
        return self.as_of >= self.month.end


@dataclass
class MonthTree:
    """The month's figures of the units read (a few subtrees, or the whole tree)."""
    month: Month
    as_of: date
    tree: Rollup
    done: dict[int, Completeness]
    weeks: list[Week]
    official: dict[Key, Official]
    review: dict[Key, ReviewFlag]

    def report(self, unit_id: int) -> MonthlyReport:
        kids = [self.tree.units[c] for c in self.tree.children.get(unit_id, [])]
        figures = {k.id: self.tree.figures(k.id) for k in kids}
        rankings = {p: self._ranked([Standing(k, None, figures[k.id][p]) for k in kids])
                    for p in PROGRAMMES}
        totals = {p: self._figures(unit_id, f) for p, f in self.tree.figures(unit_id).items()}
        return MonthlyReport(self.tree.units[unit_id], self.month, self.as_of, self.weeks,
                             self.done[unit_id], totals, rankings)

    def _ranked(self, standings: list[Standing]) -> list[Row]:
        now = rank(standings)
        before = {}
        if self.month.month > 1:
            # rank() reads the achieved figure and the target only
            earlier = [Standing(s.unit, None, Progress(s.figures.programme, s.figures.achieved
                                                       - s.figures.gain, s.figures.target))
                       for s in now]
            before = {s.unit.id: s.rank for s in rank(earlier)}
        return [Row(s.unit, self._figures(s.unit.id, s.figures, s.rank, before.get(s.unit.id)),
                    self.done[s.unit.id]) for s in now]

    def _figures(self, unit_id: int, figures: Figures, *ranks: int | None) -> MonthFigures:
        key = (unit_id, figures.programme)
        return MonthFigures(figures, self.as_of, *ranks, official=self.official.get(key),
                            review=self.review.get(key))


async def month_tree(roots: Unit | Iterable[Unit] | None, month: Month, as_of: date, *,
                     deadline: Deadline, tz: tzinfo, review_threshold: float,
                     session: AsyncSession) -> MonthTree:
    """The month's figures (up to `as_of` when the month is not over) of the subtrees of
    `roots` (None: every unit); `review_threshold`: official.review_threshold."""
    as_of = min(as_of, month.end)
    if roots is not None:
        roots = [roots] if isinstance(roots, Unit) else list(roots)
    units = None if roots is None else await subtree_units(roots, session=session)
    official = await latest_official(units, as_of, session=session)
    pairs = await last_two(official, session=session)
    # one pass over the ledger: the month, the year and the review flags' window
    tree = await rollup(roots, as_of, session=session, gain_from=month.start,
                        pace_from=date(month.year, 1, 1), window=review_window(pairs),
                        units=units)
    weeks = month.weeks(as_of)
    done = await completeness_over(tree, weeks, deadline=deadline, tz=tz, session=session)
    flags = await review_flags(tree, threshold=review_threshold, pairs=pairs,
                               session=session)
    return MonthTree(month, as_of, tree, done, weeks, official,
                     {(f.unit_id, f.programme): f for f in flags})
