"""Run the real ZaloChannel (built by `bot.zalo.create`, real delivery, real database) against
FakeZalo, in polling or webhook mode.

`deliver(event)` hands an event over the way Zalo would (queued for getUpdates, or POSTed
to the webhook with the secret header) and returns the texts the bot sent meanwhile.
Waiting is on conditions, never on sleeps.
"""
from __future__ import annotations

import itertools
import json
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import pytest
from aiohttp import web

from bot.delivery import message_handler
from bot.inbox import Inbox, durable_handler
from bot.web import make_web_app
from bot.zalo import WEBHOOK_PATH, ZaloChannel, create
from tests.fakes.zalo_api import FakeZalo

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "zalo"
PUBLIC_URL = "https://bot.example.vn"
SECRET = "zalo-webhook-secret_for-tests"

_message_ids = itertools.count(1)


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def text_event(user_id: str, name: str, text: str, chat_id: str = "", **extra) -> dict:
    """A `message.text.received` event; a private chat unless `chat_id` names a group."""
    message = {"from": {"id": user_id, "display_name": name, "is_bot": False},
               "chat": {"id": chat_id or user_id, "chat_type": "GROUP" if chat_id else "PRIVATE"},
               "text": text, "message_id": f"{next(_message_ids):020x}",
               "date": 1795572000000, **extra}
    return {"event_name": "message.text.received", "message": message}


class ZaloHarness:
    def __init__(self, fake: FakeZalo, channel: ZaloChannel, mode: str) -> None:
        self.fake, self.channel, self.mode = fake, channel, mode

    async def deliver(self, event: dict, *, wrapped: bool = True) -> list[str]:
        before = len(self.fake.calls)
        if self.mode == "polling":
            self.fake.push(event)
            await self.fake.drained()
        else:
            body = {"ok": True, "result": event} if wrapped else event
            status = await self.fake.deliver(body)
            assert status == 200, status
        chat_id = event["message"]["chat"]["id"]
        return [c.params.get("text") or c.params.get("caption") or ""
                for c in self.fake.calls[before:]
                if c.method in ("sendMessage", "sendPhoto") and c.params.get("chat_id") == chat_id]


@asynccontextmanager
async def running_zalo(app, fake: FakeZalo, mode: str, monkeypatch, *,
                       public_url: str = PUBLIC_URL,
                       inbox: Inbox | None = None) -> AsyncIterator[ZaloHarness]:
    """The app's Zalo channel as `hamletbot run` builds it, pointed at the fake (behind
    `inbox` when one is given, as `hamletbot run` wires it)."""
    monkeypatch.setenv("HAMLETBOT_ZALO_TOKEN", fake.token)
    monkeypatch.setenv("HAMLETBOT_ZALO_SECRET", SECRET)
    app.settings.zalo.base_url, app.settings.zalo.mode = fake.url, mode
    app.settings.web.public_url = public_url
    web_app = make_web_app(app.settings.web)
    channel = create(app, web_app)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    fake.route_public(PUBLIC_URL, f"http://127.0.0.1:{runner.addresses[0][1]}")
    if mode == "webhook":
        fake.webhook = {"url": PUBLIC_URL + WEBHOOK_PATH, "secret": SECRET}
    await channel.start(durable_handler(inbox, channel, app) if inbox else
                        message_handler(channel, app))
    try:
        yield ZaloHarness(fake, channel, mode)
    finally:
        await channel.stop()
        await runner.cleanup()


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    """A started FakeZalo; a request to a path it does not serve fails the test."""
    server = FakeZalo()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
    assert not server.unexpected, server.unexpected
