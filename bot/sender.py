"""The outbox sender: delivers pending rows per platform under that platform's rate limits.

- A row is marked sent only after the channel's `send` returned (the platform confirmed).
  A crash between the two repeats that one message on restart, never loses it; a chat's
  rows go out one at a time and in order, so at most one message per chat repeats.
- A failed send goes to the one delivery policy (bot/delivery.py: retry with back-off,
  unlink a gone chat, fail and tell the admins), as a failed live reply does. A
  retry-after also pauses the whole platform here: Telegram's flood control is per bot.
- The limits (bot/limits.py) are kept on the monotonic clock. All chats of a pass wait at
  once, a chat waiting out its own interval holds nothing, and at most `concurrency`
  sends are in flight, so a slow chat or round trip does not idle the overall rate.
"""
from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels import Channel, RetryableError
from bot.config import SenderSettings
from bot.delivery import DeliveryPolicy, reply_from_payload
from bot.limits import LIMITS, Limiter, Limits
from bot.metrics import Metrics
from models.outbox import Due, claim, payload_if_pending, release, set_row

log = logging.getLogger(__name__)

BATCH = 5000  # row ids read per pass (payloads are read one at a time)


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
        limiter, slots = self.limiters[platform], asyncio.Semaphore(self.concurrency)

        async def one_chat(queue: list[Due]) -> int:
            for tried, row in enumerate(queue, 1):
                await limiter.ready(row.chat_id)  # a chat waiting its turn holds no slot
                async with slots:
                    sent = await self._deliver(platform, row)
                if not sent:
                    await self._release(queue[tried:])
                    return tried
            return len(queue)

        tasks = [asyncio.ensure_future(one_chat(q)) for q in chats.values()]
        try:
            return sum(await asyncio.gather(*tasks))
        finally:  # one chat's error ends the pass: the others stop too, as in a crash
            for task in tasks:
                task.cancel()

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
                async with asyncio.timeout(self.settings.send_timeout_seconds):  # no extra task
                    await self.channels[platform].send(row.chat_id, reply_from_payload(payload))
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
