"""SIGKILL at random points: every report the bot acknowledged is in the ledger exactly once.

The real bot runs as a subprocess (`hamletbot run`, Telegram polling) against the fake Bot
API in this process. Each cycle queues a burst of `/dangky N` updates, kills the bot after a
seeded random number of replies, and restarts it; the fake redelivers every update not yet
confirmed by a getUpdates offset, as Telegram does. bench/crash.py runs 50 cycles.
"""
from __future__ import annotations

from tests.fakes.bot_process import crash_cycles


async def test_killed_bot_never_loses_or_doubles_an_acknowledged_report(database_url, tmp_path):
    result = await crash_cycles(tmp_path, database_url, cycles=3, seed=10)
    assert result.acknowledged > 0
    assert result.found_once == result.acknowledged, result
    assert result.counted_twice == [] and result.unknown == []
    assert result.exit_code == 0
