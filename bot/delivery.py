"""From a handled message to the platform, and the one policy for a send that fails.

The message's effects are already committed when its replies go out, so a reply that
cannot be sent now goes to the outbox, and `DeliveryPolicy` decides what becomes of it,
exactly as for a row the sender (bot/sender.py) failed to deliver:

- RetryableError, timeouts, unclassified errors: retried with back-off (bot/backoff.py),
  never sooner than the platform's retry-after, until `max_attempts`; then failed.
- RecipientGone: the chat's link is deactivated and its pending rows fail.
- Misconfigured: the row fails.
A row that fails tells each admin in their private chat, at most once per admin per
platform per hour; a failed notice tells nobody (no loops).
"""
from __future__ import annotations

import logging
import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import App
from bot.backoff import Backoff
from bot.channels import Channel, Misconfigured, OnMessage, RecipientGone, RetryableError
from bot.config import SenderSettings
from bot.metrics import Metrics
from handlers.types import Incoming, Reply
from models.members import active_admins, unlink_chat
from models.outbox import Due, due_by_key, enqueue, fail_chat, failed_count, set_row

log = logging.getLogger(__name__)

NOTICE = "notice:"  # key prefix of admin notices; a failed notice tells nobody (no loops)


def reply_payload(reply: Reply) -> dict:
    """A reply as JSON for the outbox (images and documents base64-encoded)."""
    return reply.to_json()


def reply_from_payload(payload: dict) -> Reply:
    return Reply.from_json(payload)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


class DeliveryPolicy:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], render: Callable[..., str],
                 settings: SenderSettings, clock: Callable[[], datetime], platforms: list[str],
                 rand: Callable[[], float] = random.random) -> None:
        self.sessions, self.render, self.settings, self.clock = sessions, render, settings, clock
        self.platforms = platforms  # admins on these platforms get the notices
        self.backoff = Backoff(settings.base_delay_seconds, settings.max_delay_seconds, rand)

    async def failed(self, row: Due, exc: Exception) -> None:
        """A send of `row` failed with `exc`: retry it later, or fail it (and say so)."""
        async with self.sessions() as session:
            await self._decide(row, exc, session=session)
            await session.commit()

    async def queue(self, platform: str, chat_id: str, payloads: list[tuple[str, dict]],
                    exc: Exception) -> None:
        """A live reply failed with `exc`: it and the replies after it (key, payload) go to
        the outbox in order, and the first one is decided on as the sender would."""
        async with self.sessions() as session:
            added = [await enqueue(key, platform, chat_id, payload, now=self.clock(),
                                   last_error=describe(exc), session=session)
                     for key, payload in payloads]
            first = await due_by_key(payloads[0][0], session=session)
            if added[0] and first is not None:  # a redelivery finds its rows decided on
                await self._decide(first, exc, session=session)
            await session.commit()

    async def _decide(self, row: Due, exc: Exception, *, session: AsyncSession) -> None:
        attempts = row.attempts + 1
        if isinstance(exc, RecipientGone):
            await unlink_chat(row.platform, row.chat_id, session=session)
            await fail_chat(row.platform, row.chat_id, describe(exc), session=session)
            await set_row(row.id, attempts=attempts, session=session)
            await self._notify_admins(row, exc, session=session)
            log.warning("outbox %s: chat %s:%s is gone; link deactivated", row.key,
                        row.platform, row.chat_id)
        elif isinstance(exc, Misconfigured) or attempts >= self.settings.max_attempts:
            await set_row(row.id, status="failed", attempts=attempts, last_error=describe(exc),
                          session=session)
            await self._notify_admins(row, exc, session=session)
            log.error("outbox %s failed: %s", row.key, describe(exc))
        else:
            retry_after = exc.retry_after if isinstance(exc, RetryableError) else None
            delay = max(self.backoff.delay(attempts), retry_after or 0)
            await set_row(row.id, attempts=attempts, last_error=describe(exc),
                          next_attempt=self.clock() + timedelta(seconds=delay),
                          claimed_by=None, claimed_until=None, session=session)
            log.info("outbox %s: %s, retry %d in %.0f s", row.key, type(exc).__name__,
                     attempts, delay)

    async def _notify_admins(self, row: Due, exc: Exception, *, session: AsyncSession) -> None:
        if row.key.startswith(NOTICE):
            return
        hour = self.clock().strftime("%Y-%m-%dT%H")
        text = self.render("outbox/failed_admin.j2", platform=row.platform,
                           count=await failed_count(row.platform, session=session),
                           error=type(exc).__name__)
        for admin in await active_admins(self.platforms, session=session):
            await enqueue(f"{NOTICE}failed:{row.platform}:{hour}:{admin.platform}:{admin.user_id}",
                          admin.platform, admin.user_id, reply_payload(Reply(text)),
                          now=self.clock(), session=session)


async def send_or_queue(channel: Channel, chat_id: str, replies: list[Reply], *, key: str,
                        policy: DeliveryPolicy, metrics: Metrics) -> None:
    """Send in order; from the first failure on, queue the rest so their order holds."""
    for index, reply in enumerate(replies):
        try:
            with metrics.send_seconds.labels(channel.name).time():
                await channel.send(chat_id, reply)
        except Exception as exc:  # classified or not, the policy decides
            log.warning("reply to %s:%s not delivered (%s); queued %d reply(ies)",
                        channel.name, chat_id, type(exc).__name__, len(replies) - index)
            await policy.queue(channel.name, chat_id, [
                (f"{key}:{later}", reply_payload(pending))
                for later, pending in enumerate(replies[index:], start=index)], exc)
            return


def where(replies: list[Reply], msg: Incoming) -> list[Reply]:
    """Answers go to the message's topic; the first one is a reply to the message."""
    return [replace(r, reply_to=msg.reply_to if i == 0 else "", thread_id=msg.thread_id)
            for i, r in enumerate(replies)]


def message_handler(channel: Channel, app: App, policy: DeliveryPolicy | None = None, *,
                    limited: bool = True) -> OnMessage:
    """What a channel calls for each incoming message: the app's dispatcher answers it, the
    replies go out (or to the outbox). Without a policy, the default sender settings apply
    and only this channel's admins hear of failures. `limited=False` skips the flood limit
    (replays from the inbox, bot/inbox.py)."""
    policy = policy or DeliveryPolicy(sessions=app.sessions, render=app.render,
                                      settings=SenderSettings(), clock=app.clock,
                                      platforms=[channel.name])

    async def on_message(msg: Incoming) -> None:
        replies = where(await app.dispatcher.handle(msg, limited=limited), msg)
        await send_or_queue(channel, msg.chat_id, replies, key=f"reply:{msg.key}",
                            policy=policy, metrics=app.metrics)
    return on_message
