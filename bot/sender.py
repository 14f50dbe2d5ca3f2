"""The outbox sender: delivers pending rows per platform under that platform's rate limits.

- A row is marked sent only after the channel's `send` returned (the platform confirmed).
  A crash between the two repeats that one message on restart, never loses it; a chat's
  rows go out one at a time and in order, so at most one message per chat repeats.
- RetryableError / timeouts / unclassified errors: retried with exponential back-off and
  jitter, never sooner than the platform's retry-after (which also pauses the whole
  platform: Telegram's flood control is per bot).
- RecipientGone: the chat's link is deactivated and its pending rows fail.
- Misconfigured, or attempts used up: the row is `failed` (see `hamletbot outbox status`)
  and each admin gets a notice in their private chat. Notices never cause notices, and
  there is at most one per admin per platform per hour.
"""
from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels import Channel, Misconfigured, RecipientGone, RetryableError
from bot.config import SenderSettings
from bot.delivery import reply_from_payload, reply_payload
from bot.metrics import Metrics
from handlers.types import Reply
from models.base import as_utc
from models.members import ChatLink, Member
from models.outbox import Outbox, enqueue

log = logging.getLogger(__name__)

NOTICE = "notice:"  # key prefix of admin notices; a failed notice tells nobody (no loops)
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


class Limiter:
    """Waits until one more message to `chat_id` keeps within the limits, then counts it."""

    def __init__(self, limits: Limits, platform: str, now: Callable[[], float],
                 sleep: Callable[[float], Awaitable[None]]) -> None:
        self.limits, self.platform, self.now, self.sleep = limits, platform, now, sleep
        self.recent: deque[float] = deque()
        self.last: dict[str, float] = {}
        self.groups: dict[str, deque[float]] = {}
        self.paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.now() + seconds)

    def wait(self, chat_id: str, now: float) -> float:
        lim = self.limits
        waits = [self.paused_until - now]
        while self.recent and self.recent[0] <= now - SAFETY:
            self.recent.popleft()
        if len(self.recent) >= lim.per_second:
            waits.append(self.recent[0] + SAFETY - now)
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
        now = self.now()
        self.recent.append(now)
        self.last[chat_id] = now
        if self.limits.is_group(self.platform, chat_id):
            self.groups.setdefault(chat_id, deque()).append(now)
        if len(self.last) > 50_000:  # forget chats that are past their interval
            self.last = {c: t for c, t in self.last.items()
                         if t > now - self.limits.chat_interval * SAFETY}
            self.groups = {c: g for c, g in self.groups.items() if g and g[-1] > now - 60 * SAFETY}


@dataclass
class _Row:
    id: int
    key: str
    chat_id: str
    attempts: int


class Sender:
    def __init__(self, channels: dict[str, Channel], *,
                 sessions: async_sessionmaker[AsyncSession], render: Callable[..., str],
                 settings: SenderSettings, clock: Callable[[], datetime],
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 rng: random.Random | None = None, limits: dict[str, Limits] = LIMITS,
                 concurrency: int = 64, metrics: Metrics | None = None) -> None:
        self.channels, self.sessions, self.render = channels, sessions, render
        self.settings, self.clock, self.sleep = settings, clock, sleep
        self.rng = rng or random.Random()
        self.limiters = {name: Limiter(limits.get(name, LIMITS["zalo"]), name,
                                       lambda: clock().timestamp(), sleep)
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
        chats = await self._claim(platform)
        slots = asyncio.Semaphore(self.concurrency)

        async def one_chat(queue: list[_Row]) -> int:
            async with slots:
                for tried, row in enumerate(queue, 1):
                    if not await self._deliver(platform, row):
                        await self._release(queue[tried:])
                        return tried
                return len(queue)

        return sum(await asyncio.gather(*(one_chat(q) for q in chats.values())))

    async def _claim(self, platform: str) -> dict[str, list[_Row]]:
        """Claim the due rows of chats no other sender is working on, in one transaction.

        PostgreSQL skips rows another sender is claiming right now (FOR UPDATE SKIP
        LOCKED); the compare-and-set UPDATE settles SQLite, which has one writer."""
        now = self.clock()
        self._passes += 1
        token = f"{self.instance}:{self._passes}"
        async with self.sessions() as session:
            query = (select(Outbox.id, Outbox.key, Outbox.chat_id, Outbox.attempts,
                            Outbox.next_attempt, Outbox.claimed_until)
                     .where(Outbox.status == "pending", Outbox.platform == platform)
                     .order_by(Outbox.id).limit(BATCH))
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            candidates: dict[int, _Row] = {}
            blocked: set[str] = set()
            for id_, key, chat_id, attempts, next_attempt, claimed in await session.exec(query):
                if chat_id in blocked:
                    continue
                # a chat's later rows wait for its earlier ones, and for another sender
                if as_utc(next_attempt) > now or (claimed and as_utc(claimed) > now):
                    blocked.add(chat_id)
                    continue
                candidates[id_] = _Row(id_, key, chat_id, attempts)
            mine: set[int] = set()
            for i in range(0, len(candidates), 500):  # SQLite's bound-parameter limit
                ids = list(candidates)[i:i + 500]
                await session.exec(update(Outbox).where(
                    col(Outbox.id).in_(ids), Outbox.status == "pending",
                    or_(col(Outbox.claimed_until).is_(None), Outbox.claimed_until <= now),
                ).values(claimed_by=token, claimed_until=now + self.lease))
                mine.update(await session.exec(select(Outbox.id).where(
                    col(Outbox.id).in_(ids), Outbox.claimed_by == token)))
            await session.commit()
        chats: dict[str, list[_Row]] = {}
        for id_, row in candidates.items():
            if id_ in mine:
                chats.setdefault(row.chat_id, []).append(row)
        return chats

    async def _release(self, rows: list[_Row]) -> None:
        """Rows of a chat left untried after an earlier one failed: free them now."""
        if rows:
            async with self.sessions() as session:
                await session.exec(update(Outbox).where(col(Outbox.id).in_([r.id for r in rows]))
                                   .values(claimed_by=None, claimed_until=None))
                await session.commit()

    async def _deliver(self, platform: str, row: _Row) -> bool:
        """Send one row; True when it was sent (the chat may go on)."""
        async with self.sessions() as session:
            outbox = await session.get(Outbox, row.id)
            if outbox is None or outbox.status != "pending":
                return True
            reply = reply_from_payload(outbox.payload)
        await self.limiters[platform].acquire(row.chat_id)
        try:
            with self.metrics.send_seconds.labels(platform).time():
                await asyncio.wait_for(self.channels[platform].send(row.chat_id, reply),
                                       self.settings.send_timeout_seconds)
        except RetryableError as exc:
            self.limiters[platform].done(row.chat_id)
            if exc.retry_after:
                self.limiters[platform].pause(exc.retry_after)
            await self._retry(platform, row, exc, exc.retry_after)
            return False
        except RecipientGone as exc:
            await self._gone(platform, row, exc)
            return False
        except Misconfigured as exc:
            await self._fail(platform, row, exc)
            return False
        except Exception as exc:  # timeouts and network errors the channel did not classify
            await self._retry(platform, row, exc, None)
            return False
        self.limiters[platform].done(row.chat_id)
        await self._set(row.id, status="sent", attempts=row.attempts + 1, sent_at=self.clock(),
                        last_error=None, claimed_by=None, claimed_until=None)
        return True

    def backoff(self, attempts: int) -> float:
        """Exponential, capped, with jitter (half fixed, half random) so retries spread."""
        s = self.settings
        delay = min(s.max_delay_seconds, s.base_delay_seconds * 2 ** (attempts - 1))
        return delay * (0.5 + self.rng.random() / 2)

    async def _retry(self, platform: str, row: _Row, exc: Exception,
                     retry_after: float | None) -> None:
        attempts = row.attempts + 1
        if attempts >= self.settings.max_attempts:
            await self._fail(platform, row, exc, attempts=attempts)
            return
        delay = max(self.backoff(attempts), retry_after or 0)
        log.info("outbox %s: %s, retry %d in %.0f s", row.key, type(exc).__name__,
                 attempts, delay)
        await self._set(row.id, attempts=attempts, last_error=_describe(exc),
                        next_attempt=self.clock() + timedelta(seconds=delay),
                        claimed_by=None, claimed_until=None)

    async def _gone(self, platform: str, row: _Row, exc: Exception) -> None:
        """The chat is gone: unlink it and fail everything still queued for it."""
        async with self.sessions() as session:
            await session.exec(update(ChatLink).where(
                ChatLink.platform == platform, ChatLink.chat_id == row.chat_id).values(active=False))
            await session.exec(update(Outbox).where(
                Outbox.platform == platform, Outbox.chat_id == row.chat_id,
                Outbox.status == "pending").values(status="failed", last_error=_describe(exc)))
            await session.exec(update(Outbox).where(Outbox.id == row.id).values(
                attempts=row.attempts + 1))
            await self._notify_admins(platform, row, exc, session=session)
            await session.commit()
        log.warning("outbox %s: chat %s:%s is gone; link deactivated", row.key, platform,
                    row.chat_id)

    async def _fail(self, platform: str, row: _Row, exc: Exception,
                    attempts: int | None = None) -> None:
        async with self.sessions() as session:
            await session.exec(update(Outbox).where(Outbox.id == row.id).values(
                status="failed", attempts=attempts or row.attempts + 1,
                last_error=_describe(exc)))
            await self._notify_admins(platform, row, exc, session=session)
            await session.commit()
        log.error("outbox %s failed: %s", row.key, _describe(exc))

    async def _notify_admins(self, platform: str, row: _Row, exc: Exception,
                             *, session: AsyncSession) -> None:
        if row.key.startswith(NOTICE):
            return
        failed = (await session.exec(select(func.count()).select_from(Outbox).where(
            Outbox.platform == platform, Outbox.status == "failed"))).one()
        hour = self.clock().strftime("%Y-%m-%dT%H")
        text = self.render("outbox/failed_admin.j2", count=failed, platform=platform,
                           error=type(exc).__name__)
        admins = await session.exec(select(Member).where(
            Member.role == "admin", Member.active, col(Member.platform).in_(list(self.channels))))
        for admin in admins:
            await enqueue(f"{NOTICE}failed:{platform}:{hour}:{admin.platform}:{admin.user_id}",
                          admin.platform, admin.user_id, reply_payload(Reply(text)),
                          now=self.clock(), session=session)

    async def _set(self, row_id: int, **values) -> None:
        async with self.sessions() as session:
            await session.exec(update(Outbox).where(Outbox.id == row_id).values(**values))
            await session.commit()


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


async def outbox_status(*, session: AsyncSession, failed_limit: int = 20) -> dict:
    """Counts per platform and status, the oldest pending row, and the latest failures."""
    counts = {(p, s): n for p, s, n in await session.exec(
        select(Outbox.platform, Outbox.status, func.count()).group_by(Outbox.platform,
                                                                        Outbox.status))}
    oldest = (await session.exec(select(func.min(Outbox.created_at)).where(
        Outbox.status == "pending"))).one()
    failed = list(await session.exec(select(Outbox).where(Outbox.status == "failed")
                                     .order_by(col(Outbox.id).desc()).limit(failed_limit)))
    return {"counts": counts, "oldest_pending": as_utc(oldest) if oldest else None,
            "failed": failed}
