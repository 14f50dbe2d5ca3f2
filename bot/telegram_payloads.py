"""Telegram payloads and the neutral types: an `Update` → an `Incoming` (messages, edits,
button presses, the bot added to or removed from a group), and a Reply's place (topic,
message answered) and choices → Bot API parameters. Pure translation, no I/O.
"""
from __future__ import annotations

from datetime import datetime

from telegram import (Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message,
                      MessageEntity, ReplyParameters, Update)

from handlers.types import Choice, Incoming, Reply

PLATFORM = "telegram"
GONE = ("left", "kicked")  # the bot's statuses when it is no longer in a group


def to_incoming(update: Update, *, bot_id: int, bot_username: str,
                now: datetime) -> Incoming | None:
    """The neutral message of an update, or None when it carries nothing for the bot."""
    if update.my_chat_member is not None:
        return membership(update, bot_username=bot_username, now=now)
    press = update.callback_query
    if press is not None:
        if press.message is None or not press.data:
            return None
        chat, user = press.message.chat, press.from_user
        kind = chat_kind(chat)
        if kind is None:
            return None
        return Incoming(
            platform=PLATFORM, chat_id=str(chat.id), chat_kind=kind, user_id=str(user.id),
            display_name=user.full_name, text=press.data, message_id=f"cb{press.id}",
            time=now, is_choice=True, bot_username=bot_username,
            thread_id=topic(press.message) if isinstance(press.message, Message) else "")
    message = update.edited_message or update.message
    if message is None or message.from_user is None:
        return None
    anonymous = message.sender_chat is not None and not message.is_automatic_forward
    if message.from_user.is_bot and not anonymous:
        return None
    text = message.text if message.text is not None else message.caption
    kind = chat_kind(message.chat)
    if text is None or kind is None:
        return None
    edited = update.edited_message is not None and message.edit_date is not None
    return Incoming(
        platform=PLATFORM, chat_id=str(message.chat.id), chat_kind=kind,
        user_id=str(message.from_user.id), display_name=message.from_user.full_name,
        text=text, message_id=str(message.message_id),
        time=message.edit_date if edited else message.date, is_edit=edited,
        # The update id tells two edits within one second apart (edit_date is in seconds);
        # a redelivered edit keeps it.
        edit_id=f"{int(message.edit_date.timestamp())}-{update.update_id}" if edited else "",
        addressed_to_bot=addressed_to_bot(message, bot_id, bot_username),
        bot_username=bot_username, thread_id=topic(message),
        reply_to=str(message.message_id) if kind == "group" else "",
        forwarded=message.forward_origin is not None or bool(message.is_automatic_forward),
        anonymous=anonymous)


def topic(message: Message) -> str:
    """The forum topic a message is in ("" outside topics)."""
    return str(message.message_thread_id) if message.is_topic_message else ""


def membership(update: Update, *, bot_username: str, now: datetime) -> Incoming | None:
    """The bot added to or removed from a group, as an event for the dispatcher."""
    change = update.my_chat_member
    kind = chat_kind(change.chat)
    if kind != "group":
        return None
    was, now_in = change.old_chat_member.status not in GONE, change.new_chat_member.status not in GONE
    if was == now_in:
        return None  # promoted, restricted: still there
    return Incoming(
        platform=PLATFORM, chat_id=str(change.chat.id), chat_kind=kind,
        user_id=str(change.from_user.id), display_name=change.from_user.full_name, text="",
        message_id=f"member{update.update_id}", time=change.date or now,
        bot_username=bot_username, event="added" if now_in else "removed")


def placement(reply: Reply) -> dict:
    """The forum topic and the message a reply answers, as sendMessage parameters; the
    answer is still sent if that message was deleted meanwhile."""
    where: dict = {}
    if reply.thread_id:
        where["message_thread_id"] = int(reply.thread_id)
    if reply.reply_to:
        where["reply_parameters"] = ReplyParameters(int(reply.reply_to),
                                                    allow_sending_without_reply=True)
    return where


def chat_kind(chat: Chat) -> str | None:
    if chat.type == Chat.PRIVATE:
        return "private"
    if chat.type in (Chat.GROUP, Chat.SUPERGROUP):
        return "group"
    return None  # channels: the bot does not work there


def addressed_to_bot(message: Message, bot_id: int, bot_username: str) -> bool:
    """A reply to one of the bot's messages, or a mention of it (@name or a text mention)."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return True
    kinds = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    found = {**message.parse_entities(kinds), **message.parse_caption_entities(kinds)}
    for entity, value in found.items():
        if entity.type == MessageEntity.MENTION and value[1:].lower() == bot_username.lower():
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            return True
    return False


def keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup | None:
    """One button per row: labels are sentences, side by side they would be cut off."""
    if not choices:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(c.label, callback_data=c.payload)]
                                 for c in choices])
