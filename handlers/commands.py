"""Command parsing: `/dangky 5`, `/đăngký 5`, `/dk@hamletbot 5`, `đăng ký 5`, `Dang ky 5`.

Commands are matched on folded text (no diacritics, lowercase), so every spelling a user
may type on a phone keyboard reaches the same handler. Names, aliases and bare forms come
from the command table (handlers/registry.py).
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from handlers.registry import COMMANDS
from handlers.text import fold

# Every name and alias (folded, without the slash, spaces removed) → the canonical name.
_LOOKUP = {alias: c.name for c in COMMANDS for alias in (c.name, *c.aliases)}
# Typed without a slash, these phrases act as the command only when what follows fits,
# so a question like "đăng ký ở đâu?" still reaches the FAQ.
_BARE = [(re.compile(c.bare), c.name) for c in COMMANDS if c.bare]
_SLASH = re.compile(r"^/(?P<name>[^\s@]+)(?:@(?P<bot>\S+))?\s*(?P<args>.*)$", re.DOTALL)


@dataclass(frozen=True)
class Parsed:
    name: str  # canonical command; "" for free text; "?" for an unknown command
    args: str
    typed: str = ""  # what the user typed as the command (for suggestions)
    for_other_bot: bool = False


def parse(text: str, bot_username: str = "") -> Parsed:
    # NFKC: full-width digits and letters are the ASCII ones; format characters (bidi
    # marks, BOM, zero-width) are never part of a command.
    text = "".join(ch for ch in unicodedata.normalize("NFKC", text)
                   if unicodedata.category(ch) != "Cf")
    if bot_username:  # "@hamletbot tiến độ" and "/tiendo@hamletbot" are both meant for us
        text = re.sub(rf"@{re.escape(bot_username)}\b", "", text, flags=re.IGNORECASE)
    text = text.strip()
    slash = _SLASH.match(text)
    if slash:
        target = slash["bot"]
        if target:  # addressed to another bot in the group
            return Parsed("", "", for_other_bot=True)
        typed = fold(slash["name"])
        return Parsed(_LOOKUP.get(typed, "?"), slash["args"].strip(), typed=typed)
    folded = fold(text)
    for pattern, name in _BARE:
        head = pattern.match(folded)
        if head:  # the arguments as typed (with diacritics): folding keeps the words
            skip = len(folded[:head.end()].split())
            return Parsed(name, " ".join(text.split()[skip:]))
    return Parsed("", text)


def suggest(typed: str) -> str | None:
    """The nearest known command to a mistyped one, if any is close."""
    found = difflib.get_close_matches(typed, list(_LOOKUP), n=1, cutoff=0.6)
    return _LOOKUP[found[0]] if found else None
