"""Progress of a unit against its yearly targets, read from the ledger."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, literal, union_all
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.ledger import Report
from models.units import PROGRAMMES, Target, Unit, subtree_ids, targets_for


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


async def unit_progress(unit: Unit, year: int, *, session: AsyncSession) -> list[Progress]:
    """One row per programme: achieved in the calendar year (local dates) and the target."""
    ids = await subtree_ids(unit, session=session)
    done, own = await year_figures(ids, unit.id, year, session=session)
    targets = own if len(own) == len(PROGRAMMES) else await targets_for(unit, year, session=session)
    return [Progress(p, done.get(p, 0), targets.get(p)) for p in PROGRAMMES]


async def year_figures(unit_ids: list[int], unit_id: int, year: int,
                       *, session: AsyncSession) -> tuple[dict[str, int], dict[str, int]]:
    """Achieved over `unit_ids` in the year and `unit_id`'s own targets, in one round-trip
    (this runs for every report's answer)."""
    done = (select(literal("done"), Report.programme, func.sum(Report.count))
            .where(Report.unit_id.in_(unit_ids), Report.local_date >= date(year, 1, 1),
                   Report.local_date < date(year + 1, 1, 1))
            .group_by(Report.programme))
    targets = select(literal("target"), Target.programme, Target.value).where(
        Target.unit_id == unit_id, Target.year == year)
    figures: dict[str, dict[str, int]] = {"done": {}, "target": {}}
    for kind, programme, value in await session.exec(union_all(done, targets)):
        figures[kind][programme] = int(value)
    return figures["done"], figures["target"]
