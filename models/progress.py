"""Progress of a unit against its yearly targets, from the roll-up (models/rollup.py)."""
from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from models.rollup import Progress, rollup
from models.units import Unit

__all__ = ["Progress", "unit_progress"]


async def unit_progress(unit: Unit, year: int, *, session: AsyncSession) -> list[Progress]:
    """One row per programme: achieved in the calendar year (local dates) and the target."""
    return (await rollup(unit, date(year, 12, 31), session=session)).progress(unit.id)
