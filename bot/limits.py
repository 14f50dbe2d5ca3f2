"""The platforms' rate limits, kept by the outbox sender (bot/sender.py) on the monotonic clock.

Telegram counts messages per second for the whole bot, per chat, and per minute per group
(PLATFORMS.md [TGFAQ]). Every check is made again at the moment of sending, and every
window is stretched by SAFETY: our clock and the platform's differ, and a request reaches
the platform a little after we send it.
"""
from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Awaitable, Callable

SAFETY = 1.05  # stretch every limit window a little: our clock and the platform's differ
TOLERANCE = 0.25  # of the pacing interval: how late a send may start and keep the next slot


@dataclass(frozen=True)
class Limits:
    per_second: int  # messages per second, whole bot
    chat_interval: float  # seconds between two messages to one chat
    group_per_minute: int | None  # messages per minute to one group

    def is_group(self, platform: str, chat_id: str) -> bool:
        # Telegram group ids are negative (PLATFORMS.md B.9); Zalo does not say: assume any.
        return self.group_per_minute is not None and (platform != "telegram"
                                                      or chat_id.startswith("-"))


# Telegram: bot FAQ (PLATFORMS.md [TGFAQ], PTB AIORateLimiter defaults). Zalo documents no
# numbers (PLATFORMS.md A.6), so it gets a conservative third of Telegram's overall rate.
LIMITS = {"telegram": Limits(30, 1.0, 20), "zalo": Limits(10, 1.0, 20),
          "console": Limits(1000, 0.0, None)}


class Pacer:
    """`rate` sends a second, paced by when each send starts.

    A send is due one interval after the previous one was due, so a send that starts a
    little late (up to `tolerance` of an interval: a busy event loop wakes late) does not
    push back all later ones. A send later than that (an idle or stalled loop) starts the
    schedule afresh from itself: nothing is sent to catch up. So two sends are never
    closer than (1 - tolerance) intervals, and a span of L seconds never holds more than
    1 + (L + tolerance·interval) / interval sends: at 30/1.05 a second, 29 in any second
    (one spare for network jitter; tests/test_limits.py checks it on a fake clock)."""

    def __init__(self, rate: float, tolerance: float = TOLERANCE) -> None:
        self.interval = 1 / rate
        self.slack = tolerance * self.interval
        self.due = float("-inf")

    def wait(self, now: float) -> float:
        """Seconds until the next send is due (0 when it is)."""
        delay = self.due - now
        return delay if delay > 1e-6 else 0.0  # below a clock tick: a rounding error

    def take(self, now: float) -> None:
        self.due = max(self.due + self.interval, now + self.interval - self.slack)


class Limiter:
    """Waits until one more message to `chat_id` keeps within the limits, then counts it.
    `now` is a monotonic clock. A chat's own limits are waited for first, holding nothing;
    then senders take turns (first come, first served) at the overall pace, so only one
    of them sleeps towards the next slot."""

    def __init__(self, limits: Limits, platform: str, now: Callable[[], float],
                 sleep: Callable[[float], Awaitable[None]]) -> None:
        self.limits, self.platform, self.now, self.sleep = limits, platform, now, sleep
        self.pacer = Pacer(limits.per_second / SAFETY)
        self.turn = asyncio.Lock()
        self.last: dict[str, float] = {}
        self.groups: dict[str, deque[float]] = {}
        self.paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.now() + seconds)

    def chat_wait(self, chat_id: str, now: float) -> float:
        """Seconds until the platform's pause and `chat_id`'s own limits allow a message."""
        lim = self.limits
        waits = [self.paused_until - now]
        if chat_id in self.last:
            waits.append(self.last[chat_id] + lim.chat_interval * SAFETY - now)
        group = self.groups.get(chat_id)
        if group is not None:
            while group and group[0] <= now - 60 * SAFETY:
                group.popleft()
            if len(group) >= lim.group_per_minute:
                waits.append(group[0] + 60 * SAFETY - now)
        return max(waits)

    def done(self, chat_id: str) -> None:
        """The send returned: the platform saw it no later than now, so a chat's interval
        counts from here (latency must not let two messages arrive closer than allowed)."""
        self.last[chat_id] = self.now()

    async def ready(self, chat_id: str) -> None:
        """Wait for the pause and the chat's own limits (they only ease as time passes)."""
        while (delay := self.chat_wait(chat_id, self.now())) > 0:
            await self.sleep(delay)

    async def acquire(self, chat_id: str) -> None:
        await self.ready(chat_id)
        async with self.turn:
            now = self.now()
            while (delay := max(self.chat_wait(chat_id, now), self.pacer.wait(now))) > 0:
                await self.sleep(delay)
                now = self.now()
            # no await between this check and the send
            self.pacer.take(now)
            self.last[chat_id] = now
            if self.limits.is_group(self.platform, chat_id):
                self.groups.setdefault(chat_id, deque()).append(now)
        if len(self.last) > 50_000:  # forget chats that are past their interval
            self.last = {c: t for c, t in self.last.items()
                         if t > now - self.limits.chat_interval * SAFETY}
            self.groups = {c: g for c, g in self.groups.items() if g and g[-1] > now - 60 * SAFETY}
