"""The Telegram channel: python-telegram-bot (v22) updates in, Bot API calls out.

It only translates. An `Update` becomes an `Incoming` (messages, edits, button presses);
each part of a Reply's plan (bot/planner.py) becomes `sendDocument`/`sendPhoto`/`sendMessage`,
choices an inline keyboard. Two modes (config `telegram.mode`):

- polling (default): our loop long-polls `getUpdates` and confirms a batch of updates (the
  next offset) only once every update in it was handled, so a crash loses none: Telegram
  redelivers them and the idempotency keys absorb the repeats. (PTB's Updater confirms a
  batch on its next poll, before the updates are handled: a SIGKILL lost them.)
  A batch with an update that failed is confirmed only up to that update and fetched again.
- webhook: a route on the shared aiohttp server checks Telegram's secret header before it
  reads the body, takes an update slot (503 when all are taken: Telegram delivers again),
  and answers 200 only once the update was handled, i.e. its transaction committed (or, with
  the database away, it was written to the inbox, bot/inbox.py); a failure answers 503 so
  Telegram delivers it again. Telegram waits up to ~60 s for the answer (PLATFORMS.md B.5).
  `hamletbot telegram set-webhook` registers the route with Telegram.

PTB is used for its Bot only: no Updater, persistence, JobQueue or user_data, because our
state lives in the database that Zalo shares. Updates of one chat are handled one after
another in arrival order; different chats run side by side.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import warnings
from collections import deque
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot, CallbackQuery, Update, constants
from telegram.error import (BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter,
                            TelegramError)
from telegram.ext import Application
from telegram.warnings import PTBDeprecationWarning

from bot.backoff import Backoff
from bot.channels import (Misconfigured, OnMessage, PlatformError, RecipientGone,
                          RetryableError)
from bot.choices import pressed_choice
from bot.config import ConfigError, Settings
from bot.logs import LogGuard
from bot.planner import Capabilities, File, Part, Photo, Text, plan
from bot.telegram_http import AiohttpRequest
from bot.telegram_payloads import PLATFORM, keyboard, placement, to_incoming
from bot.web import read_body, update_slot
from handlers.types import Reply
from models.members import move_chat_link
from models.processed import choice_holder

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # Bot API #setwebhook
TEXT_LIMIT = constants.MessageLimit.MAX_TEXT_LENGTH  # 4096
CAPTION_LIMIT = constants.MessageLimit.CAPTION_LENGTH  # 1024
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY,
                   Update.MY_CHAT_MEMBER]
MAX_CONCURRENT_CHATS = 4  # SQLite has one writer: more chats at once only wait on its lock
SEND_CONNECTIONS = 256  # to the Bot API at once, as PTB's default
# after a failed getUpdates (network trouble, another poller: 409) or a failed update:
# 5 s, doubling to at most a minute while the failures go on (bot/backoff.py)
POLL_RETRY_SECONDS, POLL_RETRY_CAP = 5.0, 60.0


class TelegramChannel:
    name = PLATFORM
    capabilities = Capabilities(TEXT_LIMIT, caption_limit=CAPTION_LIMIT, buttons=True,
                                photo="upload", documents="upload")

    def __init__(self, *, token: str, sessions: async_sessionmaker[AsyncSession],
                 clock: Callable[[], datetime], log_guard: LogGuard, mode: str = "polling",
                 secret: str | None = None, web_app: web.Application | None = None,
                 base_url: str | None = None, poll_timeout: int = 10,
                 request_timeout: float | None = None,
                 poll_retry_seconds: float = POLL_RETRY_SECONDS) -> None:
        if mode == "webhook" and (not secret or web_app is None):
            raise ConfigError("telegram webhook mode needs the secret and the web server")
        log_guard.add(token)
        self.log_guard = log_guard
        self.sessions, self.clock, self.mode = sessions, clock, mode
        self.poll_timeout = poll_timeout
        self.poll_retry = Backoff(poll_retry_seconds, max(poll_retry_seconds, POLL_RETRY_CAP))
        self._secret = (secret or "").encode()
        # No JobQueue (the one scheduler lives in bot/) and no persistence (DESIGN.md).
        # The transport is aiohttp's, not httpx's (bot/telegram_http.py).
        timeouts = {} if request_timeout is None else {"read": request_timeout,
                                                        "write": request_timeout}
        builder = (Application.builder().token(token).job_queue(None).persistence(None)
                   .request(AiohttpRequest(pool_size=SEND_CONNECTIONS, **timeouts))
                   .get_updates_request(AiohttpRequest(pool_size=1, **timeouts)))
        if base_url:
            builder = builder.base_url(base_url)
        self.application = builder.updater(None).build()  # we poll ourselves, see above
        self.bot_id, self.bot_username = 0, ""
        self._on_message: OnMessage | None = None
        self._accepting = False
        self._order = ChatOrder(MAX_CONCURRENT_CHATS)
        self._polling: asyncio.Task | None = None
        self._batch: dict[int, asyncio.Future | None] = {}  # the polled batch being handled
        if mode == "webhook":
            web_app.router.add_post(WEBHOOK_PATH, self._webhook)

    # --- the channel protocol -----------------------------------------------------------

    async def start(self, on_message: OnMessage) -> None:
        """getMe (our username, for `/cmd@name` and mentions), then start receiving."""
        self._on_message = on_message
        try:
            await self.application.initialize()
            me = self.application.bot.bot
            self.bot_id, self.bot_username = me.id, me.username
            if self.mode == "polling":
                await self.application.bot.delete_webhook()  # getUpdates refuses while one is set
        except TelegramError as exc:
            raise platform_error(exc, self.log_guard.redact) from None
        self._accepting = True
        if self.mode == "polling":
            self._polling = asyncio.create_task(self._poll())
        log.info("telegram: @%s receiving by %s", self.bot_username, self.mode)

    async def stop(self) -> None:
        """Stop receiving, finish the updates already taken, then close the HTTP client."""
        if self._polling is not None:
            self._polling.cancel()
            await asyncio.gather(self._polling, return_exceptions=True)
        self._accepting = False  # webhook requests from now on get 503: Telegram resends them
        await self._order.drain()
        if self._batch:  # drained: confirm what of the last batch was handled
            await self._quietly(self.application.bot.get_updates(
                offset=confirmable(self._batch), timeout=0, allowed_updates=ALLOWED_UPDATES))
        await self.application.shutdown()

    async def send(self, chat_id: str, reply: Reply) -> None:
        target = int(chat_id)
        where = placement(reply)
        try:
            for part in plan(reply, self.capabilities, channel=PLATFORM):
                try:
                    await self._send(target, part, where)
                except ChatMigrated as exc:  # the group became a supergroup (PLATFORMS.md B.7)
                    await self._migrate(str(target), str(exc.new_chat_id))
                    target = exc.new_chat_id
                    where = {}  # the old group's message and topic ids mean nothing there
                    await self._send(target, part, where)
                where.pop("reply_parameters", None)  # only the first part answers the message
        except TelegramError as exc:
            raise platform_error(exc, self.log_guard.redact) from None

    # --- sending --------------------------------------------------------------------------

    async def _send(self, chat_id: int, part: Part, where: dict) -> None:
        bot = self.application.bot
        if isinstance(part, File):
            await bot.send_document(chat_id, part.document.data, filename=part.document.name,
                                    **where)
        elif isinstance(part, Photo):
            await bot.send_photo(chat_id, part.image, caption=part.caption,
                                 reply_markup=keyboard(part.choices), **where)
        elif isinstance(part, Text):
            await bot.send_message(chat_id, part.text, reply_markup=keyboard(part.choices),
                                   **where)

    # --- receiving ------------------------------------------------------------------------

    async def _webhook(self, request: web.Request) -> web.Response:
        # The secret is checked before the body is read: a stranger's request costs nothing.
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), self._secret):
            log.warning("telegram webhook: missing or wrong secret token, rejected")
            return web.Response(status=403)
        if not self._accepting:  # starting or stopping: Telegram delivers it again
            return web.Response(status=503)
        with update_slot(request):
            try:
                update = Update.de_json(json.loads(await read_body(request)), self.application.bot)
            except (ValueError, TypeError, KeyError, AttributeError):
                return web.Response(status=400)
            handled = self._on_update(update)
            if handled is not None:
                try:
                    await asyncio.shield(handled)
                except Exception:  # logged by ChatOrder; not handled, so not acknowledged
                    return web.Response(status=503)
        return web.Response()

    async def _poll(self) -> None:
        """Long-poll getUpdates; ask for the next offset (confirming a batch) only after the
        batch was handled (Bot API #getupdates: confirmed = a higher offset was asked for),
        and only up to the first update that failed, which is fetched again."""
        offset, failures = 0, 0
        while True:
            try:
                updates = await self.application.bot.get_updates(
                    offset=offset, timeout=self.poll_timeout,
                    allowed_updates=ALLOWED_UPDATES)
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc))
                continue
            except TelegramError as exc:
                failures += 1
                delay = self.poll_retry.delay(failures)
                log.warning("telegram: getUpdates failed (%s); retrying in %.0f s",
                            self.log_guard.redact(f"{type(exc).__name__}: {exc.message}"),
                            delay)
                await asyncio.sleep(delay)
                continue
            if not updates:
                failures = 0
                continue
            self._batch = {update.update_id: self._on_update(update) for update in updates}
            await self._order.drain()
            offset = confirmable(self._batch)
            if offset > updates[-1].update_id:
                failures = 0
            else:
                failures += 1
                delay = self.poll_retry.delay(failures)
                log.warning("telegram: update %d not handled; fetching it again in %.0f s",
                            offset, delay)
                await asyncio.sleep(delay)

    def _on_update(self, update: Update) -> asyncio.Future | None:
        """Hand the update to its chat's queue; the future is done once it was handled."""
        chat = update.effective_chat
        if chat is None:
            return None
        return self._order.submit(str(chat.id), lambda: self._handle(update))

    async def _handle(self, update: Update) -> None:
        message = update.message
        if message is not None and (message.migrate_to_chat_id or message.migrate_from_chat_id):
            old, new = ((message.chat.id, message.migrate_to_chat_id) if message.migrate_to_chat_id
                        else (message.migrate_from_chat_id, message.chat.id))
            await self._migrate(str(old), str(new))
            return
        press = update.callback_query
        if press is not None:
            await self._quietly(press.answer())  # stops the button's spinner
            if await self._own_buttons(press):  # another member's keyboard stays theirs
                await self._quietly(press.edit_message_reply_markup(None))  # one press each
        msg = to_incoming(update, bot_id=self.bot_id, bot_username=self.bot_username,
                          now=self.clock())
        if msg is not None and self._on_message is not None:
            await self._on_message(msg)

    async def _own_buttons(self, press: CallbackQuery) -> bool:
        pressed = pressed_choice(press.data or "")
        if pressed is None or press.message is None:
            return False
        async with self.sessions() as session:
            holder = await choice_holder(PLATFORM, str(press.message.chat.id), pressed[0],
                                         session=session)
        return holder == str(press.from_user.id)

    async def _migrate(self, old_chat_id: str, new_chat_id: str) -> None:
        async with self.sessions() as session:
            moved = await move_chat_link(PLATFORM, old_chat_id, new_chat_id, session=session)
            await session.commit()
        if moved:
            log.info("telegram: group %s became supergroup %s; its link moved",
                     old_chat_id, new_chat_id)

    @staticmethod
    async def _quietly(call: Awaitable) -> None:
        """A courtesy call (answer a press, remove a used keyboard) must not stop the message."""
        try:
            await call
        except TelegramError as exc:
            log.info("telegram: %s: %s", type(exc).__name__, exc.message)  # the App's LogGuard redacts


def platform_error(exc: TelegramError, redact: Callable[[str], str]) -> PlatformError:
    """PTB's exception → the shared error the outbox acts on (PLATFORMS.md B.3)."""
    text = redact(f"telegram {type(exc).__name__}: {exc.message}")
    if isinstance(exc, RetryAfter):
        return RetryableError(text, retry_after=_seconds(exc))
    if isinstance(exc, Forbidden):  # blocked by the user, kicked from the group
        return RecipientGone(text)
    if isinstance(exc, BadRequest):  # a subclass of NetworkError, so tested first
        return RecipientGone(text) if "chat not found" in exc.message.lower() else Misconfigured(text)
    if isinstance(exc, NetworkError):  # TimedOut, 5xx, connection trouble
        return RetryableError(text)
    return Misconfigured(text)  # InvalidToken, Conflict, a second ChatMigrated


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that int will become timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def confirmable(batch: dict[int, asyncio.Future | None]) -> int:
    """The getUpdates offset that confirms a handled batch: past its last update, or up to
    (not including) the first update whose handling failed."""
    for update_id, handled in sorted(batch.items()):
        if handled is not None and (not handled.done() or handled.cancelled()
                                    or handled.exception() is not None):
            return update_id
    return max(batch) + 1


Job = Callable[[], Awaitable[None]]


class ChatOrder:
    """Runs jobs one at a time per chat, in submission order; chats run side by side,
    at most `limit` at once."""

    def __init__(self, limit: int) -> None:
        self._queues: dict[str, deque[tuple[Job, asyncio.Future]]] = {}
        self._tasks: set[asyncio.Task] = set()
        self._slots = asyncio.Semaphore(limit)

    def submit(self, key: str, job: Job) -> asyncio.Future:
        """Queue the job; the returned future ends as the job does (its error included)."""
        done = asyncio.get_running_loop().create_future()
        done.add_done_callback(_retrieved)
        if key in self._queues:
            self._queues[key].append((job, done))
            return done
        self._queues[key] = deque([(job, done)])
        task = asyncio.create_task(self._drain(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return done

    async def drain(self) -> None:
        """Wait until every submitted job has run. Cancelling the wait (the poll loop at
        stop) leaves the jobs running, unlike gather, so stop() can still finish them."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def _drain(self, key: str) -> None:
        queue = self._queues[key]
        try:
            async with self._slots:
                while queue:
                    job, done = queue.popleft()
                    try:
                        await job()
                    except Exception as exc:
                        log.exception("telegram: an update of chat %s failed", key)
                        if not done.done():
                            done.set_exception(exc)
                    else:
                        if not done.done():
                            done.set_result(None)
        finally:
            del self._queues[key]


def _retrieved(done: asyncio.Future) -> None:
    """Mark a job's error as seen: it was logged already, and polling reads it later."""
    if not done.cancelled():
        done.exception()


async def set_webhook(settings: Settings) -> str:
    """Register `{web.public_url}/telegram/webhook` and its secret with Telegram; the URL."""
    tg = settings.telegram
    token, secret = tg.token(), tg.webhook_secret()
    if not token or not secret or not settings.web.public_url:
        raise ConfigError("set-webhook needs the token, the webhook secret (environment "
                          f"variables {tg.token_env}, {tg.webhook_secret_env or '(unset)'}) "
                          "and web.public_url")
    url = settings.web.public_url + WEBHOOK_PATH
    with LogGuard([token, secret]).installed() as guard:  # a CLI command: no App runs
        try:
            async with Bot(token, base_url=tg.base_url or "https://api.telegram.org/bot",
                           request=AiohttpRequest(), get_updates_request=AiohttpRequest()) as bot:
                await bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
        except TelegramError as exc:
            raise platform_error(exc, guard.redact) from None
    return url


def create(app, web_app: web.Application) -> TelegramChannel:
    """The channel as `hamletbot run` builds it from the settings."""
    settings = app.settings.telegram
    token = settings.token()
    if not token:
        raise ConfigError(f"telegram.token_env: environment variable {settings.token_env} "
                          "is not set")
    return TelegramChannel(token=token, sessions=app.sessions, clock=app.clock,
                           log_guard=app.log_guard, mode=settings.mode, secret=settings.webhook_secret(),
                           web_app=web_app, base_url=settings.base_url or None)
