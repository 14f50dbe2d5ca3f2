"""Who has reported: per unit and week, the hamlets with staff that reported (a count or a
nil report) and how many of them before the weekly deadline.

A hamlet "reported" in a week when it has a report or nil entry dated in that week that no
later entry reverses. It reported on time when the first such entry was recorded no later
than the week's deadline. Only hamlets with active staff are counted (a hamlet nobody can
report for is not missing). The dashboard and the bot call `completeness`.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from sqlalchemy import and_, case, func
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import OFF_LOOP, as_utc
from models.ledger import Report, day_for_scans
from models.members import Member
from models.rollup import Rollup, UnitInfo, subtree_units
from models.units import Unit
from models.weeks import Week

REPORTED_KINDS = ("report", "nil")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Deadline:
    """The weekly deadline: a weekday and a local time, e.g. Friday 17:00."""
    weekday: int = 4
    at: time = time(17, 0)

    @classmethod
    def parse(cls, spec: str) -> "Deadline":
        """'fri 17:00' → Friday 17:00; ValueError when malformed."""
        day, _, clock = spec.strip().lower().partition(" ")
        if day not in WEEKDAYS:
            raise ValueError(f"weekday must be one of {', '.join(WEEKDAYS)}: {spec!r}")
        return cls(WEEKDAYS.index(day), time.fromisoformat(clock.strip()))

    def of(self, week: Week, tz: tzinfo) -> datetime:
        day = week.start + timedelta(days=self.weekday)
        return datetime.combine(day, self.at, tzinfo=tz)


@dataclass(frozen=True, slots=True)
class Completeness:
    """One unit, one week: hamlets with staff, those that reported, those on time (over
    several weeks: hamlet-weeks)."""
    staffed: int = 0
    reported: int = 0
    on_time: int = 0

    @property
    def missing(self) -> int:
        return self.staffed - self.reported

    def __add__(self, other: "Completeness") -> "Completeness":
        return Completeness(self.staffed + other.staffed, self.reported + other.reported,
                            self.on_time + other.on_time)


def live_reports(*columns, since: date, until: date, day=Report.local_date):
    """`columns` over the report and nil entries dated since … until that no later entry
    reverses: what "reported" means, for completeness and the dashboard alike."""
    reversal = aliased(Report)
    # "is not null" is implied by the join; said, it lets PostgreSQL read the few
    # reversals through ix_report_reverses_id instead of hashing the whole ledger
    return (select(*columns)
            .join(reversal, and_(reversal.reverses_id == Report.id,
                                 col(reversal.reverses_id).is_not(None)), isouter=True)
            .where(col(Report.kind).in_(REPORTED_KINDS), col(reversal.id).is_(None),
                   day >= since, day <= until))


def reported_entries(since: date, until: date):
    """(unit id, first recorded, last day) of units with a live report or nil entry."""
    return (live_reports(Report.unit_id, func.min(Report.created_at),
                         func.max(Report.local_date), since=since, until=until)
            .group_by(Report.unit_id))


async def staffed_hamlets(scope: list[int] | None, *, session: AsyncSession) -> set[int]:
    stmt = (select(Member.unit_id).distinct().join(Unit, Unit.id == Member.unit_id)
            .where(Member.active, Member.role == "staff", Unit.kind == "hamlet"))
    if scope is not None:
        stmt = stmt.where(col(Member.unit_id).in_(scope))
    return set((await (await session.connection()).execute(stmt)).scalars())


async def completeness(units: Rollup | dict[int, UnitInfo] | Iterable[Unit] | None, week: Week,
                       *, deadline: Deadline, tz: tzinfo, session: AsyncSession,
                       ) -> dict[int, Completeness]:
    """Unit id → its week's completeness, for every unit of a roll-up (or of the subtrees
    of some units; None: the whole tree)."""
    return await completeness_over(units, [week], deadline=deadline, tz=tz, session=session)


async def completeness_over(units: Rollup | dict[int, UnitInfo] | Iterable[Unit] | None,
                            weeks: list[Week], *, deadline: Deadline, tz: tzinfo,
                            session: AsyncSession) -> dict[int, Completeness]:
    """Unit id → its completeness summed over `weeks` (hamlet-weeks: a month's
    report), in one query over the ledger whatever the number of weeks."""
    if isinstance(units, Rollup):
        units = units.units
    elif not isinstance(units, dict):
        units = await subtree_units(None if units is None else list(units), session=session)
    hamlets = [u.id for u in units.values() if u.kind == "hamlet"]
    if not weeks:
        return {uid: Completeness() for uid in units}
    scope = hamlets if len(hamlets) <= 5000 else None  # a national run reads every row
    staffed = await staffed_hamlets(scope, session=session)
    if scope is None:  # the weeks' entries by ix_report_by_day, which covers the query;
        # grouped by unit_id + 0, or SQLite walks all of ix_report_rollup for its order
        day, unit = Report.local_date, Report.unit_id + 0
    else:  # a few units' own entries (models.ledger.day_for_scans)
        day, unit = day_for_scans(session.bind.dialect.name == "sqlite"), Report.unit_id
    reported, on_time = 0, 0  # per week: reported, and by its deadline (stored in UTC),
    for week in weeks:  # summed over the weeks in SQL
        in_week = and_(day >= week.start, day <= week.end)
        due = deadline.of(week, tz).astimezone(timezone.utc)
        reported += func.max(case((in_week, 1), else_=0))
        on_time += func.max(case((and_(in_week, Report.created_at <= due), 1), else_=0))
    stmt = live_reports(unit, reported, on_time, since=weeks[0].start, until=weeks[-1].end,
                        day=day).group_by(unit)
    if scope is not None:
        stmt = stmt.where(col(Report.unit_id).in_(scope))
    long = OFF_LOOP if len(hamlets) > 500 else {}  # a city's or the nation's: off the loop
    result: dict[int, Completeness] = {}  # staffed hamlets first, then their ancestors
    async for part in (await session.stream(stmt, execution_options=long)).partitions(20_000):
        result.update((uid, Completeness(len(weeks), int(done), int(in_time)))
                      for uid, done, in_time in part if uid in staffed and uid in units)
    silent, nothing = Completeness(len(weeks)), Completeness()  # shared: a national run
    for uid in hamlets:  # has 100,000 hamlets
        if uid in staffed and uid not in result:
            result[uid] = silent
    for uid in list(result):  # up to every ancestor
        parent = units[uid].parent_id
        for _ in range(8):
            if parent not in units:
                break
            result[parent] = result.get(parent, nothing) + result[uid]
            parent = units[parent].parent_id
    return {uid: result.get(uid, nothing) for uid in units}


@dataclass(frozen=True)
class Silent:
    """A hamlet with staff that has not reported in a week."""
    unit: UnitInfo
    staff: list[str]  # display names of its active staff
    last_report: date | None


async def not_reported(units: dict[int, UnitInfo], week: Week, *,
                       session: AsyncSession) -> list[Silent]:
    """The staffed hamlets among `units` with no report or nil in `week`, by name, each
    with its staff and its last report date (before the week's end)."""
    hamlets = [u.id for u in units.values() if u.kind == "hamlet"]
    stmt = (select(Member.unit_id, Member.display_name)
            .where(Member.active, Member.role == "staff", col(Member.unit_id).in_(hamlets))
            .order_by(Member.display_name))
    staff: dict[int, list[str]] = {}
    for uid, name in await session.exec(stmt):
        staff.setdefault(uid, []).append(name)
    last = {uid: day for uid, _, day in await session.exec(
        reported_entries(date(1900, 1, 1), week.end).where(
            col(Report.unit_id).in_(list(staff))))}
    silent = [Silent(units[uid], names, last.get(uid)) for uid, names in staff.items()
              if last.get(uid) is None or last[uid] < week.start]
    return sorted(silent, key=lambda s: s.unit.name)
