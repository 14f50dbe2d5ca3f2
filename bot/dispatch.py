"""The dispatcher: one incoming message → one transaction → replies, sent after commit.

The message's idempotency key is written with its effects, so a redelivered message (or
one delivered to two instances at once) changes nothing and gets the same answer.
"""
from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections import deque
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.choices import button_id, pressed_choice
from bot.metrics import Metrics
from handlers.access import Refusal, admit
from handlers.commands import parse, suggest
from handlers.context import Context, Tools
from handlers.privacy import mask_echoes
from handlers.registry import BY_NAME, EDITED_OTHER, EVENTS, FREE_TEXT
from handlers.text import clean, display_name
from handlers.types import Choice, Incoming, Reply
from models.base import as_utc
from models.members import Member, chat_link, sender_and_answer
from models.processed import (PendingChoice, choice_holder, pending_choice, processed, record,
                              take_choice)
from models.units import Unit

log = logging.getLogger(__name__)

CHOICE_TTL = timedelta(hours=24)
STORED_ATTACHMENTS_MAX = 512 * 1024  # bytes of images/files kept with a stored answer
DB_RETRY_DELAYS = (0.1, 0.5, 1, 2, 5, 10)  # about 19 s in all before giving up
# A message whose claim lost to another message's is handled again; each loss means another
# message on the same state committed, so only a burst on one state uses several.
CONFLICT_ATTEMPTS = 10
_NUMBER = re.compile(r"^\s*([0-9]{1,3})\s*$")


class Dispatcher:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], tools: Tools,
                 clock: Callable[[], datetime], metrics: Metrics, serialize: bool = False,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.sessions = sessions
        self.tools = tools
        self.render, self.rules = tools.render, tools.rules
        self.clock = clock
        self.metrics = metrics
        self.sleep = sleep
        # SQLite has one writer: messages of one process queue here instead of busy-waiting
        # on the file lock (which gives up after a timeout and loses the message).
        self._one_at_a_time = asyncio.Lock() if serialize else None
        self.flood = FloodGate(self.rules.messages_per_minute, clock)

    async def handle(self, msg: Incoming, *, limited: bool = True) -> list[Reply]:
        """Answer one message; [] when it is not for the bot (group chatter).

        A database that is locked or unreachable is retried for a while; the transaction
        was rolled back, so a retry applies the message whole or not at all. If it still
        fails the error propagates, so the channel does not report the message handled.
        `limited=False` skips the flood limit (a message replayed from the inbox).
        """
        if not self.for_us(msg):
            self.metrics.messages.labels("", "ignored").inc()
            return []
        msg = replace(msg, text=clean(msg.text), display_name=display_name(msg.display_name))
        verdict = self.flood.check(f"{msg.platform}:{msg.user_id}") if limited else "pass"
        if verdict != "pass":
            # Dropped before the database: nothing stored, other users are not held up.
            self.metrics.messages.labels("", "rate_limited").inc()
            if verdict == "silent":
                return []
            return [Reply(self.render("common/slow_down.j2", seconds=FLOOD_WINDOW.seconds))]
        for delay in (*DB_RETRY_DELAYS, None):
            try:
                if self._one_at_a_time is None:
                    return await self._handle_settled(msg)
                async with self._one_at_a_time:
                    return await self._handle_settled(msg)
            except Exception as exc:
                if not db_unavailable(exc):
                    raise
                if delay is None:
                    self.metrics.messages.labels("", "error").inc()
                    raise
                log.warning("database unavailable (%s); retrying %s in %.1f s",
                            type(exc).__name__, msg.platform, delay)
                await self.sleep(delay)
        raise AssertionError("unreachable")

    async def _handle_settled(self, msg: Incoming) -> list[Reply]:
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                return await self._handle_once(msg)
            except IntegrityError:
                # The same message was handled concurrently (another instance, a redelivery
                # racing the first): that transaction won; answer what it answered.
                async with self.sessions() as session:
                    done = await processed(msg.key, session=session)
                if done is not None:
                    self.metrics.messages.labels("", "duplicate").inc()
                    return _decode(done)
                if attempt == CONFLICT_ATTEMPTS:
                    raise
                # Another message claimed the same state first (the same report reversed,
                # the same member joined, choices offered at once): it has committed, so
                # handling this one again sees what it did and decides anew.
                log.info("%s message conflicted with another; handling it again", msg.platform)
        raise AssertionError("unreachable")

    def for_us(self, msg: Incoming) -> bool:
        if msg.chat_kind == "private" or msg.addressed_to_bot or msg.is_choice or msg.event:
            return True
        return msg.text.lstrip().startswith("/")

    async def _handle_once(self, msg: Incoming) -> list[Reply]:
        async with self.sessions() as session:
            member, home, done = await sender_and_answer(msg.key, msg.platform, msg.user_id,
                                                         session=session)
            if done is not None:
                self.metrics.messages.labels("", "duplicate").inc()
                return _decode(done)
            ctx = await self._context(msg, member, home, session)
            # Sent and stored: an answer never shows a phone or ID number the sender typed.
            replies = mask_echoes(await self._route(msg, ctx), msg.text)
            replies = await self._offer_choices(msg, replies, session)
            await record(msg.key, _encode(replies), ctx.now, session=session)
            await session.commit()
        self.metrics.messages.labels(ctx.command or "text",
                                     "answered" if replies else "silent").inc()
        return replies

    async def _context(self, msg: Incoming, member: Member | None, home: Unit | None,
                       session: AsyncSession) -> Context:
        unit = None
        if msg.chat_kind == "group":
            link = await chat_link(msg.platform, msg.chat_id, session=session)
            if link is not None and link.active:
                unit = await session.get(Unit, link.unit_id)
        return Context.lend(self.tools, session=session, member=member, home=home,
                            chat_unit=unit, now=self.clock(), command="", args="", unit=None)

    async def _route(self, msg: Incoming, ctx: Context) -> list[Reply]:
        try:
            return await self._route_admitted(msg, ctx)
        except Refusal as refusal:
            return ctx.reply(refusal.template, **refusal.data)

    async def _route_admitted(self, msg: Incoming, ctx: Context) -> list[Reply]:
        if msg.event:
            return await EVENTS[msg.event](msg, ctx)
        if len(msg.text) > self.rules.max_text_length:
            return ctx.reply("common/too_long.j2", limit=self.rules.max_text_length)
        text = msg.text
        if not msg.is_edit:
            chosen = await self._resolve_choice(msg, ctx)
            if isinstance(chosen, list):
                return chosen
            if chosen is not None:
                text, asked_by = chosen
                msg = replace(msg, answers_ref=asked_by or "")
        parsed = parse(text, msg.bot_username)
        if parsed.for_other_bot:
            return []
        ctx.command, ctx.args = parsed.name, parsed.args
        if parsed.name and (msg.forwarded or msg.anonymous):  # nobody's own command
            return ctx.reply("common/forwarded.j2" if msg.forwarded else "common/anonymous.j2")
        command = BY_NAME.get(parsed.name)
        if msg.is_edit and not (command and command.editable):
            return await EDITED_OTHER(msg, ctx)
        if parsed.name == "?":
            return ctx.reply("common/unknown_command.j2", typed=parsed.typed[:30],
                             nearest=suggest(parsed.typed))
        if command:
            await admit(command, msg, ctx)
            return await command.handler(msg, ctx)
        if not text.strip():
            # A message without text (a sticker, a photo): say in a private chat what the
            # bot reads; in a group stay silent.
            return ctx.reply("common/unsupported.j2") if msg.chat_kind == "private" else []
        return await FREE_TEXT(msg, ctx)

    async def _resolve_choice(self, msg: Incoming, ctx: Context
                              ) -> tuple[str, str | None] | list[Reply] | None:
        """A pressed button (`c:token:i`) or a bare number answering the last choices shown.

        Returns the chosen payload with the message that offered the choices, a reply when
        the choice is stale, taken or out of range, or None when the message is not a
        choice at all.
        """
        pressed = pressed_choice(msg.text)
        number = _NUMBER.match(msg.text)
        if not pressed and not number:
            return None
        pending = await pending_choice(msg.platform, msg.chat_id, msg.user_id,
                                       session=ctx.session)
        stale = (pending is None or as_utc(pending.expires_at) <= ctx.now
                 or (pressed and pressed[0] != pending.token))
        if stale:
            if pressed and await choice_holder(msg.platform, msg.chat_id, pressed[0],
                                               session=ctx.session) not in (None, msg.user_id):
                return ctx.reply("common/choice_not_yours.j2")  # another member's buttons
            if pressed or msg.chat_kind == "private":
                return ctx.reply("common/choice_expired.j2")
            return None
        index = pressed[1] if pressed else int(number.group(1))
        if not 1 <= index <= len(pending.payloads):
            return ctx.reply("common/choice_out_of_range.j2", count=len(pending.payloads))
        if not await take_choice(pending, session=ctx.session):
            return ctx.reply("common/choice_expired.j2")  # another answer took it first
        return pending.payloads[index - 1], pending.message_ref

    async def _offer_choices(self, msg: Incoming, replies: list[Reply],
                             session: AsyncSession) -> list[Reply]:
        """Remember the last choices in the database (they survive restarts and work across
        instances) and turn each payload into a short button id `c:token:i`."""
        with_choices = [r for r in replies if r.choices]
        if not with_choices:
            return replies
        reply = with_choices[-1]
        token = secrets.token_hex(4)
        pending = await pending_choice(msg.platform, msg.chat_id, msg.user_id, session=session)
        if pending is None:
            pending = PendingChoice(platform=msg.platform, chat_id=msg.chat_id,
                                    user_id=msg.user_id, token="", payloads=[],
                                    expires_at=self.clock())
        pending.token, pending.message_ref = token, msg.message_ref
        pending.payloads = [c.payload for c in reply.choices]
        pending.expires_at = self.clock() + CHOICE_TTL
        session.add(pending)
        buttons = tuple(Choice(c.label, button_id(token, i))
                        for i, c in enumerate(reply.choices, 1))
        return [replace(r, choices=buttons) if r is reply else r for r in replies]


def db_unavailable(exc: BaseException) -> bool:
    """The database is locked, gone or unreachable (not: our statement is wrong)."""
    return (isinstance(exc, (OperationalError, InterfaceError, OSError))
            or isinstance(exc, DBAPIError) and exc.connection_invalidated)


FLOOD_WINDOW = timedelta(minutes=1)


class FloodGate:
    """Per-user sliding window: past `limit` messages a minute, one answer that says so,
    then silence until the window has room again. Kept in memory, per instance: with
    several instances a user may get `limit` per instance, which still stops a flood."""

    def __init__(self, limit: int, clock: Callable[[], datetime]) -> None:
        self.limit, self.clock = limit, clock
        self._seen: dict[str, deque[datetime]] = {}
        self._warned: set[str] = set()

    def check(self, who: str) -> str:
        """'pass', 'warn' (the first message over the limit) or 'silent'."""
        now = self.clock()
        seen = self._seen.setdefault(who, deque())
        while seen and seen[0] <= now - FLOOD_WINDOW:
            seen.popleft()
        if len(seen) < self.limit:
            seen.append(now)
            self._warned.discard(who)
            return "pass"
        if who in self._warned:
            return "silent"
        self._warned.add(who)
        return "warn"


def _encode(replies: list[Reply]) -> list[dict]:
    """The answer kept with the idempotency key: a redelivered message gets it again, with
    its chart or file when they are small enough to keep."""
    size = sum(len(r.image or b"") + len(r.document.data if r.document else b"") for r in replies)
    return [r.to_json(attachments=size <= STORED_ATTACHMENTS_MAX) for r in replies]


def _decode(stored: list[dict]) -> list[Reply]:
    return [Reply.from_json(r) for r in stored]
