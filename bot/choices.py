"""Choices as buttons with short ids (`c:token:i`), or as a numbered list for channels
without buttons (Zalo, the console).

The user presses a button or answers with the number; the dispatcher resolves it against
the choices it stored for that user and chat (models.processed.PendingChoice).
"""
from __future__ import annotations

import re

from handlers.types import Reply

_PRESSED = re.compile(r"^c:(?P<token>[a-z0-9]{1,16}):(?P<index>[0-9]{1,2})$")

HINT_TEMPLATE = "common/answer_by_number.j2"


def numbered(reply: Reply, hint: str = "") -> str:
    """The reply's text, then `  1. label` per choice, then the hint (if given)."""
    lines = [reply.text, *(f"  {i}. {c.label}" for i, c in enumerate(reply.choices, 1))]
    if reply.choices and hint:
        lines.append(hint)
    return "\n".join(line for line in lines if line)


def button_id(token: str, index: int) -> str:
    """The id of choice `index` (1-based) of the offer `token`; it fits Telegram's 64 bytes."""
    return f"c:{token}:{index}"


def pressed_choice(text: str) -> tuple[str, int] | None:
    """(token, index) of a pressed button's id, or None for any other text."""
    found = _PRESSED.match(text.strip())
    return (found["token"], int(found["index"])) if found else None
