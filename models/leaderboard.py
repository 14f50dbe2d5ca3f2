"""Weekly leaderboards, recomputed exactly from the ledger for any week.

One run reads the tree with a few aggregate queries (units, targets, one GROUP BY over the
ledger) and rolls the figures up in memory, so every unit's board at national scale costs
about as much as one. A week runs Monday–Sunday (local dates); the board of a week shows
the year of its Sunday: achieved = entries dated 1 January … Sunday.

- gain: this week's entries (reports, undos, corrections; a baseline import is not a gain),
  from Monday or 1 January, whichever is later;
- pace: the average weekly gain over the four weeks ending that Sunday;
- needed per week: what is still missing, spread over the weeks left until 31 December
  (a part week counts as a week);
- projected: achieved + pace × the days left until 31 December / 7.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import and_, case, func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.ledger import Report
from models.progress import Progress
from models.units import PROGRAMMES, Target, Unit

_DEPTH = {"city": 0, "commune": 1, "hamlet": 2}
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Week:
    start: date  # a Monday

    @classmethod
    def containing(cls, day: date) -> "Week":
        return cls(day - timedelta(days=day.weekday()))

    @classmethod
    def parse(cls, label: str) -> "Week":
        """'2026-W47' (ISO week) → that week; ValueError when malformed."""
        found = _WEEK.match(label.strip().upper())
        if not found:
            raise ValueError(f"not an ISO week like 2026-W47: {label!r}")
        return cls(date.fromisocalendar(int(found[1]), int(found[2]), 1))

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def year(self) -> int:
        return self.end.year

    @property
    def label(self) -> str:
        iso = self.start.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"

    @property
    def days_left(self) -> int:
        """Days after this Sunday until 31 December of its year."""
        return (date(self.year, 12, 31) - self.end).days

    def previous(self) -> "Week":
        return Week(self.start - timedelta(days=7))


@dataclass(frozen=True, slots=True)
class Figures(Progress):
    """One unit, one programme, as of the end of one week."""
    gain: int
    last4: int  # gains of the four weeks ending this week
    days_left: int

    @property
    def weeks_left(self) -> int:
        return math.ceil(self.days_left / 7)

    @property
    def needed_per_week(self) -> int | None:
        if self.remaining is None:
            return None
        return math.ceil(self.remaining / self.weeks_left) if self.weeks_left else self.remaining

    @property
    def pace(self) -> float:
        return self.last4 / 4

    @property
    def projected(self) -> int:
        return self.achieved + math.floor(self.last4 * self.days_left / 28)

    @property
    def projected_ratio(self) -> float | None:
        return self.projected / self.target if self.target else None

    @property
    def on_track(self) -> bool:
        return self.target is not None and self.projected >= self.target


@dataclass(frozen=True, slots=True)
class UnitInfo:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None


@dataclass(frozen=True)
class Standing:
    unit: UnitInfo
    rank: int | None  # None: no target, not ranked
    figures: Figures


@dataclass(frozen=True)
class Board:
    """A unit's children ranked per programme for one week."""
    unit: UnitInfo
    week: Week
    totals: dict[str, Figures]
    rankings: dict[str, list[Standing]]  # programme → ranked first, then units without target


@dataclass
class Tree:
    """Units and their weekly figures: raw sums per unit, rolled up on demand."""
    week: Week
    units: dict[int, UnitInfo]
    children: dict[int, list[int]] = field(default_factory=dict)
    # unit id → [achieved, gain, last4] per programme, over its subtree (after roll-up)
    sums: dict[int, list[int]] = field(default_factory=dict)
    targets: dict[int, list[int | None]] = field(default_factory=dict)
    until: date | None = None  # figures as of this day instead of the week's Sunday

    @property
    def last_day(self) -> date:
        return self.until or self.week.end

    @property
    def year(self) -> int:
        return self.last_day.year

    def figures(self, unit_id: int) -> dict[str, Figures]:
        sums = self.sums.get(unit_id) or [0] * (3 * len(PROGRAMMES))
        targets = self.targets.get(unit_id) or [None] * len(PROGRAMMES)
        days_left = self.week.days_left
        return {p: Figures(p, sums[3 * i], targets[i], sums[3 * i + 1], sums[3 * i + 2],
                           days_left) for i, p in enumerate(PROGRAMMES)}

    def board(self, unit_id: int) -> Board:
        kids = [self.units[c] for c in self.children.get(unit_id, [])]
        per_child = {k.id: self.figures(k.id) for k in kids}
        rankings = {p: rank([Standing(k, None, per_child[k.id][p]) for k in kids])
                    for p in PROGRAMMES}
        return Board(self.units[unit_id], self.week, self.figures(unit_id), rankings)

    def boards(self) -> Iterator[Board]:
        """Every unit that has children, one at a time (a national run holds one at once)."""
        return (self.board(uid) for uid in self.units if self.children.get(uid))


def rank(standings: list[Standing]) -> list[Standing]:
    """By progress, highest first; equal progress shares a rank (1, 2, 2, 4) and is listed by
    name; units without a target come last, unranked."""
    with_target = [s for s in standings if s.figures.target]
    without = sorted((s for s in standings if not s.figures.target), key=lambda s: s.unit.name)
    key = {s.unit.id: Fraction(s.figures.achieved, s.figures.target) for s in with_target}
    with_target.sort(key=lambda s: (-key[s.unit.id], s.unit.name))
    ranked: list[Standing] = []
    for i, s in enumerate(with_target):
        tied = ranked and key[ranked[-1].unit.id] == key[s.unit.id]
        ranked.append(Standing(s.unit, ranked[-1].rank if tied else i + 1, s.figures))
    return ranked + [Standing(s.unit, None, s.figures) for s in without]


async def load_tree(week: Week, *, session: AsyncSession, root: Unit | None = None,
                    until: date | None = None) -> Tree:
    """The figures of every unit (root=None) or of `root`'s subtree, for `week`; with
    `until` (a day of that week), as of that day and for its year (an export on a
    Wednesday, or as of 31 December when that week ends in January)."""
    unit_cols = select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id)
    if root is None:
        units = {r[0]: UnitInfo(*r) for r in await session.exec(unit_cols)}
    else:
        units, frontier = {root.id: UnitInfo(root.id, root.code, root.name, root.kind,
                                             root.parent_id)}, [root.id]
        while frontier:  # the tree is shallow: at most two more queries
            rows = list(await session.exec(unit_cols.where(Unit.parent_id.in_(frontier))))
            units.update((r[0], UnitInfo(*r)) for r in rows)
            frontier = [r[0] for r in rows if r[3] != "hamlet"]
    tree = Tree(week, units, until=until)
    for info in units.values():
        if info.parent_id in units:
            tree.children.setdefault(info.parent_id, []).append(info.id)
    for kids in tree.children.values():
        kids.sort(key=lambda uid: units[uid].name)
    scope = None if root is None else list(units)
    await _load_sums(tree, scope, session=session)
    await _load_targets(tree, scope, session=session)
    _roll_up(tree)
    return tree


async def _load_sums(tree: Tree, scope: list[int] | None, *, session: AsyncSession) -> None:
    week = tree.week
    jan1, end = date(tree.year, 1, 1), tree.last_day
    gain_from, pace_from = max(week.start, jan1), end - timedelta(days=27)
    not_baseline = Report.kind != "baseline"
    stmt = (select(Report.unit_id, Report.programme,
                   func.sum(case((Report.local_date >= jan1, Report.count), else_=0)),
                   func.sum(case((and_(not_baseline, Report.local_date >= gain_from),
                                  Report.count), else_=0)),
                   func.sum(case((and_(not_baseline, Report.local_date >= pace_from),
                                  Report.count), else_=0)))
            .group_by(Report.unit_id, Report.programme))
    if scope is None:
        # The whole year is most of the ledger: scan ix_report_rollup in GROUP BY order.
        # On SQLite, coalesce() keeps the planner from choosing the date index and a row
        # lookup per entry; PostgreSQL plans well on the bare column (and misestimates
        # the rows behind coalesce(), then sorts on disk).
        day = (func.coalesce(Report.local_date, Report.local_date)
               if session.bind.dialect.name == "sqlite" else Report.local_date)
        stmt = stmt.where(day >= min(jan1, pace_from), day <= end)
    else:
        stmt = stmt.where(Report.unit_id.in_(scope), Report.local_date >= min(jan1, pace_from),
                          Report.local_date <= end)
    slot = {p: 3 * i for i, p in enumerate(PROGRAMMES)}
    width = 3 * len(PROGRAMMES)
    for unit_id, programme, achieved, gain, last4 in await session.exec(stmt):
        if programme not in slot or unit_id not in tree.units:
            continue
        sums = tree.sums.setdefault(unit_id, [0] * width)
        i = slot[programme]
        sums[i] += int(achieved or 0)
        sums[i + 1] += int(gain or 0)
        sums[i + 2] += int(last4 or 0)


async def _load_targets(tree: Tree, scope: list[int] | None, *, session: AsyncSession) -> None:
    stmt = select(Target.unit_id, Target.programme, Target.value).where(
        Target.year == tree.year)
    if scope is not None:
        stmt = stmt.where(Target.unit_id.in_(scope))
    index = {p: i for i, p in enumerate(PROGRAMMES)}
    for unit_id, programme, value in await session.exec(stmt):
        if programme in index and unit_id in tree.units:
            tree.targets.setdefault(unit_id, [None] * len(PROGRAMMES))[index[programme]] = value


async def monthly_gains(tree: Tree, *, session: AsyncSession) -> dict[int, dict[str, list[int]]]:
    """Unit id → programme → the gains of January … December of the tree's year (up to its
    last day), over each unit's subtree; a baseline import is not a gain, as in the week's."""
    jan1 = date(tree.year, 1, 1)
    month = func.extract("month", Report.local_date)
    stmt = (select(Report.unit_id, Report.programme, month, func.sum(Report.count))
            .where(Report.unit_id.in_(list(tree.units)), Report.kind != "baseline",
                   Report.local_date >= jan1, Report.local_date <= tree.last_day)
            .group_by(Report.unit_id, Report.programme, month))
    slot = {p: 12 * i for i, p in enumerate(PROGRAMMES)}
    sums: dict[int, list[int]] = {}
    for unit_id, programme, number, count in await session.exec(stmt):
        if programme in slot:
            row = sums.setdefault(unit_id, [0] * (12 * len(PROGRAMMES)))
            row[slot[programme] + int(number) - 1] += int(count or 0)
    _add_up(tree, sums, 12 * len(PROGRAMMES))
    return {uid: {p: sums.get(uid, [0] * 12 * len(PROGRAMMES))[i:i + 12]
                  for p, i in slot.items()} for uid in tree.units}


def _deepest_first(tree: Tree) -> list[UnitInfo]:
    # A unit is complete before it is added to its parent.
    return sorted(tree.units.values(), key=lambda u: -_DEPTH.get(u.kind, 0))


def _add_up(tree: Tree, sums: dict[int, list[int]], width: int) -> None:
    """Each unit's row of sums is added to every ancestor's."""
    for info in _deepest_first(tree):
        row = sums.get(info.id)
        if row and info.parent_id in tree.units:
            up = sums.setdefault(info.parent_id, [0] * width)
            for i in range(width):
                up[i] += row[i]


def _roll_up(tree: Tree) -> None:
    """Sums go up to every ancestor; a unit without its own target takes the sum of its
    children's (those that have one), as models.units.targets_for does."""
    n = len(PROGRAMMES)
    _add_up(tree, tree.sums, 3 * n)
    own = {uid: [v is not None for v in values] for uid, values in tree.targets.items()}
    for info in _deepest_first(tree):
        parent = info.parent_id
        if parent not in tree.units:
            continue
        below = tree.targets.get(info.id)
        if below:
            mine = tree.targets.setdefault(parent, [None] * n)
            fixed = own.get(parent, [False] * n)
            for i in range(n):
                if below[i] is not None and not fixed[i]:
                    mine[i] = (mine[i] or 0) + below[i]
