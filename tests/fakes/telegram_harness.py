"""Run the real TelegramChannel (real PTB, real delivery, real database) against FakeTelegram.

`deliver(update)` hands an update over the way Telegram would in the chosen mode (queued
for getUpdates, or POSTed to the webhook route with the secret header) and returns the
messages the bot sent while handling it. Waiting is on conditions, never on sleeps.
"""
from __future__ import annotations

import asyncio
import itertools
from contextlib import asynccontextmanager
from typing import AsyncIterator

import aiohttp
from aiohttp import web

from bot.delivery import message_handler
from bot.inbox import Inbox, durable_handler
from bot.telegram import SECRET_HEADER, WEBHOOK_PATH, TelegramChannel
from bot.web import make_web_app
from tests.fakes.telegram_api import Call, FakeTelegram

TOKEN = "7311240977:AAF-hamletbot-test-token-never-logged"
SECRET = "webhook-secret_for-tests"
BOT = {"id": 777000, "is_bot": True, "first_name": "Hamlet", "username": "hamlet_bot"}
SENDS = ("sendMessage", "sendPhoto")
DATE = 1795658400  # 2026-11-25 in Ho Chi Minh City, as the test clock

_message_ids = itertools.count(100)


def user(user_id: int, first_name: str) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "vi"}


def chat(chat_id: int, kind: str = "") -> dict:
    kind = kind or ("private" if chat_id > 0 else "group")
    return {"id": chat_id, "type": kind, **({"title": "Nhóm"} if chat_id < 0 else {})}


def text_update(sender: dict, where: dict, text: str, **extra) -> dict:
    """A message update; a leading command gets its bot_command entity (PLATFORMS.md B.9)."""
    message = {"message_id": next(_message_ids), "date": DATE, "chat": where, "from": sender,
               "text": text, **extra}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split()[0])}]
    return {"message": message}


def press_update(sender: dict, shown: Call, number: int) -> dict:
    """Pressing button `number` (1-based) of the keyboard on a message the bot sent."""
    button = shown.params["reply_markup"]["inline_keyboard"][number - 1][0]
    where = chat(int(shown.params["chat_id"]))
    return {"callback_query": {
        "id": f"press{next(_message_ids)}", "from": sender, "chat_instance": "1",
        "data": button["callback_data"],
        "message": {"message_id": 1, "date": DATE, "chat": where, "from": BOT,
                    "text": shown.params["text"]}}}


class TelegramHarness:
    def __init__(self, app, fake: FakeTelegram, mode: str, inbox: Inbox | None = None) -> None:
        self.app, self.fake, self.mode, self.inbox = app, fake, mode, inbox
        self.handled = 0
        self._done = asyncio.Condition()
        self.web_app = make_web_app(app.settings.web)
        self.channel = TelegramChannel(
            token=TOKEN, sessions=app.sessions, clock=app.clock, log_guard=app.log_guard,
            mode=mode, secret=SECRET,
            web_app=self.web_app, base_url=fake.base_url, poll_timeout=5,
            poll_retry_seconds=0.05)
        self._runner: web.AppRunner | None = None
        self.webhook_url = ""
        self._client: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self.mode == "webhook":
            self._runner = web.AppRunner(self.web_app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]
            self.webhook_url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
            self._client = aiohttp.ClientSession()
        inner = (durable_handler(self.inbox, self.channel, self.app) if self.inbox else
                 message_handler(self.channel, self.app))

        async def counted(msg) -> None:
            try:
                await inner(msg)
            finally:
                async with self._done:
                    self.handled += 1
                    self._done.notify_all()

        await self.channel.start(counted)

    async def stop(self) -> None:
        await self.channel.stop()
        if self._client:
            await self._client.close()
        if self._runner:
            await self._runner.cleanup()

    async def post(self, body: bytes, headers: dict[str, str]) -> int:
        """A raw webhook request; its HTTP status."""
        async with self._client.post(self.webhook_url, data=body, headers=headers) as response:
            return response.status

    async def send_update(self, update: dict) -> dict:
        """Hand one update over as Telegram would; returns it with its update_id."""
        if self.mode == "polling":
            return await self.fake.push(update)
        update = self.fake.stamp(update)
        status = await self.post_update(update)
        assert status == 200, status
        return update

    async def post_update(self, update: dict) -> int:
        """POST one (stamped) update to the webhook with the secret; the HTTP status."""
        async with self._client.post(self.webhook_url, json=update,
                                     headers={SECRET_HEADER: SECRET}) as response:
            return response.status

    async def deliver(self, update: dict, messages: int = 1) -> list[Call]:
        """Deliver updates that reach the dispatcher; the sends made while handling them."""
        before, target = len(self.fake.calls), self.handled + messages
        await self.send_update(update)
        await self.handled_reaches(target)
        return [c for c in self.fake.calls[before:] if c.method in SENDS]

    async def handled_reaches(self, target: int, timeout: float = 10) -> None:
        """Wait until `target` messages in all have been through the dispatcher."""
        async with self._done:
            await asyncio.wait_for(self._done.wait_for(lambda: self.handled >= target), timeout)


@asynccontextmanager
async def running_telegram(app, mode: str,
                           inbox: Inbox | None = None) -> AsyncIterator[TelegramHarness]:
    """The channel with plain delivery, or behind `inbox` as `hamletbot run` wires it."""
    fake = await FakeTelegram(TOKEN).start()
    harness = TelegramHarness(app, fake, mode, inbox)
    try:
        await harness.start()
        yield harness
    finally:
        await harness.stop()
        await fake.close()
    assert fake.unexpected == [], fake.unexpected
