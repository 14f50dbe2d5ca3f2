"""The Zalo channel on the Zalo Bot Platform (2025, bot token, Telegram-like API), by long
polling or by webhook on the shared aiohttp server.

`ZaloClient` is the thin API client; `ZaloChannel` only translates: Zalo events →
`Incoming` (bot/zalo_payloads.py), each part of a Reply's plan (bot/planner.py) →
sendMessage/sendPhoto (choices as a numbered list, answered with the number; images by URL
from bot/images.py, files as an expiring link from there).
Docs: https://bot.zaloplatforms.com/docs/ (newer location
https://docs.zaloplatforms.com/docs/BOT); the facts used here, with sources, are in
shared/PLATFORMS.md Part A. Unconfirmed ones are marked UNVERIFIED in the facts block below
(and, for the event shape, in bot/zalo_payloads.py's), nowhere else.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import random
import time
from datetime import datetime, timezone
from typing import Any, Callable

import aiohttp
from aiohttp import web

from bot.backoff import Backoff
from bot.channels import Misconfigured, OnMessage, PlatformError, RetryableError
from bot.choices import HINT_TEMPLATE
from bot.config import ConfigError, Settings
from bot.images import ImageStore
from bot.logs import LogGuard
from bot.planner import Capabilities, FileLink, Part, Photo, Text, plan
from bot.render import make_renderer
from bot.web import read_body, update_slot
from bot.zalo_payloads import PLATFORM, MalformedEvent, ZaloBot, to_incoming, unwrap
from handlers.types import Incoming, Reply

log = logging.getLogger(__name__)

# --- Zalo Bot Platform facts (https://bot.zaloplatforms.com/docs/) --------------------------
# sendMessage.text and sendPhoto.caption: 1–2000 characters [docs apis/sendMessage, sendPhoto].
# UNVERIFIED whether Zalo counts code points or UTF-16 units; Vietnamese text is all BMP.
TEXT_LIMIT = 2000
# Every webhook request carries the setWebhook secret_token (8–256 chars) in this header
# [docs webhook, apis/setWebhook].
SECRET_HEADER = "X-Bot-Api-Secret-Token"
SECRET_LENGTHS = range(8, 257)
# getUpdates returns ONE event per call (no update_id, no offset); `timeout` in seconds,
# documented type String, default 30 [docs apis/getUpdates].
POLL_TIMEOUT = 30
# An idle long poll answers ok:false, error_code 408 "Request timeout", with HTTP 200 or 408.
# OBSERVED by third parties, not documented (PLATFORMS.md A.2, Part C pitfall 2).
IDLE_CODE = 408
# Error codes [docs "Bảng mã lỗi"]: 400 bad request, 401 bad token, 403 "internal server
# error" (sic), 404 not found, 408 timeout, 429 quota exceeded. Nothing documents an error
# for a user who blocked the bot, so RecipientGone is never raised (UNVERIFIED); nor a
# retry-after: a Retry-After header is honoured if one comes (UNVERIFIED that it does).
RETRYABLE_CODES = {403, 408, 429}
# Zalo downloads the sendPhoto URL before it answers, so that call is slow (OpenClaw api.ts).
PHOTO_TIMEOUT = 60
# ---------------------------------------------------------------------------------------------

WEBHOOK_PATH = "/zalo/webhook"
BACKOFF_BASE, BACKOFF_CAP = 1.0, 60.0  # seconds between failed polls: 1, 2, 4 … 60, jittered
NO_PUBLIC_URL = "web.public_url is not set"  # Zalo fetches photos and files from our server
IDLE_PAUSE = 1.0  # an idle poll that came back at once (timeout ignored) must not spin


class ZaloClient:
    """The Bot API over one shared aiohttp session: POST `{base}/bot<token>/<method>`, JSON.

    The token is only ever in the request URL: errors and logs name the method, never the
    URL (Part C pitfall 6). Every answer's `ok` is checked, also on HTTP 200 (pitfall 8)."""

    def __init__(self, token: str, base_url: str, session: aiohttp.ClientSession, *,
                 timeout: float = 15) -> None:
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.timeout = timeout

    async def call(self, method: str, *, timeout: float | None = None, **params: Any) -> Any:
        status, body, retry_after = await self._post(method, params, timeout or self.timeout)
        if isinstance(body, dict) and body.get("ok") is True:
            return body.get("result")
        raise _error(method, status, body, retry_after)

    async def get_me(self) -> ZaloBot:
        me = await self.call("getMe") or {}
        # getMe documents `account_name`; the display name users see (and @mention) is
        # UNVERIFIED to be in it, so both are accepted.
        names = tuple(str(me[k]) for k in ("display_name", "account_name") if me.get(k))
        return ZaloBot(str(me.get("id", "")), names)

    async def get_update(self, timeout: int = POLL_TIMEOUT) -> dict | None:
        """The next event, or None after an idle poll."""
        status, body, retry_after = await self._post("getUpdates", {"timeout": str(timeout)},
                                                     timeout + 10)
        if isinstance(body, dict) and body.get("ok") is True:
            return body.get("result") or None  # `{"ok": true, "result": {}}` also means none
        if _code(status, body) == IDLE_CODE:
            return None
        raise _error("getUpdates", status, body, retry_after)

    async def send_message(self, chat_id: str, text: str) -> Any:
        return await self.call("sendMessage", chat_id=chat_id, text=text)

    async def send_photo(self, chat_id: str, url: str, caption: str | None = None) -> Any:
        params = {"chat_id": chat_id, "photo": url}
        if caption:
            params["caption"] = caption
        return await self.call("sendPhoto", timeout=PHOTO_TIMEOUT, **params)

    async def _post(self, method: str, params: dict, timeout: float) -> tuple[int, Any, str | None]:
        url = f"{self.base_url}/bot{self._token}/{method}"
        try:
            async with self.session.post(url, json=params,
                                         timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
                raw = await resp.read()
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                return resp.status, body, resp.headers.get("Retry-After")
        except asyncio.TimeoutError:
            raise RetryableError(f"zalo {method}: timed out after {timeout:.0f} s") from None
        except aiohttp.ClientError as exc:  # its text may hold the URL: keep only the kind
            raise RetryableError(f"zalo {method}: {type(exc).__name__}") from None


def _code(status: int, body: Any) -> int:
    """Zalo's error_code (sometimes a string, "408"), else the HTTP status."""
    try:
        return int(body.get("error_code") or status) if isinstance(body, dict) else status
    except (TypeError, ValueError):
        return status


def _error(method: str, status: int, body: Any, retry_after: str | None) -> PlatformError:
    code = _code(status, body)
    description = str(body.get("description") or "")[:200] if isinstance(body, dict) else ""
    message = f"zalo {method}: error {code} (HTTP {status}) {description}".rstrip()
    if code in RETRYABLE_CODES or code >= 500 or status >= 500 or code < 400:
        try:
            seconds = float(retry_after) if retry_after else None
        except ValueError:
            seconds = None
        return RetryableError(message, seconds)
    return Misconfigured(message)


def backoff(failures: int, rand: Callable[[], float]) -> float:
    """Seconds to wait after `failures` failed polls in a row (bot/backoff.py)."""
    return Backoff(BACKOFF_BASE, BACKOFF_CAP, rand).delay(failures)


class ZaloChannel:
    name = PLATFORM

    def __init__(self, *, token: str, base_url: str, mode: str, images: ImageStore,
                 hint: str = "", secret: str | None = None,
                 render: Callable[..., str] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 sleep: Callable[[float], Any] = asyncio.sleep,
                 monotonic: Callable[[], float] = time.monotonic,
                 rand: Callable[[], float] = random.random,
                 poll_timeout: int = POLL_TIMEOUT) -> None:
        self._token, self.base_url, self.mode = token, base_url, mode
        # getUpdates hands each event out once: the inbox journals it before it is handled
        self.delivers_once = mode == "polling"
        self._secret = secret or ""
        self.images, self.clock = images, clock
        self.render = render or make_renderer()
        self.sleep, self.monotonic, self.rand = sleep, monotonic, rand
        self.poll_timeout = poll_timeout
        self.bot = ZaloBot("", ())
        self.client: ZaloClient | None = None
        self._session: aiohttp.ClientSession | None = None
        self._on_message: OnMessage | None = None
        self._poller: asyncio.Task | None = None
        # sendPhoto takes a URL and the Bot API has no file upload: both need our web server.
        self.capabilities = Capabilities(
            TEXT_LIMIT, caption_limit=TEXT_LIMIT, photo="url" if images.enabled else None,
            documents="link", hint=hint, why="" if images.enabled else NO_PUBLIC_URL)

    async def start(self, on_message: OnMessage) -> None:
        self._session = aiohttp.ClientSession()
        self.client = ZaloClient(self._token, self.base_url, self._session)
        try:
            self.bot = await self.client.get_me()
            if self.mode == "polling":
                # getUpdates stays silent while a webhook is set (Part C pitfall 3).
                await self.client.call("deleteWebhook")
        except BaseException:
            await self.stop()
            raise
        self._on_message = on_message
        if self.mode == "polling":
            self._poller = asyncio.create_task(self._poll(), name="zalo-poll")
        log.info("zalo bot %s receiving by %s", self.bot.id, self.mode)

    async def stop(self) -> None:
        self._on_message = None
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, chat_id: str, reply: Reply) -> None:
        """The reply's parts to the chat. Its reply_to and thread_id are dropped: sendMessage
        documents no reply parameter (`reply_to_message_id` is UNVERIFIED) and Zalo has no
        topics (PLATFORMS.md A.3, A.8), so a group's answer is a plain message there."""
        if self.client is None:
            raise RetryableError("zalo channel not started")
        for part in plan(reply, self.capabilities, channel=PLATFORM):
            await self._send(chat_id, part)

    async def _send(self, chat_id: str, part: Part) -> None:
        if isinstance(part, Photo):
            await self.client.send_photo(chat_id, self.images.publish(part.image), part.caption)
        elif isinstance(part, Text):
            await self.client.send_message(chat_id, part.text)
        elif isinstance(part, FileLink):  # without a public URL the text says so
            url = self.images.publish_file(part.document.name, part.document.data)
            if url is None:
                log.warning("zalo: %s, so the file cannot be linked", NO_PUBLIC_URL)
            minutes = int(self.images.ttl.total_seconds() // 60)
            await self.client.send_message(chat_id, self.render(
                "export/zalo_link.j2", file=part.document.name, url=url, minutes=minutes))

    async def webhook(self, request: web.Request) -> web.Response:
        """POST /zalo/webhook: the secret header is checked before the body is read."""
        given = request.headers.get(SECRET_HEADER, "")
        if not self._secret or not hmac.compare_digest(given.encode(), self._secret.encode()):
            log.warning("zalo webhook: missing or wrong %s header; refused", SECRET_HEADER)
            return web.Response(status=403)
        if self._on_message is None:
            return web.Response(status=503)
        with update_slot(request):
            try:
                event = unwrap(json.loads(await read_body(request)))
                msg = self._incoming(event) if event is not None else None
            except (ValueError, UnicodeDecodeError) as exc:  # MalformedEvent too
                log.warning("zalo webhook: body is not a Zalo event (%s); refused",
                            type(exc).__name__)
                return web.Response(status=400)
            if event is None:
                log.warning("zalo webhook: body is not a Zalo event; refused")
                return web.Response(status=400)
            # Handled before answering: once Zalo has its 200 the message is committed (or in
            # the inbox), and a redelivery (retry policy UNVERIFIED, see above) is answered
            # from the idempotency key. A failure answers 503, for Zalo to deliver it again.
            try:
                if msg is not None:
                    await self._on_message(msg)
            except Exception:
                log.exception("zalo webhook: event %s not handled", event.get("event_name"))
                return web.Response(status=503)
        return web.json_response({"message": "Success"})

    async def _poll(self) -> None:
        failures = 0
        while True:
            started = self.monotonic()
            try:
                event = await self.client.get_update(self.poll_timeout)
            except PlatformError as exc:
                failures += 1
                delay = backoff(failures, self.rand)
                log.warning("zalo getUpdates failed (%s); next try in %.1f s", exc, delay)
                await self.sleep(delay)
                continue
            failures = 0
            if event is None:
                if self.monotonic() - started < IDLE_PAUSE:
                    await self.sleep(IDLE_PAUSE)
                continue
            try:
                await self._handle(event)
            except Exception:  # the event is consumed either way; keep polling
                log.exception("zalo: event %s not handled", event.get("event_name"))

    async def _handle(self, event: dict) -> None:
        if unwrap(event) is None:
            log.warning("zalo: an update that is not an event; ignored")
            return
        try:
            msg = self._incoming(event)
        except MalformedEvent as exc:
            log.warning("zalo: a malformed %s ignored (%s)", event.get("event_name"), exc)
            return
        if msg is not None and self._on_message is not None:
            await self._on_message(msg)

    def _incoming(self, event: dict) -> Incoming | None:
        msg = to_incoming(event, self.bot, self.clock)
        if msg is None:
            log.info("zalo: %s ignored", event.get("event_name"))
        return msg


def create(app, web_app: web.Application) -> ZaloChannel:
    """The Zalo channel of the running app; its routes are added to the shared server."""
    settings: Settings = app.settings
    app.log_guard.add(settings.zalo.token())  # also a library logging the URL is covered
    images = ImageStore(settings.web.public_url, clock=app.clock)
    if images.enabled:
        images.add_routes(web_app)
    channel = ZaloChannel(token=settings.zalo.token() or "", base_url=settings.zalo.base_url,
                          mode=settings.zalo.mode, secret=settings.zalo.webhook_secret(),
                          images=images, hint=app.render(HINT_TEMPLATE),
                          render=app.render, clock=app.clock)
    if settings.zalo.mode == "webhook":
        web_app.router.add_post(WEBHOOK_PATH, channel.webhook)
    return channel


async def set_webhook(settings: Settings, *, delete: bool = False) -> str:
    """`hamletbot zalo set-webhook`: point Zalo at {web.public_url}/zalo/webhook (or stop)."""
    token = settings.zalo.token()
    if not token:
        raise ConfigError(f"zalo.token_env: environment variable {settings.zalo.token_env} "
                          "is not set")
    # A CLI command, no App runs: its own guard, in case a library logs the URL.
    with LogGuard([token]).installed():
        return await _set_webhook(settings, token, delete=delete)


async def _set_webhook(settings: Settings, token: str, *, delete: bool) -> str:
    async with aiohttp.ClientSession() as session:
        client = ZaloClient(token, settings.zalo.base_url, session)
        if delete:
            await client.call("deleteWebhook")
            return "Zalo webhook deleted; the bot can poll (zalo.mode = \"polling\")."
        if not settings.web.public_url:
            raise ConfigError("web.public_url: set the HTTPS address Zalo reaches this bot at")
        secret = settings.zalo.webhook_secret()
        if not secret or len(secret) not in SECRET_LENGTHS:
            raise ConfigError(f"zalo.webhook_secret_env: environment variable "
                              f"{settings.zalo.webhook_secret_env or '(unset)'} must hold "
                              "8 to 256 characters")
        url = settings.web.public_url + WEBHOOK_PATH
        await client.call("setWebhook", url=url, secret_token=secret)
        return f"Zalo webhook set to {url}; run the bot with zalo.mode = \"webhook\"."
