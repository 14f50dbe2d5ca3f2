"""The one back-off (outbox retries, failed polls): doubling, capped, jittered."""
from __future__ import annotations

from bot.backoff import Backoff


def test_doubles_from_the_base_up_to_the_cap():
    top = Backoff(5.0, 60.0, rand=lambda: 1.0)
    assert [top.delay(n) for n in range(1, 7)] == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]


def test_jitter_keeps_half_fixed():
    assert Backoff(5.0, 60.0, rand=lambda: 0.0).delay(1) == 2.5
    assert all(2.5 <= Backoff(5.0, 60.0, rand=lambda: r / 10).delay(1) <= 5.0 for r in range(11))


def test_a_long_outage_stays_at_the_cap():
    assert Backoff(1.0, 60.0, rand=lambda: 1.0).delay(100_000) == 60.0
