"""Platform-neutral message types shared by channels (bot/) and handlers.

Channels translate platform payloads into `Incoming` and render `Reply`; handlers only
ever see these types. Ids are strings on every platform.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ChatKind = Literal["private", "group"]


@dataclass(frozen=True)
class Incoming:
    platform: str
    chat_id: str
    chat_kind: ChatKind
    user_id: str
    display_name: str
    text: str
    message_id: str
    time: datetime  # UTC, timezone-aware
    is_edit: bool = False
    # Set by the channel: the message mentions the bot or replies to one of its messages.
    addressed_to_bot: bool = False
    # The bot's own username on this platform, so `/cmd@name` can be told apart.
    bot_username: str = ""
    # A pressed button (Telegram callback query) carries the choice payload as `text`.
    is_choice: bool = False
    # Distinguishes redeliveries of one edit from a second edit of the same message.
    edit_id: str = ""
    # Set by the dispatcher on an answer to choices: the message_ref of the message that
    # offered them, so a confirmed report belongs to the message that made it.
    answers_ref: str = ""
    # Where the answer goes in a group: the message to answer as a reply, the forum topic.
    reply_to: str = ""
    thread_id: str = ""
    # Someone else's message passed on (never a report or a command of the sender's).
    forwarded: bool = False
    # Sent in the name of the group (an anonymous admin): nobody to hold to a role.
    anonymous: bool = False
    # Not a message: "added" / "removed" when the bot joined or left the group.
    event: str = ""

    @property
    def key(self) -> str:
        """Idempotency key: one platform message (or one edit of it) is handled once."""
        base = f"{self.platform}:{self.chat_id}:{self.message_id}"
        return f"{base}:edit:{self.edit_id}" if self.is_edit else base

    @property
    def message_ref(self) -> str:
        """The original message, shared by all its edits (for an answer to choices, the
        message that offered them)."""
        return self.answers_ref or f"{self.platform}:{self.chat_id}:{self.message_id}"


@dataclass(frozen=True)
class Choice:
    label: str
    payload: str  # dispatched as if the user had typed it


@dataclass(frozen=True)
class Document:
    """A file sent with a reply (an XLSX export): its file name and bytes."""
    name: str
    data: bytes


@dataclass(frozen=True)
class Reply:
    text: str
    image: bytes | None = None
    choices: tuple[Choice, ...] = field(default_factory=tuple)
    document: Document | None = None
    # Set by the channel side from the Incoming it answers (a group's message, a topic).
    reply_to: str = ""
    thread_id: str = ""

    def to_json(self, *, attachments: bool = True) -> dict:
        """The reply as JSON (for the outbox and the stored answers); images and documents
        base64-encoded, or left out with `attachments=False`."""
        doc = self.document if attachments else None
        image = self.image if attachments else None
        return {"text": self.text, "choices": [[c.label, c.payload] for c in self.choices],
                "image": base64.b64encode(image).decode() if image else None,
                "document": [doc.name, base64.b64encode(doc.data).decode()] if doc else None,
                "reply_to": self.reply_to, "thread_id": self.thread_id}

    @classmethod
    def from_json(cls, payload: dict) -> "Reply":
        image, doc = payload.get("image"), payload.get("document")
        return cls(payload["text"], base64.b64decode(image) if image else None,
                   tuple(Choice(label, data) for label, data in payload.get("choices", [])),
                   Document(doc[0], base64.b64decode(doc[1])) if doc else None,
                   payload.get("reply_to", ""), payload.get("thread_id", ""))
