"""Choices as a numbered list, for channels without buttons (Zalo, the console).

The user answers with the number; the dispatcher resolves it against the choices it
stored for that user and chat (models.processed.PendingChoice).
"""
from __future__ import annotations

from handlers.types import Reply

HINT_TEMPLATE = "common/answer_by_number.j2"


def numbered(reply: Reply, hint: str = "") -> str:
    """The reply's text, then `  1. label` per choice, then the hint (if given)."""
    lines = [reply.text, *(f"  {i}. {c.label}" for i, c in enumerate(reply.choices, 1))]
    if reply.choices and hint:
        lines.append(hint)
    return "\n".join(line for line in lines if line)
