"""Split a long reply into messages a platform accepts (Telegram 4096, Zalo 2000 characters).

Cuts fall on line boundaries; a single line longer than the limit is cut at its last space
before the limit, and only a line without spaces is cut mid-word. Each cut drops the one
newline or space it falls on; blank lines at a cut and blank parts are left out
(platforms refuse empty messages). Lengths are counted in code points: Vietnamese text is all in the Basic
Multilingual Plane, where that equals Telegram's UTF-16 count.
"""
from __future__ import annotations


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` characters each, in order; `[text]` when it already fits."""
    if limit < 1:
        raise ValueError("limit must be positive")
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        if current is not None and len(current) + 1 + len(line) <= limit:
            current = f"{current}\n{line}"
            continue
        if current is not None:
            parts.append(current)
        *full, current = _split_line(line, limit)
        parts.extend(full)
    parts.append(current or "")
    trimmed = (part.strip("\n") for part in parts)
    return [part for part in trimmed if part.strip()]


def _split_line(line: str, limit: int) -> list[str]:
    """One line cut at spaces (or hard, when there are none) into pieces ≤ limit."""
    pieces: list[str] = []
    while len(line) > limit:
        cut = line.rfind(" ", 1, limit + 1)
        if cut <= 0:
            pieces.append(line[:limit])
            line = line[limit:]
        else:
            pieces.append(line[:cut])
            line = line[cut + 1:]
    pieces.append(line)
    return pieces
