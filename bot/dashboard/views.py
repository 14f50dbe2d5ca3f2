"""The figures each page shows, read through the bot's own roll-up (models/rollup.py) and
the dashboard's queries (models/dashboard.py). Pages and the JSON feed share these."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.completeness import staffed_hamlets
from models.dashboard import daily_sums, report_days
from models.rollup import Figures, Rollup, UnitInfo, rollup
from models.units import PROGRAMMES, Unit
from models.weeks import Week

HEATMAP_WEEKS = 12


def as_of(year: int, today: date) -> date:
    """Figures of this year run to today; of a past year, to 31 December."""
    return today if year >= today.year else date(year, 12, 31)


async def year_tree(unit: Unit, year: int, today: date, *, session: AsyncSession) -> Rollup:
    return await rollup(unit, as_of(year, today), session=session)


@dataclass(frozen=True)
class Completeness:
    """Hamlets that reported in a week, out of the hamlets that have staff."""
    reported: int
    staffed: int

    @property
    def ratio(self) -> float | None:
        return self.reported / self.staffed if self.staffed else None


@dataclass(frozen=True)
class Row:
    unit: UnitInfo
    figures: dict[str, Figures]
    completeness: Completeness


def _top_below(tree: Rollup, unit_id: int) -> dict[int, int]:
    """Each hamlet of the tree → the child of `unit_id` it lies under (itself for a hamlet)."""
    top = {}
    for info in tree.units.values():
        if info.kind != "hamlet":
            continue
        current = info
        while current.parent_id != unit_id and current.id != unit_id:
            current = tree.units[current.parent_id]
        top[info.id] = current.id
    return top


async def rows(tree: Rollup, unit_id: int, *, session: AsyncSession) -> tuple[Row, list[Row]]:
    """The unit's row and its children's, with this week's reporting completeness."""
    top = _top_below(tree, unit_id)
    week = Week.containing(tree.as_of)
    staffed = await staffed_hamlets(list(top), session=session)
    reported = {h for h, _ in await report_days(list(top), week.start, tree.as_of,
                                                session=session)}

    under = _group(top)
    under[unit_id] = list(top)

    def row(uid: int) -> Row:
        hamlets = [h for h in under.get(uid, []) if h in staffed]
        return Row(tree.units[uid], tree.figures(uid),
                   Completeness(sum(1 for h in hamlets if h in reported), len(hamlets)))

    return row(unit_id), [row(c) for c in tree.children.get(unit_id, [])]


def _group(top: dict[int, int]) -> dict[int, list[int]]:
    under: dict[int, list[int]] = defaultdict(list)
    for hamlet, child in top.items():
        under[child].append(hamlet)
    return under


async def weekly_totals(tree: Rollup, *, session: AsyncSession) -> tuple[list[date], dict[str, list[int]]]:
    """The Sundays of the year up to the tree's last day (that day for the last point) and,
    per programme, the achieved figure at each: the running sum of the ledger."""
    jan1, until = date(tree.year, 1, 1), tree.as_of
    ends, day = [], Week.containing(jan1).end
    while day < until:
        ends.append(day)
        day += timedelta(days=7)
    ends.append(until)
    per_day: dict[str, dict[date, int]] = defaultdict(dict)
    for programme, when, total in await daily_sums(list(tree.units), jan1, until,
                                                   session=session):
        per_day[programme][when] = total
    series = {}
    for programme in PROGRAMMES:
        days, running, i, points = sorted(per_day[programme].items()), 0, 0, []
        for end in ends:
            while i < len(days) and days[i][0] <= end:
                running += days[i][1]
                i += 1
            points.append(running)
        series[programme] = points
    return ends, series


@dataclass(frozen=True)
class HeatRow:
    unit: UnitInfo
    cells: list[Completeness]  # one per week, oldest first


async def heatmap(tree: Rollup, unit_id: int, *, session: AsyncSession
                  ) -> tuple[list[Week], list[HeatRow]]:
    """Per child (the hamlet itself for a hamlet) and week: hamlets that reported / hamlets
    with staff, over the last HEATMAP_WEEKS weeks."""
    last = Week.containing(tree.as_of)
    weeks = [Week(last.start - timedelta(days=7 * n)) for n in range(HEATMAP_WEEKS - 1, -1, -1)]
    top = _top_below(tree, unit_id)
    staffed = await staffed_hamlets(list(top), session=session)
    index = {w.start: i for i, w in enumerate(weeks)}
    seen = {(h, index[Week.containing(day).start]) for h, day in await report_days(
        list(top), weeks[0].start, tree.as_of, session=session)}
    under = _group(top)
    out = []
    for uid in tree.children.get(unit_id) or [unit_id]:
        hamlets = under.get(uid, [])
        out.append(HeatRow(tree.units[uid], [
            Completeness(sum(1 for h in hamlets if h in staffed and (h, i) in seen),
                         sum(1 for h in hamlets if h in staffed)) for i in range(len(weeks))]))
    return weeks, out


async def path_to(unit: Unit, top_id: int | None, *, session: AsyncSession) -> list[Unit]:
    """The units from `top_id` (None: the root of the tree) down to `unit`."""
    path = [unit]
    while path[0].id != top_id and path[0].parent_id is not None:
        path.insert(0, (await session.exec(select(Unit).where(
            Unit.id == path[0].parent_id))).one())
    return path
