"""The database locked or unreachable for a while: the message is retried whole, never
half-applied; if the database stays away the error reaches the channel (no answer)."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from bot.dispatch import DB_RETRY_DELAYS
from tests.ledger_helpers import ledger_rows, ledger_sum


def fail_inserts(app, times: int) -> list[str]:
    """The next `times` INSERTs fail as a locked database would (after the report's first
    INSERT went through, so a half-applied message would show)."""
    seen: list[str] = []
    locked = app.engine.dialect.dbapi.OperationalError  # the driver's own error class

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO processedmessage") and len(seen) < times:
            seen.append(statement)
            raise locked("database is locked")

    event.listen(app.engine.sync_engine, "before_cursor_execute", before)
    return seen


@pytest.fixture
def no_sleep(staff):
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    staff.app.dispatcher.sleep = sleep
    return waited


async def test_locked_database_is_retried_and_applied_once(staff, no_sleep):
    failures = fail_inserts(staff.app, times=2)
    assert "Đã ghi nhận 5" in await staff.say("/dangky 5")
    assert len(failures) == 2 and no_sleep == list(DB_RETRY_DELAYS[:2])
    assert await ledger_sum(staff.app, "LM-KV1") == 5


async def test_database_away_too_long_raises_and_leaves_nothing(staff, no_sleep):
    before = await ledger_rows(staff.app)
    fail_inserts(staff.app, times=len(DB_RETRY_DELAYS) + 1)
    msg = staff.message("/dangky 5")
    with pytest.raises(Exception, match="database is locked"):
        await staff.deliver(msg)
    assert await ledger_rows(staff.app) == before
    # the platform redelivers later, when the database is back: counted once
    assert "Đã ghi nhận 5" in "\n".join(r.text for r in await staff.deliver(msg))
    assert await ledger_sum(staff.app, "LM-KV1") == 5
