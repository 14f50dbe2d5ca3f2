"""The hot path writes ledger entries and idempotency keys with Core statements: the rows
must be exactly what the ORM models write (no default silently missing)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from models.ledger import Report, add_entries, entry
from models.processed import ProcessedMessage, processed, record
from tests.conftest import START


def _row(found) -> dict:
    return {k: v for k, v in found._mapping.items() if k not in ("id", "source_key", "key")}


async def test_a_core_ledger_entry_equals_an_orm_one(demo):
    fields = dict(unit_id=1, programme="bhyt", count=3, local_date=date(2026, 11, 25),
                  created_at=START, member_id=None, message_ref="console:p:9")
    async with demo.sessions() as session:
        session.add(Report(source_key="orm", **fields))
        await session.flush()
        await add_entries([entry(source_key="core", **fields)], session=session)
        await session.commit()
    async with demo.sessions() as session:
        rows = {r.source_key: r for r in (await session.exec(
            select(Report.__table__).where(Report.source_key.in_(["orm", "core"])))).all()}
    assert _row(rows["core"]) == _row(rows["orm"])
    assert rows["core"].kind == "report" and rows["core"].note is None


def test_a_ledger_entry_without_its_time_is_refused():
    with pytest.raises(TypeError, match="created_at"):
        entry(unit_id=1, programme="bhyt", count=1, local_date=date(2026, 11, 25),
              source_key="k")


async def test_a_core_answer_equals_an_orm_one(app):
    replies = [{"text": "Đã ghi nhận 1", "choices": []}]
    async with app.sessions() as session:
        session.add(ProcessedMessage(key="orm", replies=replies, created_at=START))
        await record("core", replies, START, session=session)
        await session.commit()
    async with app.sessions() as session:
        rows = {r.key: r for r in (await session.exec(
            select(ProcessedMessage.__table__))).all()}
        assert await processed("core", session=session) == replies
        assert await processed("never", session=session) is None
    assert _row(rows["core"]) == _row(rows["orm"])
