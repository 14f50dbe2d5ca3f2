"""One way to send a Reply: what a channel can carry, and the plan of parts it sends.

A channel declares its `Capabilities`; `plan` turns a Reply into ordered parts, the same
order on every channel, and adapts or drops (and logs) what the channel cannot carry, as
nyaruka/courier does:

1. the document, uploaded (`File`), when the channel takes files;
2. the photo (`Photo`), by upload or by URL; its caption is the first piece of text when
   that piece fits the caption limit;
3. the text (`Text`), split at the channel's limit (bot/splitting.py);
4. the document as a download link (`FileLink`), when the channel has no upload.

Choices become buttons on the last photo or text when the channel has buttons, otherwise
a numbered list at the end of the text (bot/choices.py), answered with the number.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Literal

from bot.choices import numbered
from bot.splitting import split_text
from handlers.types import Choice, Document, Reply

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Capabilities:
    text_limit: int | None  # characters per message; None: no limit
    caption_limit: int = 0  # characters a photo caption takes; 0: no captions
    buttons: bool = False  # choices as buttons; otherwise numbered in the text
    photo: Literal["upload", "url"] | None = None  # how a photo goes; None: not at all
    documents: Literal["upload", "link"] | None = None  # a file, or a link to it in a text
    hint: str = ""  # the line under numbered choices (how to answer)
    why: str = ""  # why something is missing, for the log line of what was dropped


@dataclass(frozen=True)
class File:
    document: Document


@dataclass(frozen=True)
class Photo:
    image: bytes
    caption: str | None = None
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Text:
    text: str
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class FileLink:
    document: Document


Part = File | Photo | Text | FileLink


def plan(reply: Reply, caps: Capabilities, *, channel: str = "") -> list[Part]:
    """The parts to send for `reply`, in order (none for a blank text without extras)."""
    text = reply.text if caps.buttons else numbered(reply, caps.hint)
    chunks = [c for c in _split(text, caps.text_limit) if c.strip()]
    parts: list[Part] = []
    if reply.document is not None and caps.documents == "upload":
        parts.append(File(reply.document))
    if reply.image is not None:
        if caps.photo is None:
            log.warning("%s: this channel cannot carry a photo%s; the text goes alone",
                        channel, _because(caps))
        else:
            fits = chunks and caps.caption_limit and len(chunks[0]) <= caps.caption_limit
            parts.append(Photo(reply.image, chunks.pop(0) if fits else None))
    parts.extend(Text(chunk) for chunk in chunks)
    if caps.buttons and reply.choices:
        last = max((i for i, p in enumerate(parts) if isinstance(p, (Photo, Text))), default=None)
        if last is None:
            log.warning("%s: choices without a text or photo to carry them; dropped", channel)
        else:
            parts[last] = replace(parts[last], choices=reply.choices)
    if reply.document is not None:
        if caps.documents == "link":
            parts.append(FileLink(reply.document))
        elif caps.documents is None:
            log.warning("%s: this channel cannot carry a file%s; %s dropped", channel,
                        _because(caps), reply.document.name)
    return parts


def _because(caps: Capabilities) -> str:
    return f" ({caps.why})" if caps.why else ""


def _split(text: str, limit: int | None) -> list[str]:
    if not text.strip():
        return []
    return split_text(text, limit) if limit else [text]
