"""The append-only report ledger: achieved = the sum of entries over a unit's subtree."""
from __future__ import annotations

from datetime import date, datetime, tzinfo

from sqlalchemy import Index, func, insert
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import OFF_LOOP, UtcField, as_utc, utcnow
from models.members import Member

# "nil": the hamlet reported no new sign-ups (count 0); it counts for completeness only.
ENTRY_KINDS = ("report", "undo", "baseline", "correction", "nil")


class Report(SQLModel, table=True):
    """One ledger entry. Never updated, never deleted: an undo is a reversing entry."""
    # Covers the leaderboard's GROUP BY over the whole ledger (models/leaderboard.py).
    # ix_report_by_day covers completeness over a range of days (models/completeness.py:
    # who reported, first when) and serves as the date index.
    # An entry is reversed at most once: of two reversals in flight (two /huy, an edit
    # and a /huy) the second fails on commit and its message is handled again.
    __table_args__ = (Index("ix_report_rollup", "unit_id", "programme", "local_date", "kind",
                            "count"),
                      Index("ix_report_by_day", "local_date", "unit_id", "kind", "created_at"),
                      Index("ix_report_reverses_id", "reverses_id", unique=True))
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    programme: str = Field(max_length=16)
    count: int
    local_date: date
    created_at: datetime = UtcField(default_factory=utcnow)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    source_key: str = Field(unique=True, max_length=300)
    message_ref: str | None = Field(default=None, index=True, max_length=300)
    kind: str = Field(default="report", max_length=16)
    reverses_id: int | None = Field(default=None, foreign_key="report.id")
    note: str | None = Field(default=None, max_length=300)


_ADD = insert(Report.__table__)
# What an entry may leave out, with the model's defaults (the id is the database's); the
# time it was recorded has none here: it is always given.
_DEFAULTS = {name: field.default for name, field in Report.model_fields.items()
             if name != "id" and not field.is_required() and field.default_factory is None}
_COLUMNS = set(Report.__table__.c.keys()) - {"id"}


def entry(**fields) -> dict:
    """The values of one ledger entry for add_entries: the model's defaults filled in, and
    every column present (a missing one is an error, not a NULL)."""
    values = {**_DEFAULTS, **fields}
    if missing := _COLUMNS - values.keys():
        raise TypeError(f"a ledger entry needs {', '.join(sorted(missing))}")
    return values


async def add_entries(entries: list[dict], *, session: AsyncSession) -> None:
    """Append entries with one Core statement built once, on the session's connection (a
    report writes one per programme with every message)."""
    conn = await session.connection()
    await conn.execute(_ADD, entries)


def day_for_scans(sqlite: bool):
    """Report.local_date for a date range over many units' entries. On SQLite, wrapped in
    coalesce() so the planner walks ix_report_rollup rather than the date index with a row
    lookup per entry; PostgreSQL plans well on the bare column (and misestimates the rows
    behind coalesce(), then sorts on disk)."""
    if sqlite:
        return func.coalesce(Report.local_date, Report.local_date)
    return Report.local_date


async def entries_of_message(message_ref: str, *, session: AsyncSession) -> list[Report]:
    rows = await session.exec(select(Report).where(Report.message_ref == message_ref)
                              .order_by(Report.id))
    return list(rows)


async def last_report_of(member_id: int, *, session: AsyncSession) -> list[Report]:
    """The entries of the member's latest report message that is not yet undone."""
    undone = select(Report.reverses_id).where(Report.reverses_id.is_not(None))
    latest = (await session.exec(
        select(Report).where(Report.member_id == member_id, Report.kind == "report",
                             Report.id.not_in(undone))
        .order_by(Report.id.desc()).limit(1))).first()
    if latest is None:
        return []
    rows = await session.exec(select(Report).where(
        Report.message_ref == latest.message_ref, Report.kind == "report",
        Report.member_id == member_id, Report.id.not_in(undone)).order_by(Report.id))
    return list(rows)


async def ledger_of(unit_ids: list[int], *, session: AsyncSession, since: date | None = None,
                    until: date | None = None) -> list[tuple[Report, str | None]]:
    """Entries over `unit_ids` with who recorded them (display name; None for an import),
    oldest first between two days."""
    stmt = _named(unit_ids)
    if since is not None:
        stmt = stmt.where(Report.local_date >= since)
    if until is not None:
        stmt = stmt.where(Report.local_date <= until)
    return list(await session.exec(stmt.order_by(Report.local_date, Report.id),
                                   execution_options=OFF_LOOP))


async def latest_of(unit_ids: list[int], *, limit: int, tz: tzinfo,
                    session: AsyncSession) -> list[tuple[Report, str | None]]:
    """The latest `limit` entries over `unit_ids` with who recorded them, newest first by
    the local day they belong to: a baseline (starting figures, imported at any time) at its
    own date, before the entries recorded that day; any other entry when it was recorded."""
    recorded = _named(unit_ids).where(Report.kind != "baseline").order_by(Report.id.desc())
    baselines = (_named(unit_ids).where(Report.kind == "baseline")
                 .order_by(Report.local_date.desc(), Report.id.desc()))
    rows = [row for stmt in (recorded, baselines)  # a city's subtree: many units
            for row in await session.exec(stmt.limit(limit), execution_options=OFF_LOOP)]

    def when(row: tuple[Report, str | None]) -> tuple[date, bool, int]:
        entry = row[0]
        if entry.kind == "baseline":
            return entry.local_date, False, entry.id
        return as_utc(entry.created_at).astimezone(tz).date(), True, entry.id
    return sorted(rows, key=when, reverse=True)[:limit]


def _named(unit_ids: list[int]):
    """Entries over `unit_ids` joined with the display name of who recorded them."""
    return (select(Report, Member.display_name)
            .join(Member, Member.id == Report.member_id, isouter=True)
            .where(Report.unit_id.in_(unit_ids)))
