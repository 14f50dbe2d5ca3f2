"""SIGKILL at random points: every report the bot acknowledged is in the ledger exactly once.

The real bot runs as a subprocess (`hamletbot run`, Telegram polling or webhook) against the
fake Bot API in this process. Each cycle feeds a burst of `/dangky N` updates, kills the bot
after a seeded random number of replies, and restarts it; Telegram's side redelivers every
update not yet confirmed by a getUpdates offset, or not answered 200 by the webhook.
bench/crash.py runs 50 cycles.
"""
from __future__ import annotations

import pytest

from tests.fakes.bot_process import crash_cycles


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_killed_bot_never_loses_or_doubles_an_acknowledged_report(database_url, tmp_path,
                                                                        mode):
    result = await crash_cycles(tmp_path, database_url, cycles=3, seed=10, mode=mode)
    assert result.acknowledged > 0
    assert result.found_once == result.acknowledged, result
    assert result.counted_twice == [] and result.unknown == []
    assert result.exit_code == 0
