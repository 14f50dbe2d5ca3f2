"""What the web dashboard reads besides the roll-up: who reports, the year day by day, and
the ledger filtered for an audit. Scopes are unit ids from the roll-up's tree."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.completeness import live_reports
from models.ledger import Report, day_for_scans
from models.members import Member
from models.units import Unit


async def report_days(hamlet_ids: list[int], since: date, until: date,
                      *, session: AsyncSession) -> set[tuple[int, date]]:
    """(hamlet, day) for each day a hamlet sent a report or a nil report that stands (undos
    and corrections are not reports, nor a baseline import; an undone report does not count:
    the same rule as models/completeness.py)."""
    day = day_for_scans(session.bind.dialect.name == "sqlite")
    rows = await session.exec(
        live_reports(Report.unit_id, Report.local_date, since=since, until=until, day=day)
        .distinct().where(Report.unit_id.in_(hamlet_ids)))
    return {(unit_id, when) for unit_id, when in rows}


async def daily_sums(unit_ids: list[int], since: date, until: date,
                     *, session: AsyncSession) -> list[tuple[str, date, int]]:
    """(programme, day, sum of entries) over the units, every entry kind included: the
    running total of these is the achieved figure."""
    day = day_for_scans(session.bind.dialect.name == "sqlite")
    rows = await session.exec(
        select(Report.programme, Report.local_date, func.sum(Report.count))
        .where(Report.unit_id.in_(unit_ids), day >= since, day <= until)
        .group_by(Report.programme, Report.local_date))
    return [(programme, when, int(total or 0)) for programme, when, total in rows]


@dataclass(frozen=True)
class LedgerFilter:
    since: date
    until: date
    programme: str | None = None
    kind: str | None = None


async def ledger_page(unit_ids: list[int], wanted: LedgerFilter, *, offset: int, limit: int,
                      session: AsyncSession) -> tuple[list[tuple[Report, str, str | None]], int, int]:
    """Entries (with unit name and who recorded them), newest first, the number of entries
    and their sum under the filter."""
    conditions = [Report.unit_id.in_(unit_ids), Report.local_date >= wanted.since,
                  Report.local_date <= wanted.until]
    if wanted.programme:
        conditions.append(Report.programme == wanted.programme)
    if wanted.kind:
        conditions.append(Report.kind == wanted.kind)
    count, total = (await session.exec(
        select(func.count(Report.id), func.coalesce(func.sum(Report.count), 0))
        .where(*conditions))).one()
    rows = await session.exec(
        select(Report, Unit.name, Member.display_name)
        .join(Unit, Unit.id == Report.unit_id)
        .join(Member, Member.id == Report.member_id, isouter=True)
        .where(*conditions).order_by(Report.local_date.desc(), Report.id.desc())
        .offset(offset).limit(limit))
    return [(entry, unit, who) for entry, unit, who in rows], int(count), int(total)
