"""From a handled message to the platform: send the replies, and queue what fails.

The message's effects are already committed when its replies go out, so a reply that
cannot be sent now is written to the outbox (retried by the sender) rather than lost.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels import Channel, OnMessage, PlatformError, RetryableError
from bot.dispatch import Dispatcher
from bot.metrics import Metrics
from handlers.types import Incoming, Reply
from models.outbox import enqueue

log = logging.getLogger(__name__)


def reply_payload(reply: Reply) -> dict:
    """A reply as JSON for the outbox (images and documents base64-encoded)."""
    return reply.to_json()


def reply_from_payload(payload: dict) -> Reply:
    return Reply.from_json(payload)


async def send_or_queue(channel: Channel, chat_id: str, replies: list[Reply], *, key: str,
                        sessions: async_sessionmaker[AsyncSession],
                        clock: Callable[[], datetime], metrics: Metrics) -> None:
    """Send in order; from the first failure on, queue the rest so their order holds."""
    for index, reply in enumerate(replies):
        try:
            with metrics.send_seconds.labels(channel.name).time():
                await channel.send(chat_id, reply)
            continue
        except PlatformError as exc:
            error, retry = exc, isinstance(exc, RetryableError)
        except Exception as exc:  # network trouble the channel did not classify
            error, retry = exc, True
        log.warning("reply to %s:%s not delivered (%s); queued %d reply(ies)",
                    channel.name, chat_id, type(error).__name__, len(replies) - index)
        async with sessions() as session:
            for later, pending in enumerate(replies[index:], start=index):
                await enqueue(f"{key}:{later}", channel.name, chat_id, reply_payload(pending),
                              now=clock(), last_error=str(error)[:500],
                              status="pending" if retry else "failed", session=session)
            await session.commit()
        return


def message_handler(channel: Channel, dispatcher: Dispatcher,
                    sessions: async_sessionmaker[AsyncSession],
                    clock: Callable[[], datetime]) -> OnMessage:
    """What a channel calls for each incoming message."""
    async def on_message(msg: Incoming) -> None:
        replies = await dispatcher.handle(msg)
        await send_or_queue(channel, msg.chat_id, replies, key=f"reply:{msg.key}",
                            sessions=sessions, clock=clock, metrics=dispatcher.metrics)
    return on_message
