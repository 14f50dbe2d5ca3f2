"""A fake Telegram Bot API server for tests and benchmarks, in-process, on 127.0.0.1 port 0.

Point python-telegram-bot at it with `base_url=fake.base_url` (`http://127.0.0.1:PORT/bot`;
PTB appends the token, PLATFORMS.md B.1). It serves the methods the bot uses, records every
request, answers `getUpdates` from a queue of updates (offset and long-poll timeout
honoured, waiting on a condition, never sleeping), serves queued errors with the HTTP status
equal to `error_code` (PTB decides by status, PLATFORMS.md B.3), can hold a request until
the test releases it (slow responses), and records any path it does not know so the test
fails on it.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# Fields PTB sends JSON-encoded inside form data (PLATFORMS.md B.1).
JSON_FIELDS = {"reply_markup", "allowed_updates", "entities", "caption_entities",
               "link_preview_options", "reply_parameters"}
INT_FIELDS = {"offset", "timeout", "limit", "message_id", "max_connections",
              "message_thread_id"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Canned:
    """A queued answer for the next call of `method`: an error, or a hold until released."""
    error_code: int = 0
    description: str = ""
    parameters: dict | None = None
    hold: asyncio.Event | None = None


class FakeTelegram:
    def __init__(self, token: str, *, username: str = "hamlet_bot", bot_id: int = 777000) -> None:
        self.token, self.username, self.bot_id = token, username, bot_id
        self.calls: list[Call] = []
        self.counts: Counter[str] = Counter()  # calls per method, cheap to wait on
        self.unexpected: list[str] = []
        self.webhook: dict[str, Any] | None = None
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(5000)
        self._chats: dict[int, dict] = {}
        self._canned: dict[str, list[Canned]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> "FakeTelegram":
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._serve)
        # a request whose client went away (a cancelled long poll) ends with it, as on a
        # real server: nothing waits for an abandoned getUpdates at shutdown
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)  # loopback only
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        for canned in self._canned.values():
            for item in canned:
                if item.hold:
                    item.hold.set()
        if self._runner:
            await self._runner.cleanup()

    # --- what a test does -------------------------------------------------------------

    def stamp(self, update: dict) -> dict:
        """The update with the next update_id (unless it has one); its chats are remembered
        so that sent messages echo the right chat type."""
        update = {"update_id": next(self._update_ids), **update}
        for chat in _chats_in(update):
            self._chats[chat["id"]] = chat
        return update

    async def push(self, update: dict) -> dict:
        """Queue an update for getUpdates (polling)."""
        update = self.stamp(update)
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return update

    def fail(self, method: str, error_code: int, description: str,
             parameters: dict | None = None, times: int = 1) -> None:
        """The next `times` calls of `method` fail this way."""
        for _ in range(times):
            self._canned.setdefault(method, []).append(
                Canned(error_code, description, parameters))

    def hold(self, method: str) -> asyncio.Event:
        """The next call of `method` waits until the returned event is set (a slow answer)."""
        event = asyncio.Event()
        self._canned.setdefault(method, []).append(Canned(hold=event))
        return event

    def forget(self) -> None:
        """Drop the recorded calls (after start-up traffic, between benchmark runs)."""
        self.calls.clear()
        self.counts.clear()

    def sent(self, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.calls if c.method == method]

    @property
    def unconfirmed(self) -> int:
        """Updates not yet confirmed by a getUpdates offset: Telegram would deliver them again."""
        return len(self._updates)

    async def wait_until(self, condition, timeout: float = 10) -> None:
        """Wait until `condition()` holds; it is checked whenever a request or update arrives."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), timeout)

    async def wait_for(self, method: str, count: int, timeout: float = 10) -> list[Call]:
        """Wait until `count` calls of `method` were recorded (the timeout is a safety net)."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: self.counts[method] >= count), timeout)
        return self.sent(method)

    # --- the server ---------------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        prefix = f"/bot{self.token}/"
        if not request.path.startswith("/bot"):
            self.unexpected.append(f"{request.method} {request.path}")
            return _error(404, "Not Found")
        if not request.path.startswith(prefix):
            return _error(401, "Unauthorized")  # a well-formed but wrong token
        method = request.path[len(prefix):]
        handler = getattr(self, f"_m_{method}", None)
        if request.method != "POST" or handler is None:
            self.unexpected.append(f"{request.method} /bot<token>/{method}")
            return _error(404, "Not Found")
        params, files = await _read_params(request)
        async with self._changed:
            self.calls.append(Call(method, params, files))
            self.counts[method] += 1
            self._changed.notify_all()
        queue = self._canned.get(method)
        if queue:
            canned = queue.pop(0)
            if canned.hold:
                await canned.hold.wait()
            else:
                return _error(canned.error_code, canned.description, canned.parameters)
        result = await handler(params, files)
        return web.json_response({"ok": True, "result": result})

    async def _m_getMe(self, params, files):
        return {"id": self.bot_id, "is_bot": True, "first_name": "Hamlet",
                "username": self.username, "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def _m_deleteWebhook(self, params, files):
        self.webhook = None
        return True

    async def _m_setWebhook(self, params, files):
        self.webhook = params
        return True

    async def _m_getUpdates(self, params, files):
        offset = params.get("offset", 0)
        limit = params.get("limit", 100)
        async with self._changed:
            if offset:  # an update is confirmed by asking for a higher offset (Bot API #getupdates)
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                self._changed.notify_all()
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: self._updates),
                                       params.get("timeout", 0) or 0.001)
            except TimeoutError:
                return []
        return self._updates[:limit]

    async def _m_sendMessage(self, params, files):
        return self._message(params, text=params.get("text"))

    async def _m_sendPhoto(self, params, files):
        photo = [{"file_id": "photo-1", "file_unique_id": "p1", "width": 800, "height": 600}]
        return self._message(params, photo=photo, caption=params.get("caption"))

    async def _m_sendDocument(self, params, files):
        document = {"file_id": "doc-1", "file_unique_id": "d1"}
        return self._message(params, document=document, caption=params.get("caption"))

    async def _m_answerCallbackQuery(self, params, files):
        return True

    async def _m_editMessageReplyMarkup(self, params, files):
        return self._message(params)

    def _message(self, params: dict, **content) -> dict:
        chat_id = int(params["chat_id"])
        chat = self._chats.get(chat_id, {"id": chat_id,
                                         "type": "private" if chat_id > 0 else "group"})
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": chat, "from": {"id": self.bot_id, "is_bot": True,
                                          "first_name": "Hamlet", "username": self.username}}
        message.update({k: v for k, v in content.items() if v is not None})
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message


async def _read_params(request: web.Request) -> tuple[dict, dict[str, bytes]]:
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    if request.content_type == "application/json":
        return await request.json(), files
    form = await request.post()  # form-urlencoded and multipart alike
    for name, value in form.items():
        if isinstance(value, web.FileField):
            files[name] = value.file.read()
        elif name in JSON_FIELDS:
            params[name] = json.loads(value)
        elif name in INT_FIELDS:
            params[name] = int(value)
        else:
            params[name] = value
    return params, files


def _chats_in(update: dict) -> list[dict]:
    found = []
    for key in ("message", "edited_message", "callback_query", "my_chat_member"):
        message = update.get(key)
        if key == "callback_query" and message:
            message = message.get("message")
        if message and "chat" in message:
            found.append(message["chat"])
    return found


def _error(code: int, description: str, parameters: dict | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)
