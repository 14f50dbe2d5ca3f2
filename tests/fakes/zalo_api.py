"""A fake Zalo Bot Platform API server for tests (shapes from shared/PLATFORMS.md Part A).

aiohttp on 127.0.0.1, port 0. It serves `/bot<token>/<method>` for getMe, getUpdates (one
event per call from a queue; an idle poll answers 408 "Request timeout"), setWebhook,
deleteWebhook, getWebhookInfo, sendMessage, sendPhoto and sendChatAction; takes JSON,
form-urlencoded or query-string parameters; records every request; serves queued errors
(`fail`, `throttle`); holds a call until the test releases it (`hold`); and records any
other path in `unexpected`, which the test fixture turns into a failure. It pushes webhook
events like Zalo does (`deliver`) and fetches sendPhoto URLs like Zalo does, but only on
loopback: public addresses are mapped onto local ones with `route_public`, and anything
else is refused.
"""
from __future__ import annotations

import asyncio
import itertools
import json
from collections import defaultdict, deque
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

TOKEN = "1459232241454765289:fAkE-sEcReT-zalo-TOKEN-0123456789"
ME = {"id": "1459232241454765289", "account_name": "bot.VDKyGxQvc", "account_type": "BASIC",
      "can_join_groups": True, "display_name": "Bot Ấp"}
METHODS = {"getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo",
           "sendMessage", "sendPhoto", "sendChatAction"}
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class Call:
    method: str
    params: dict
    token_ok: bool


class FakeZalo:
    def __init__(self, token: str = TOKEN, *, idle_status: int = 408) -> None:
        self.token = token
        self.idle_status = idle_status  # Zalo answers an idle poll with HTTP 408 or 200
        self.calls: list[Call] = []
        self.unexpected: list[str] = []
        self.errors: dict[str, deque[tuple[int, dict, dict]]] = defaultdict(deque)
        self.holds: dict[str, deque[asyncio.Event]] = defaultdict(deque)
        self.webhook = {"url": "", "secret": ""}
        self.photos: list[tuple[int, bytes]] = []  # (status, bytes) of each fetched photo
        self._events: deque[dict] = deque()
        self._changed = asyncio.Event()
        self._closing = False
        self._polls = 0  # getUpdates calls that started waiting
        self._poll_of_last_event = 0
        self._public: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.url = ""

    # --- lifecycle ---------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)  # paths carry the token
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self._http = aiohttp.ClientSession()
        return self.url

    async def stop(self) -> None:
        self._closing = True
        for held in self.holds.values():
            for event in held:
                event.set()
        self._notify()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- scripting ------------------------------------------------------------------------
    def push(self, event: dict) -> None:
        """Queue an event for getUpdates (the inner object, `{event_name, message}`)."""
        self._events.append(event)
        self._notify()

    def fail(self, method: str, error_code: int, description: str, *, status: int = 200,
             times: int = 1, headers: dict | None = None) -> None:
        """The next `times` calls of `method` answer `ok:false` (on HTTP `status`)."""
        body = {"ok": False, "error_code": error_code, "description": description}
        for _ in range(times):
            self.errors[method].append((status, body, headers or {}))

    def throttle(self, method: str, times: int = 1) -> None:
        self.fail(method, 429, "Quota exceeded", status=429, times=times)

    def hold(self, method: str) -> asyncio.Event:
        """The next call of `method` waits until the returned event is set (a slow answer)."""
        event = asyncio.Event()
        self.holds[method].append(event)
        return event

    def route_public(self, public_url: str, local_url: str) -> None:
        """Reach `public_url` (webhook, photo URLs) at a loopback address instead."""
        self._public[public_url.rstrip("/")] = local_url.rstrip("/")

    def sent(self, method: str = "sendMessage") -> list[dict]:
        return [c.params for c in self.calls if c.method == method]

    def texts(self, chat_id: str | None = None) -> list[str]:
        return [p.get("text") or p.get("caption") or "" for c in self.calls
                if c.method in ("sendMessage", "sendPhoto")
                for p in [c.params] if chat_id is None or p.get("chat_id") == chat_id]

    async def deliver(self, body: dict, *, secret: str | None = None,
                      raw: bytes | None = None) -> int:
        """POST one webhook body to the URL set by setWebhook, as Zalo would; the status."""
        headers = {"Content-Type": "application/json",
                   "X-Bot-Api-Secret-Token": self.webhook["secret"] if secret is None else secret}
        data = raw if raw is not None else json.dumps(body).encode()
        async with self._http.post(self._local(self.webhook["url"]), data=data,
                                   headers=headers) as resp:
            return resp.status

    async def drained(self, timeout: float = 5) -> None:
        """Wait until every queued event was taken and the poller has come back for more:
        its loop is sequential, so the events before are fully handled."""
        async def settled() -> None:
            while self._events or self._polls <= self._poll_of_last_event:
                self._changed.clear()
                await self._changed.wait()
        await asyncio.wait_for(settled(), timeout)

    # --- the API -------------------------------------------------------------------------
    async def _serve(self, request: web.Request) -> web.StreamResponse:
        parts = request.path.split("/")
        if len(parts) != 3 or not parts[1].startswith("bot") or parts[2] not in METHODS:
            self.unexpected.append(f"{request.method} {request.path.replace(self.token, '<token>')}")
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"},
                                     status=404)
        method, token_ok = parts[2], parts[1][3:] == self.token
        params = await _params(request)
        self.calls.append(Call(method, params, token_ok))
        self._notify()
        if not token_ok:
            return _error(401, 401, "Unauthorized")
        if self.errors[method]:
            status, body, headers = self.errors[method].popleft()
            return web.json_response(body, status=status, headers=headers)
        if self.holds[method]:
            await self.holds[method].popleft().wait()
        return await getattr(self, f"_{method}")(params)

    async def _getMe(self, params: dict) -> web.Response:
        return _ok(ME)

    async def _getUpdates(self, params: dict) -> web.Response:
        timeout = min(float(params.get("timeout", 30)), 30)
        self._polls += 1
        self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._events and not self._closing and loop.time() < deadline:
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), deadline - loop.time())
            except asyncio.TimeoutError:
                break
        if not self._events:
            return _error(self.idle_status, 408, "Request timeout")
        self._poll_of_last_event = self._polls
        self._notify()
        return _ok(self._events.popleft())

    async def _setWebhook(self, params: dict) -> web.Response:
        url, secret = params.get("url", ""), params.get("secret_token", "")
        if not url.startswith("https://") or not 8 <= len(secret) <= 256:
            return _error(200, 400, "Bad request")
        self.webhook = {"url": url, "secret": secret}
        return _ok({"url": url, "updated_at": 1749538250568})

    async def _deleteWebhook(self, params: dict) -> web.Response:
        self.webhook = {"url": "", "secret": ""}
        return _ok({"url": "", "updated_at": 1749538250568})

    async def _getWebhookInfo(self, params: dict) -> web.Response:
        if not self.webhook["url"]:  # OBSERVED: 404 when never set
            return _error(404, 404, "Not Found")
        return web.json_response({"ok": True, "error_code": 0,
                                  "result": {"url": self.webhook["url"], "updated_at": 1749633372026}})

    async def _sendMessage(self, params: dict) -> web.Response:
        text = params.get("text", "")
        if not params.get("chat_id"):
            return _error(200, 400, "Bad request: The chat_id must not be empty")
        if not 1 <= len(text) <= 2000:
            return _error(200, 400, "Bad request: text length must be 1-2000")
        return _ok(self._sent_result())

    async def _sendPhoto(self, params: dict) -> web.Response:
        if not params.get("chat_id") or not params.get("photo"):
            return _error(200, 400, "Bad request")
        if len(params.get("caption") or "") > 2000:
            return _error(200, 400, "Bad request: caption length must be 1-2000")
        try:  # Zalo downloads the photo before it answers
            async with self._http.get(self._local(params["photo"])) as resp:
                self.photos.append((resp.status, await resp.read()))
                ok = resp.status == 200
        except (ValueError, aiohttp.ClientError):
            ok = False
        return _ok(self._sent_result()) if ok else _error(200, 400, "Bad request: invalid photo url")

    async def _sendChatAction(self, params: dict) -> web.Response:
        return web.json_response({"ok": True})  # documented without `result`

    # --- helpers -----------------------------------------------------------------------------
    def _sent_result(self) -> dict:
        return {"message_id": f"{next(self._ids):020x}", "date": 1749632637199}

    def _local(self, url: str) -> str:
        for public, local in self._public.items():
            if url.startswith(public + "/"):
                url = local + url[len(public):]
        if urlsplit(url).hostname not in LOOPBACK:
            raise ValueError(f"the fake Zalo server only reaches loopback, not {url}")
        return url

    def _notify(self) -> None:
        self._changed.set()


async def _params(request: web.Request) -> dict:
    params = dict(request.query)
    body = await request.read()
    if not body:
        return params
    if request.content_type == "application/json":
        params.update(json.loads(body))
    else:
        params.update(await request.post())
    return params


def _ok(result: dict) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, code: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description},
                             status=status)
