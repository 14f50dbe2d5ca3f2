"""The outbox sender: delivers pending rows per platform under that platform's rate limits.

- A row is marked sent only after the channel's `send` returned (the platform confirmed).
  A crash between the two repeats that one message on restart, never loses it; a chat's
  rows go out one at a time and in order, so at most one message per chat repeats.
- A failed send goes to the one delivery policy (bot/delivery.py: retry with back-off,
  unlink a gone chat, fail and tell the admins), as a failed live reply does. A
  retry-after also pauses the whole platform here: Telegram's flood control is per bot.
"""
from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels import Channel, RetryableError
from bot.config import SenderSettings
from bot.delivery import DeliveryPolicy, reply_from_payload
from bot.metrics import Metrics
from models.outbox import Due, claim, payload_if_pending, release, set_row

log = logging.getLogger(__name__)

SAFETY = 1.05  # stretch every limit window a little: our clock and the platform's differ
BATCH = 5000  # row ids read per pass (payloads are read one at a time)


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


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up. Tokens are counted on the clock when
    one is taken, so an event loop that wakes late finds at most `burst`, never a backlog."""

    def __init__(self, rate: float, burst: float = 1.0) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, None

    def _refill(self, now: float) -> None:
        if self.stamp is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0 when one is)."""
        self._refill(now)
        delay = (1 - self.tokens) / self.rate
        return delay if delay > 1e-6 else 0.0  # below a clock tick: a rounding error

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1


class Limiter:
    """Waits until one more message to `chat_id` keeps within the limits, then counts it.
    `now` is a monotonic clock; every check is made again at the moment of sending."""

    def __init__(self, limits: Limits, platform: str, now: Callable[[], float],
                 sleep: Callable[[float], Awaitable[None]]) -> None:
        self.limits, self.platform, self.now, self.sleep = limits, platform, now, sleep
        self.bucket = TokenBucket(limits.per_second / SAFETY)
        self.last: dict[str, float] = {}
        self.groups: dict[str, deque[float]] = {}
        self.paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.now() + seconds)

    def wait(self, chat_id: str, now: float) -> float:
        lim = self.limits
        waits = [self.paused_until - now, self.bucket.wait(now)]
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

    async def acquire(self, chat_id: str) -> None:
        while (delay := self.wait(chat_id, self.now())) > 0:
            await self.sleep(delay)
        now = self.now()  # no await between this check and the send
        self.bucket.take(now)
        self.last[chat_id] = now
        if self.limits.is_group(self.platform, chat_id):
            self.groups.setdefault(chat_id, deque()).append(now)
        if len(self.last) > 50_000:  # forget chats that are past their interval
            self.last = {c: t for c, t in self.last.items()
                         if t > now - self.limits.chat_interval * SAFETY}
            self.groups = {c: g for c, g in self.groups.items() if g and g[-1] > now - 60 * SAFETY}


class Sender:
    def __init__(self, channels: dict[str, Channel], *,
                 sessions: async_sessionmaker[AsyncSession], render: Callable[..., str],
                 settings: SenderSettings, clock: Callable[[], datetime],
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 rng: random.Random | None = None, limits: dict[str, Limits] = LIMITS,
                 concurrency: int = 64, metrics: Metrics | None = None,
                 policy: DeliveryPolicy | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.channels, self.sessions = channels, sessions
        self.settings, self.clock, self.sleep = settings, clock, sleep
        self.policy = policy or DeliveryPolicy(
            sessions=sessions, render=render, settings=settings, clock=clock,
            platforms=list(channels), rand=(rng or random.Random()).random)
        self.limiters = {name: Limiter(limits.get(name, LIMITS["zalo"]), name, monotonic, sleep)
                         for name in channels}
        self.concurrency = concurrency
        self.metrics = metrics or Metrics()
        self.instance = secrets.token_hex(6)
        self._passes = 0
        # a claim outlives any send; after a crash the row is retried once it lapses
        self.lease = timedelta(seconds=max(300.0, 3 * settings.send_timeout_seconds))

    async def run(self, stop: asyncio.Event) -> None:
        """Drain every platform until `stop` is set."""
        await asyncio.gather(*(self._loop(name, stop) for name in self.channels))

    async def _loop(self, platform: str, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                handled = await self.drain(platform)
            except Exception:  # a database hiccup must not end delivery for good
                log.exception("outbox pass for %s failed", platform)
                handled = 0
            if not handled:
                try:
                    await asyncio.wait_for(stop.wait(), self.settings.poll_seconds)
                except asyncio.TimeoutError:
                    pass

    async def drain(self, platform: str) -> int:
        """One pass: every due row of `platform`, each chat's rows in order. Returns how
        many rows were tried."""
        self._passes += 1
        async with self.sessions() as session:
            chats = await claim(platform, token=f"{self.instance}:{self._passes}",
                                now=self.clock(), lease=self.lease, limit=BATCH,
                                session=session)
            await session.commit()
        slots = asyncio.Semaphore(self.concurrency)

        async def one_chat(queue: list[Due]) -> int:
            async with slots:
                for tried, row in enumerate(queue, 1):
                    if not await self._deliver(platform, row):
                        await self._release(queue[tried:])
                        return tried
                return len(queue)

        return sum(await asyncio.gather(*(one_chat(q) for q in chats.values())))

    async def _release(self, rows: list[Due]) -> None:
        """Rows of a chat left untried after an earlier one failed: free them now."""
        if rows:
            async with self.sessions() as session:
                await release([r.id for r in rows], session=session)
                await session.commit()

    async def _deliver(self, platform: str, row: Due) -> bool:
        """Send one row; True when it was sent (the chat may go on)."""
        async with self.sessions() as session:
            payload = await payload_if_pending(row.id, session=session)
        if payload is None:
            return True
        limiter = self.limiters[platform]
        await limiter.acquire(row.chat_id)
        try:
            with self.metrics.send_seconds.labels(platform).time():
                await asyncio.wait_for(self.channels[platform].send(
                    row.chat_id, reply_from_payload(payload)), self.settings.send_timeout_seconds)
        except Exception as exc:  # classified or not (timeouts, network), the policy decides
            if isinstance(exc, RetryableError):  # the platform saw it, and may ask for a pause
                limiter.done(row.chat_id)
                if exc.retry_after:
                    limiter.pause(exc.retry_after)
            await self.policy.failed(row, exc)
            return False
        limiter.done(row.chat_id)
        await self._set(row.id, status="sent", attempts=row.attempts + 1, sent_at=self.clock(),
                        last_error=None, claimed_by=None, claimed_until=None)
        return True

    async def _set(self, row_id: int, **values) -> None:
        async with self.sessions() as session:
            await set_row(row_id, session=session, **values)
            await session.commit()
