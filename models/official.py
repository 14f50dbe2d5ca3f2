"""BHXH's official figures: dated snapshots of the participants per unit and programme.

The official count is the social insurance agency's, imported from its monthly data
(`hamletbot official import`), beside the counts staff report (models/rollup.py). A
snapshot belongs to the unit it names, whatever its level: it is not summed up the tree,
since communes' snapshots may be of different days. A re-import for the same unit,
programme and day supersedes the snapshot (`superseded_at` set), which stays for the
audit; queries read only current snapshots.

- `latest_official`: per unit and programme, the newest snapshot on or before a day, for a
  set of units (or all) in one query on `ix_officialfigure_latest`.
- `review_flags`: units whose reported gain between their last two snapshots differs from
  the official change by more than a share of it (`official.review_threshold`), from the
  same seeks (`last_two`). The gains come from the roll-up when it summed that window
  (`review_window`: the monthly report's, in its one pass over the ledger), else from a
  query of their own.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Index, func, union_all
from sqlalchemy.orm import aliased
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import OFF_LOOP, UtcField
from models.ledger import Report, day_for_scans
from models.rollup import Rollup
from models.units import MAX_DEPTH, PROGRAMMES, Unit


class OfficialFigure(SQLModel, table=True):
    """One imported snapshot; never deleted. Who imported it is an operator's name (the
    CLI's --by or the OS user), never a resident's."""
    __table_args__ = (Index("ix_officialfigure_latest", "unit_id", "programme", "as_of",
                            "superseded_at", "participants"),)
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    programme: str = Field(max_length=16)
    as_of: date
    participants: int
    imported_at: datetime = UtcField()
    imported_by: str = Field(max_length=100)
    superseded_at: datetime | None = UtcField(default=None, nullable=True)


@dataclass(frozen=True, slots=True)
class Official:
    """A unit's official figure for one programme: participants on a day."""
    as_of: date
    participants: int

    def difference(self, reported: int) -> int:
        """Reported minus official: positive when staff reported more than BHXH counts."""
        return reported - self.participants


Key = tuple[int, str]  # (unit id, programme)
# More units than this, and a query reads every unit (or the whole ledger window) and the
# rest is dropped in Python: a list of 100,000 ids would exceed a driver's parameter limit
# (asyncpg: 32767) and plan worse than the scan.
WHOLE_TREE = 5000


def _listed(unit_ids: Iterable[int] | None) -> set[int] | None:
    ids = None if unit_ids is None else set(unit_ids)
    return ids if ids is None or len(ids) <= WHOLE_TREE else None


async def latest_official(unit_ids: Iterable[int] | None, as_of: date, *,
                          session: AsyncSession) -> dict[Key, Official]:
    """(unit id, programme) → the newest current snapshot dated `as_of` or earlier, for the
    units given (None: every unit); units without one are absent.

    One query: per unit and programme, a seek down ix_officialfigure_latest for the newest
    snapshot, so the cost follows the units asked for, not the snapshots stored; past
    WHOLE_TREE units, the units that have a snapshot (BHXH's provinces and communes, not
    the 100,000 hamlets)."""
    wanted = None if unit_ids is None else set(unit_ids)
    listed = _listed(wanted)
    o, newest, holder = OfficialFigure, aliased(OfficialFigure), aliased(OfficialFigure)
    units = (select(holder.unit_id.label("id")).distinct() if listed is None
             else select(Unit.id.label("id")).where(Unit.id.in_(listed))).subquery()
    picks = [select(units.c.id, select(newest.id).where(
        newest.unit_id == units.c.id, newest.programme == programme,
        newest.superseded_at.is_(None), newest.as_of <= as_of)
        .order_by(newest.as_of.desc()).limit(1).scalar_subquery()).subquery()
        for programme in PROGRAMMES]
    stmt = select(o.unit_id, o.programme, o.as_of, o.participants).where(
        o.id.in_(union_all(*(select(pick.c[1]) for pick in picks))))
    return {(u, p): Official(day, n) for u, p, day, n in await session.exec(stmt)
            if wanted is None or u in wanted}


@dataclass(frozen=True, slots=True)
class ReviewFlag:
    """A unit and programme to review: between two snapshots, staff reported `reported`
    new participants (over the unit's subtree) where BHXH's count changed by `official`."""
    unit_id: int
    programme: str
    since: date
    until: date
    reported: int
    official: int

    @property
    def gap(self) -> int:
        return self.reported - self.official


Pairs = dict[Key, tuple[Official, Official]]  # the previous and the latest snapshot


async def review_flags(tree: Rollup, *, threshold: float, session: AsyncSession,
                       pairs: Pairs | None = None) -> list[ReviewFlag]:
    """The units of `tree` whose reported gain since their previous snapshot differs from
    the official change by more than `threshold` × |official change| (any difference when
    the official figure did not change). Only the last two snapshots on or before the
    tree's day are compared (`pairs`: last_two() of the tree's units as of its day, when
    read already); a baseline import is not a gain. Queries: two per distinct day of the
    latest snapshots (BHXH's monthly data: usually one day), and one per pair of days
    whose gains the tree has not summed (its `window`)."""
    if pairs is None:
        pairs = await last_two(await latest_official(tree.units, tree.as_of, session=session),
                               session=session)
    flags = []
    for window in sorted({(old.as_of, new.as_of) for old, new in pairs.values()}):
        wanted = {u for (u, _), (old, new) in pairs.items()
                  if (old.as_of, new.as_of) == window}
        gains = ({u: tree.window_gains(u) for u in wanted} if window == tree.window
                 else await _gains(tree, *window, wanted, session=session))
        for (unit_id, programme), (old, new) in sorted(pairs.items()):
            if (old.as_of, new.as_of) != window:
                continue
            reported = gains.get(unit_id, [0] * len(PROGRAMMES))[PROGRAMMES.index(programme)]
            change = new.participants - old.participants
            if abs(reported - change) > threshold * abs(change):
                flags.append(ReviewFlag(unit_id, programme, old.as_of, new.as_of, reported,
                                        change))
    return flags


async def last_two(latest: dict[Key, Official], *, session: AsyncSession) -> Pairs:
    """(unit, programme) → its previous and latest current snapshots, where it has two;
    `latest`: latest_official() of the units as of a day."""
    by_day: dict[date, list[Key]] = {}
    for key, official in latest.items():
        by_day.setdefault(official.as_of, []).append(key)
    pairs = {}
    for day, keys in by_day.items():
        before = await latest_official({u for u, _ in keys}, day - timedelta(days=1),
                                       session=session)
        pairs.update((k, (before[k], latest[k])) for k in keys if k in before)
    return pairs


def review_window(pairs: Pairs) -> tuple[date, date] | None:
    """The pair of snapshot days most units compare (BHXH's monthly data: the only one),
    for the roll-up to sum in its pass (rollup(window=…)); None without pairs."""
    days = Counter((old.as_of, new.as_of) for old, new in pairs.values())
    return days.most_common(1)[0][0] if days else None


async def _gains(tree: Rollup, since: date, until: date, wanted: set[int], *,
                 session: AsyncSession) -> dict[int, list[int]]:
    """Unit id (of `wanted`) → per programme, the entries dated after `since` up to `until`
    over the unit's subtree (baselines left out). Each row is added straight to the wanted
    units on its way up, so a national run holds sums for those units only."""
    scope = _listed(tree.units)
    # a whole tree's window: ix_report_rollup in GROUP BY order (models.ledger.day_for_scans)
    day = Report.local_date if scope is not None else day_for_scans(
        session.bind.dialect.name == "sqlite")
    stmt = (select(Report.unit_id, Report.programme, func.sum(Report.count))
            .where(Report.kind != "baseline", day > since, day <= until)
            .group_by(Report.unit_id, Report.programme))
    if scope is not None:
        stmt = stmt.where(Report.unit_id.in_(scope))
    sums: dict[int, list[int]] = {}
    # a whole tree's rows off the event loop and in parts, not all held at once
    rows = await session.stream(stmt, execution_options=OFF_LOOP if scope is None else {})
    async for part in rows.partitions(20_000):
        for unit_id, programme, count in part:
            if programme not in PROGRAMMES:
                continue
            column, uid = PROGRAMMES.index(programme), unit_id
            for _ in range(MAX_DEPTH + 1):  # the unit itself, then its ancestors in the tree
                if uid not in tree.units:
                    break
                if uid in wanted:
                    sums.setdefault(uid, [0] * len(PROGRAMMES))[column] += int(count or 0)
                uid = tree.units[uid].parent_id
    return sums


async def record_official(snapshots: list[OfficialFigure], *, session: AsyncSession) -> None:
    """Add the snapshots (one per unit, programme and day); each supersedes the current
    snapshot of its unit, programme and day, which is kept with `superseded_at` set."""
    if not snapshots:
        return
    days = {s.as_of for s in snapshots}
    keys = {(s.unit_id, s.programme, s.as_of) for s in snapshots}
    current = await session.exec(select(OfficialFigure).where(
        OfficialFigure.superseded_at.is_(None), OfficialFigure.as_of.in_(days)))
    for old in current:
        if (old.unit_id, old.programme, old.as_of) in keys:
            old.superseded_at = snapshots[0].imported_at
            session.add(old)
    await session.flush()
    session.add_all(snapshots)
    await session.flush()
