"""One roll-up of the ledger over the unit tree: the figures behind /tiendo and report
answers, leaderboards and exports (and the monthly report and the dashboard).

`rollup(roots, as_of, session=…)` reads the subtrees of `roots` (or the whole tree) with a
few queries whatever their size: the units level by level (none for a hamlet), then one
round-trip for a GROUP BY over the ledger and the targets; the sums go up the tree in
memory. Per unit and programme, as of a day and for that day's year:

- achieved: entries dated 1 January … `as_of`, over the unit's subtree;
- target: the unit's own, else the sum of its children's (those that have one); a
  programme with no target anywhere below has none;
- gain: the entries of `as_of`'s week (Monday–Sunday) up to `as_of`, from Monday or
  1 January, whichever is later; a baseline import is not a gain;
- last4: the gains of the 28 days ending `as_of` (a leaderboard's pace);
- population (health insurance only): the unit's own, else the sum of its children's when
  every child has one; with it, a unit's own coverage target (a whole percent of its
  population) stands in for a health insurance target where it has none (own or summed).

The monthly report moves the two windows (`gain_from`, `pace_from`): gain is then the
month's, last4 the gains since 1 January (models/monthly.py); it also asks for one more
window (`window`: the gains between two BHXH snapshots, for the review flags of
models/official.py), summed in the same pass over the ledger.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache, cached_property
from operator import add

from sqlalchemy import and_, bindparam, case, func, literal, literal_column, union_all
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import OFF_LOOP
from models.ledger import Report, day_for_scans
from models.units import PROGRAMMES, Target, Unit
from models.weeks import Week

_DEPTH = {"city": 0, "commune": 1, "hamlet": 2}
_COLUMNS = 4  # per programme: achieved, gain, last4, and the gains in `window`
_WIDTH = _COLUMNS * len(PROGRAMMES)
LONG_SCOPE = 500  # units: a commune has tens, a city thousands
COVERAGE = "bhyt"  # the programme spoken of as coverage of the population


@dataclass(frozen=True, slots=True)
class Progress:
    programme: str
    achieved: int
    target: int | None

    @property
    def ratio(self) -> float | None:
        return self.achieved / self.target if self.target else None

    @property
    def remaining(self) -> int | None:
        return None if self.target is None else max(self.target - self.achieved, 0)


@dataclass(frozen=True, slots=True)
class Figures(Progress):
    """One unit, one programme, as of one day."""
    gain: int
    last4: int  # gains of the four weeks ending that day
    days_left: int  # after the Sunday of that day's week, until 31 December
    population: int | None = None  # health insurance only
    target_pct: int | None = None  # the target is this percent of the population

    @property
    def coverage(self) -> float | None:
        return self.achieved / self.population if self.population else None

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
    population: int | None = None
    coverage_target_pct: int | None = None


@dataclass
class Rollup:
    """The units read and their figures as of one day."""
    as_of: date
    units: dict[int, UnitInfo]
    children: dict[int, list[int]] = field(default_factory=dict)  # by name
    window: tuple[date, date] | None = None  # (after, until]: see window_gains
    _sums: dict[int, list[int]] = field(default_factory=dict, repr=False)
    _targets: dict[int, list[int | None]] = field(default_factory=dict, repr=False)
    _population: dict[int, int] = field(default_factory=dict, repr=False)

    @cached_property
    def week(self) -> Week:
        return Week.containing(self.as_of)

    @property
    def year(self) -> int:
        return self.as_of.year

    @cached_property
    def _days_left(self) -> int:
        return self.week.days_left

    def figures(self, unit_id: int) -> dict[str, Figures]:
        sums = self._sums.get(unit_id) or [0] * _WIDTH
        targets = self._targets.get(unit_id) or [None] * len(PROGRAMMES)
        days_left = self._days_left
        found = {p: Figures(p, sums[_COLUMNS * i], targets[i], sums[_COLUMNS * i + 1],
                            sums[_COLUMNS * i + 2], days_left) for i, p in enumerate(PROGRAMMES)}
        population = self._population.get(unit_id)
        if population:
            hi, pct = found[COVERAGE], self.units[unit_id].coverage_target_pct
            stand_in = pct if hi.target is None and pct else None
            target = math.ceil(population * pct / 100) if stand_in else hi.target
            found[COVERAGE] = replace(hi, target=target, population=population,
                                      target_pct=stand_in)
        return found

    def progress(self, unit_id: int) -> list[Figures]:
        """The unit's figures in PROGRAMMES order."""
        return list(self.figures(unit_id).values())

    def window_gains(self, unit_id: int) -> list[int]:
        """Per programme (PROGRAMMES order), the entries dated after `window`'s first day
        up to its second, over the unit's subtree (baselines left out); zeros without a
        window."""
        return (self._sums.get(unit_id) or [0] * _WIDTH)[_COLUMNS - 1::_COLUMNS]


async def rollup(roots: Unit | Iterable[Unit] | None, as_of: date, *, session: AsyncSession,
                 gain_from: date | None = None, pace_from: date | None = None,
                 window: tuple[date, date] | None = None,
                 units: dict[int, UnitInfo] | None = None) -> Rollup:
    """The figures of every unit (roots=None) or of the subtrees of `roots`, as of `as_of`;
    `gain_from`, `pace_from`: the first days of the gain and last4 windows instead of the
    week's Monday (or 1 January) and 27 days before `as_of`; `window`: (after, until], until
    no later than `as_of`, for Rollup.window_gains; `units`: the subtrees' units when read
    already (subtree_units)."""
    if roots is not None:
        roots = [roots] if isinstance(roots, Unit) else list(roots)
    if units is None:
        units = await subtree_units(roots, session=session)
    result = Rollup(as_of, units, window=window)
    units = result.units
    for info in units.values():
        if info.parent_id in units:
            result.children.setdefault(info.parent_id, []).append(info.id)
    for kids in result.children.values():
        kids.sort(key=lambda uid: units[uid].name)
    await _load(result, None if roots is None else list(units), session=session,
                gain_from=gain_from, pace_from=pace_from)
    _roll_up(result)
    return result


@cache
def _unit_columns():
    return select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id, Unit.population,
                  Unit.coverage_target_pct)


async def subtree_units(roots: list[Unit] | None, *,
                        session: AsyncSession) -> dict[int, UnitInfo]:
    """The units of the subtrees of `roots` (None: every unit), by id."""
    columns = _unit_columns()  # built once: a hamlet's roll-up (every report) needs no query
    if roots is None or any(u.kind == "city" for u in roots):
        columns = columns.execution_options(**OFF_LOOP)
    if roots is None:  # 100,000 rows: Core, without the ORM's row handling
        return {r[0]: UnitInfo(*r) for r in await (await session.connection()).execute(columns)}
    units = {u.id: UnitInfo(u.id, u.code, u.name, u.kind, u.parent_id, u.population,
                            u.coverage_target_pct) for u in roots}
    frontier = [u.id for u in roots if u.kind != "hamlet"]
    while frontier:  # a query per level; a unit seen before is not walked again
        rows = [r for r in await session.exec(columns.where(Unit.parent_id.in_(frontier)))
                if r[0] not in units]
        units.update((r[0], UnitInfo(*r)) for r in rows)
        frontier = [r[0] for r in rows if r[3] != "hamlet"]
    return units


def _since(day: str, *more) -> object:
    return func.sum(case((and_(Report.local_date >= bindparam(day), *more), Report.count),
                         else_=0))


@cache
def _load_statement(scoped: bool, sqlite: bool, windowed: bool):
    """The GROUP BY over the ledger with the targets in one pass (a city's or the nation's,
    or any scope with a `window`), built once per kind; days, year and units are bound
    parameters."""
    not_baseline = Report.kind != "baseline"
    sums = [_since("jan1"), _since("gain_from", not_baseline), _since("pace_from", not_baseline)]
    if windowed:
        sums.append(func.sum(case((and_(Report.local_date > bindparam("after"),
                                        Report.local_date <= bindparam("until"), not_baseline),
                                   Report.count), else_=0)))
    sums = (select(literal("sums"), Report.unit_id, Report.programme, *sums)
            .group_by(Report.unit_id, Report.programme))
    targets = select(literal("target"), Target.unit_id, Target.programme, Target.value,
                     *[literal_column("0")] * (len(sums.selected_columns) - 4)).where(
        Target.year == bindparam("year"))
    if scoped:
        sums = sums.where(Report.unit_id.in_(bindparam("units", expanding=True)))
        targets = targets.where(Target.unit_id.in_(bindparam("target_units", expanding=True)))
        day = Report.local_date
    else:
        # The whole year is most of the ledger: scan ix_report_rollup in GROUP BY order.
        day = day_for_scans(sqlite)
    sums = sums.where(day >= bindparam("start"), day <= bindparam("as_of"))
    return union_all(sums, targets)


@cache
def _short_statement(single: bool):
    """A hamlet's or a commune's sums (every report's answer runs it for its hamlet): the
    year's plain sum and the recent windows as two index range scans, instead of one pass
    that evaluates three cases for every entry of the year. The programmes are named (in
    the SQL text) so that the index seeks by date; one unit is `:unit`, not an expanding
    list, so the statement's text is compiled once."""
    def of(column):
        return column == bindparam("unit") if single else column.in_(
            bindparam("units", expanding=True))
    zero = literal_column("0")
    scope = (of(Report.unit_id), Report.local_date <= bindparam("as_of"),
             Report.programme.in_([literal_column(f"'{p}'") for p in PROGRAMMES]))
    year = (select(literal("sums"), Report.unit_id, Report.programme, func.sum(Report.count),
                   zero, zero)
            .where(*scope, Report.local_date >= bindparam("jan1")))
    recent = (select(literal("sums"), Report.unit_id, Report.programme, zero,
                     _since("gain_from"), _since("pace_from"))
              .where(*scope, Report.local_date >= bindparam("recent"), Report.kind != "baseline"))
    targets = select(literal("target"), Target.unit_id, Target.programme, Target.value,
                     zero, zero).where(Target.year == bindparam("year"), of(Target.unit_id))
    return union_all(*(s.group_by(Report.unit_id, Report.programme) for s in (year, recent)),
                     targets)


async def _load(result: Rollup, scope: list[int] | None, *, session: AsyncSession,
                gain_from: date | None, pace_from: date | None) -> None:
    """The ledger sums per unit and the targets, in one round-trip."""
    as_of, jan1 = result.as_of, date(result.year, 1, 1)
    gain_from = gain_from or result.week.gain_span(as_of)[0]
    pace_from = pace_from or as_of - timedelta(days=27)
    params = {"jan1": jan1, "gain_from": gain_from, "pace_from": pace_from,
              "year": result.year, "start": min(jan1, pace_from), "as_of": as_of}
    if result.window:
        after, until = result.window
        params.update(after=after, until=until,
                      start=min(params["start"], after + timedelta(days=1)))
    if scope is not None:
        params.update(units=scope, target_units=scope, unit=scope[0] if scope else None,
                      recent=min(gain_from, pace_from))
    sqlite, windowed = session.bind.dialect.name == "sqlite", result.window is not None
    if not _long(scope):  # a hamlet's or a commune's: a few rows, on the session's connection
        stmt = (_load_statement(True, sqlite, True) if windowed
                else _short_statement(len(scope) == 1))
        conn = await session.connection()
        _add(result, (await conn.execute(stmt, params)).all())
        return
    stmt = _load_statement(scope is not None, sqlite, windowed)
    rows = await session.stream(stmt, params, execution_options=OFF_LOOP)
    async for part in rows.partitions(20_000):  # a national run must not hold every row
        _add(result, part)


def _long(scope: list[int] | None) -> dict:
    """A scan over a city or more runs off the event loop; a commune's or a hamlet's (every
    report's answer) is short."""
    return OFF_LOOP if scope is None or len(scope) > LONG_SCOPE else {}


def _add(result: Rollup, rows: list) -> None:
    index = {p: i for i, p in enumerate(PROGRAMMES)}
    units, sums, targets = result.units, result._sums, result._targets
    for kind, unit_id, programme, *values in rows:  # achieved, gain, last4 (, window)
        i = index.get(programme)
        if i is None or unit_id not in units:
            continue
        if kind == "target":
            targets.setdefault(unit_id, [None] * len(PROGRAMMES))[i] = int(values[0])
            continue
        row = sums.get(unit_id) or sums.setdefault(unit_id, [0] * _WIDTH)
        for column, value in enumerate(values, _COLUMNS * i):
            row[column] += int(value or 0)


async def monthly_gains(result: Rollup, *,
                        session: AsyncSession) -> dict[int, dict[str, list[int]]]:
    """Unit id → programme → the gains of January … December of the roll-up's year (up to
    its day), over each unit's subtree; a baseline import is not a gain, as in the week's."""
    month = func.extract("month", Report.local_date)
    stmt = (select(Report.unit_id, Report.programme, month, func.sum(Report.count))
            .where(Report.unit_id.in_(list(result.units)), Report.kind != "baseline",
                   Report.local_date >= date(result.year, 1, 1), Report.local_date <= result.as_of)
            .group_by(Report.unit_id, Report.programme, month))
    slot = {p: 12 * i for i, p in enumerate(PROGRAMMES)}
    width = 12 * len(PROGRAMMES)
    sums: dict[int, list[int]] = {}
    for unit_id, programme, number, count in await session.exec(
            stmt, execution_options=_long(list(result.units))):
        if programme in slot:
            row = sums.setdefault(unit_id, [0] * width)
            row[slot[programme] + int(number) - 1] += int(count or 0)
    _add_up(result, sums, width)
    return {uid: {p: sums.get(uid, [0] * width)[i:i + 12] for p, i in slot.items()}
            for uid in result.units}


def _deepest_first(result: Rollup) -> list[UnitInfo]:
    # A unit is complete before it is added to its parent.
    return sorted(result.units.values(), key=lambda u: -_DEPTH.get(u.kind, 0))


def _add_up(result: Rollup, sums: dict[int, list[int]], width: int) -> None:
    """Each unit's row of sums is added to every ancestor's."""
    for info in _deepest_first(result):
        row = sums.get(info.id)
        if row and info.parent_id in result.units:
            up = sums.setdefault(info.parent_id, [0] * width)
            up[:] = map(add, up, row)


def _roll_up(result: Rollup) -> None:
    """Sums go up to every ancestor; a unit without its own target takes the sum of its
    children's (those that have one)."""
    n = len(PROGRAMMES)
    _add_up(result, result._sums, _WIDTH)
    _populations(result)
    own = {uid: [v is not None for v in values] for uid, values in result._targets.items()}
    for info in _deepest_first(result):
        parent = info.parent_id
        if parent not in result.units:
            continue
        below = result._targets.get(info.id)
        if below:
            mine = result._targets.setdefault(parent, [None] * n)
            fixed = own.get(parent, [False] * n)
            for i in range(n):
                if below[i] is not None and not fixed[i]:
                    mine[i] = (mine[i] or 0) + below[i]


def _populations(result: Rollup) -> None:
    """Each unit's own population, else the sum of its children's when all have one."""
    if not any(info.population for info in result.units.values()):
        return  # no population imported: no tree walk
    people = result._population
    for info in _deepest_first(result):
        kids = result.children.get(info.id, [])
        if info.population:
            people[info.id] = info.population
        elif kids and all(k in people for k in kids):
            people[info.id] = sum(people[k] for k in kids)
