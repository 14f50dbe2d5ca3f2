"""The sender's pacing on a fake monotonic clock whose sleeps wake late, as a busy event
loop's do: lateness is not compounded, and no window the platform counts gets too many."""
from __future__ import annotations

import asyncio
import random

from hypothesis import given, settings, strategies as st

from bot.limits import LIMITS, SAFETY, TOLERANCE, Limiter

TELEGRAM = LIMITS["telegram"]
INTERVAL = SAFETY / TELEGRAM.per_second
HEADROOM = TELEGRAM.per_second - 1  # at most 29 in any second: one spare for network jitter


class LateClock:
    """Monotonic time that only moves when slept on; each sleep oversleeps by the next
    lateness drawn (seconds)."""

    def __init__(self, lateness) -> None:
        self.now, self.lateness = 0.0, iter(lateness)

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + next(self.lateness, 0.0)


def send_times(clock: LateClock, chats: list[str], idle: dict[int, float] | None = None):
    limiter = Limiter(TELEGRAM, "telegram", lambda: clock.now, clock.sleep)

    async def run() -> list[float]:
        sent = []
        for i, chat in enumerate(chats):
            clock.now += (idle or {}).get(i, 0.0)
            await limiter.acquire(chat)
            sent.append(clock.now)
            limiter.done(chat)
        return sent
    return asyncio.run(run())


def assert_within_limits(sent: list[float]) -> None:
    gaps = [b - a for a, b in zip(sent, sent[1:])]
    assert min(gaps) >= (1 - TOLERANCE) * INTERVAL - 1e-9  # never a burst
    for first, last in zip(sent, sent[HEADROOM:]):
        assert last - first > 1.0  # 30 sends span more than a second: ≤ 29 in any second


def test_lateness_is_not_compounded():
    """Every wake-up is late by up to a quarter interval: the pace stays 30 per 1.05 s.
    (Counting each interval from the late start instead lost the lateness every time.)"""
    rng = random.Random(19)
    clock = LateClock(rng.uniform(0, TOLERANCE * INTERVAL) for _ in range(10_000))
    sent = send_times(clock, [str(i) for i in range(600)])
    assert sent[-1] - sent[0] <= 599 * INTERVAL + TOLERANCE * INTERVAL
    assert_within_limits(sent)


def test_a_late_event_loop_never_bursts():
    """Idle for five seconds, then a wake-up two seconds late: nothing is sent to catch up,
    the next messages go out spaced as usual."""
    lateness = [0.0] * 69 + [2.0]
    sent = send_times(LateClock(lateness), [str(i) for i in range(100)], idle={40: 5.0})
    assert_within_limits(sent)
    gaps = [b - a for a, b in zip(sent, sent[1:])]
    assert gaps[39] >= 5.0 and max(gaps[60:]) >= 2.0  # the idle and late spans happened


@settings(max_examples=200, deadline=None)
@given(lateness=st.lists(st.one_of(st.floats(0, 2 * INTERVAL), st.sampled_from([0.0, 1.5])),
                         min_size=1, max_size=300),
       idle=st.dictionaries(st.integers(0, 120), st.floats(0, 3), max_size=5),
       chats=st.integers(1, 200))
def test_no_second_ever_holds_more_than_the_headroom(lateness, idle, chats):
    names = [str(-i if i % 3 else i) for i in range(chats)]  # some groups among them
    sent = send_times(LateClock(lateness), [names[i % chats] for i in range(120)], idle)
    assert_within_limits(sent)


def test_chat_and_group_limits_hold_with_late_wakeups():
    rng = random.Random(7)
    chats = ["7"] * 3 + ["-100"] * 25
    clock = LateClock(rng.uniform(0, INTERVAL) for _ in range(10_000))
    sent = send_times(clock, chats)
    private, group = sent[:3], sent[3:]
    assert all(b - a >= TELEGRAM.chat_interval * SAFETY for a, b in zip(private, private[1:]))
    assert group[20] - group[0] >= 60 * SAFETY
