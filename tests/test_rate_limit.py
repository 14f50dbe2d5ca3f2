"""A user flooding the bot is slowed down (answered once, then silence, nothing stored)
without holding up anyone else; the window runs on the injected clock."""
from __future__ import annotations

import pytest

from bot.dispatch import FLOOD_WINDOW, FloodGate
from tests.ledger_helpers import ledger_sum
from tests.test_privacy import all_text_in_database

LIMIT = 20  # the default of [limits] messages_per_minute (conftest raises it for other tests)


@pytest.fixture(autouse=True)
def default_limit(demo, clock):
    demo.dispatcher.flood = FloodGate(LIMIT, clock)


async def test_flood_is_answered_once_then_ignored_until_the_minute_passes(staff, stranger, clock):
    for _ in range(LIMIT):
        assert "Đã ghi nhận 1" in await staff.say("/dangky 1")
    stored = len(await all_text_in_database(staff.app))
    assert "gửi nhanh quá" in await staff.say("/dangky 1")
    assert [await staff.say("/dangky 1") for _ in range(5)] == [""] * 5
    assert len(await all_text_in_database(staff.app)) == stored  # dropped: nothing stored
    assert await ledger_sum(staff.app, "LM-KV1") == LIMIT
    # someone else is not held up by the flood
    assert "chưa tham gia" in await stranger.say("/dangky 1")
    clock.advance(seconds=FLOOD_WINDOW.seconds)
    assert "Đã ghi nhận 1" in await staff.say("/dangky 1")


async def test_steady_use_is_never_limited(staff, clock):
    for _ in range(3 * LIMIT):
        clock.advance(seconds=FLOOD_WINDOW.seconds / LIMIT)
        assert "Đã ghi nhận 1" in await staff.say("/dangky 1")
