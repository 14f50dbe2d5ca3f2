"""Progress of a unit against its yearly targets, read from the ledger."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from models.ledger import achieved
from models.units import PROGRAMMES, Unit, subtree_ids, target_for


@dataclass(frozen=True)
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
    ids = await subtree_ids(unit.id, session=session)
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    return [Progress(p, await achieved(ids, p, start, end, session=session),
                     await target_for(unit.id, p, year, session=session))
            for p in PROGRAMMES]
