"""Zalo Bot Platform events and the neutral types: a webhook body or polled update → the
event in it → an `Incoming`. Pure translation, no I/O.

The event shape, with sources, is in shared/PLATFORMS.md A.4 and A.7; unconfirmed facts
are marked UNVERIFIED in the block below.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from handlers.types import Incoming

# --- Zalo Bot Platform facts (https://bot.zaloplatforms.com/docs/ webhook) ------------------
PLATFORM = "zalo"
TEXT_EVENT = "message.text.received"
UNSUPPORTED_EVENT = "message.unsupported.received"
# Group events are beta and their payload is undocumented (PLATFORMS.md A.4, A.7): the bot
# is said to receive only @mentions and replies to its own messages. UNVERIFIED: that a
# mention shows as "@<bot name>" in the text, and which field carries the replied-to message
# (these are guesses after Zalo's python-telegram-bot-derived SDK).
REPLY_FIELDS = ("reply_to_message", "quote")
# `date` is in milliseconds [docs samples]; one project read it as seconds (pitfall 5).
MS_THRESHOLD = 10**11  # a seconds timestamp stays below this until the year 5138
# What Telegram marks and Zalo's events do not carry (none documented, A.4, A.7): a
# forwarded message (so one reads as its sender's own), a message sent in the name of the
# group (Telegram's anonymous admins), and the bot added to or removed from a group (so a
# Zalo group's link stays active until a coordinator links the group elsewhere).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZaloBot:
    """Who we are (getMe): the id and the names users may @mention."""
    id: str
    names: tuple[str, ...]


def unwrap(body: Any) -> dict | None:
    """The event of a webhook body, wrapped `{"ok": true, "result": {…}}` as documented or
    flat `{"event_name": …, "message": {…}}` as integrators see it (Part C pitfall 1)."""
    if isinstance(body, dict) and isinstance(body.get("result"), dict):
        body = body["result"]
    if isinstance(body, dict) and body.get("event_name") and isinstance(body.get("message"), dict):
        return body
    return None


class MalformedEvent(ValueError):
    """A Zalo event whose fields have the wrong types (`chat` a string, an id a list)."""


def to_incoming(event: dict, bot: ZaloBot, clock: Callable[[], datetime]) -> Incoming | None:
    """The neutral message of one Zalo event; None for events that carry nothing to answer.

    Images and stickers become a message without text (the dispatcher answers that with a
    short hint in a private chat and ignores it in a group). `message.unsupported.received`
    (content withheld from protected users, pitfall 10) is ignored: telling such a user to
    send text would not help them. Wrong-typed fields raise MalformedEvent; an unreadable
    `date` falls back to the clock.
    """
    name, message = event.get("event_name"), event["message"]
    chat, sender = _object(message, "chat"), _object(message, "from")
    chat_id, message_id = _text(chat, "id"), _text(message, "message_id")
    user_id = _text(sender, "id") or chat_id
    if name == UNSUPPORTED_EVENT or sender.get("is_bot") or not (chat_id and message_id):
        return None
    text = _text(message, "text") if name == TEXT_EVENT else ""
    chat_type = _text(chat, "chat_type").upper()
    group = chat_type == "GROUP" or (not chat_type and chat_id != user_id)
    mentioned = next((n for n in bot.names if f"@{n}".lower() in text.lower()), "")
    return Incoming(
        platform=PLATFORM, chat_id=chat_id, chat_kind="group" if group else "private",
        user_id=user_id, text=text, message_id=message_id, time=_time(message.get("date"), clock),
        display_name=(_text(sender, "display_name") or _text(sender, "first_name")
                      or _text(sender, "name")),
        addressed_to_bot=group and bool(mentioned or _replies_to(message, bot)),
        bot_username=mentioned or (bot.names[0] if bot.names else ""),
        # where the answer belongs; the channel cannot place it (bot/zalo.py, send)
        reply_to=message_id if group else "")


def _object(parent: dict, key: str) -> dict:
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedEvent(f"message.{key} is not an object")
    return value


def _text(parent: dict, key: str) -> str:
    """A string or number field as text ("" when absent)."""
    value = parent.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise MalformedEvent(f"{key} is not text")
    return str(value)


def _replies_to(message: dict, bot: ZaloBot) -> bool:
    for field in REPLY_FIELDS:
        quoted = message.get(field)
        if isinstance(quoted, dict):
            author = _object(quoted, "from")
            return bool(author.get("is_bot")) or _text(author, "id") == bot.id
    return False


def _time(value: Any, clock: Callable[[], datetime]) -> datetime:
    try:
        stamp = float(value)
        return datetime.fromtimestamp(stamp / 1000 if stamp > MS_THRESHOLD else stamp,
                                      timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):  # absent, "NaN", out of range
        return clock()


