"""The channel protocol every platform adapter implements, and the shared platform errors.

A channel only translates: platform payload → `Incoming`, `Reply` → platform API calls.
Platform failures are mapped onto the three errors below; the outbox decides what to do.
"""
from __future__ import annotations

from typing import Awaitable, Callable, Protocol

from bot.planner import Capabilities
from handlers.types import Incoming, Reply

OnMessage = Callable[[Incoming], Awaitable[None]]


class Channel(Protocol):
    name: str  # the platform name used in Incoming.platform and in the database
    capabilities: Capabilities  # what `send` can carry; bot/planner.py adapts the rest

    async def start(self, on_message: OnMessage) -> None:
        """Begin receiving; each message is passed to `on_message`, which sends the replies
        back through `send`. Returns once receiving runs (the console: at end of input)."""

    async def stop(self) -> None: ...

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Send each part of `plan(reply, self.capabilities)` in order."""


class PlatformError(Exception):
    """Base of the errors a channel raises from `send`."""


class RetryableError(PlatformError):
    """Try again later (flood control, timeouts, 5xx); `retry_after` seconds if the platform said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RecipientGone(PlatformError):
    """The chat no longer accepts messages from us (blocked, kicked, deleted)."""


class Misconfigured(PlatformError):
    """Our side is wrong (bad token, bad request); retrying will not help."""
