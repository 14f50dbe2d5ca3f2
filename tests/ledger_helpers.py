"""Reading the ledger back in tests."""
from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from models.ledger import Report
from models.units import unit_by_code


async def ledger_sum(app, unit_code: str, programme: str = "bhxh_tn",
                     kinds: tuple[str, ...] = ("report", "undo", "correction")) -> int:
    async with app.sessions() as session:
        unit = await unit_by_code(unit_code, session=session)
        total = (await session.exec(select(func.coalesce(func.sum(Report.count), 0)).where(
            Report.unit_id == unit.id, Report.programme == programme,
            Report.kind.in_(kinds)))).one()
        return int(total)


async def ledger_rows(app) -> int:
    async with app.sessions() as session:
        return (await session.exec(select(func.count()).select_from(Report))).one()
