"""Command parsing: `/dangky 5`, `/đăngký 5`, `/dk@hamletbot 5`, `đăng ký 5`, `Dang ky 5`.

Commands are matched on folded text (no diacritics, lowercase), so every spelling a user
may type on a phone keyboard reaches the same handler.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from handlers.text import fold

# canonical name → aliases (folded, without the slash, spaces removed)
ALIASES: dict[str, tuple[str, ...]] = {
    "start": (),
    "thamgia": (),
    "dangky": ("dk",),
    "bhyt": (),
    "huy": (),
    "boqua": (),
    "tiendo": ("td",),
    "bxh": (),
    "hoi": (),
    "tinh": (),
    "lienket": (),
    "trogiup": ("help", "menu"),
    "xuat": ("xuatexcel", "export"),
    "suachua": ("sua",),
    "lichsu": ("ls",),
    "moi": ("moivao", "invite"),
    "thanhvien": ("tv",),
    "roi": ("roidi", "nghi"),
}
_LOOKUP = {alias: name for name, aliases in ALIASES.items() for alias in (name, *aliases)}

# Typed without a slash, these phrases act as the command only when what follows fits,
# so a question like "đăng ký ở đâu?" still reaches the FAQ.
_BARE = [
    (re.compile(r"^(dang ky|dangky|dk)\s+(?=[+\-]?\d)"), "dangky"),
    (re.compile(r"^(tien do|tiendo)\s*$"), "tiendo"),
    (re.compile(r"^(tro giup|trogiup)\s*$"), "trogiup"),
    (re.compile(r"^(tham gia|thamgia)\s+(?=[a-z0-9-]+\s*$)"), "thamgia"),
]
_SLASH = re.compile(r"^/(?P<name>[^\s@]+)(?:@(?P<bot>\S+))?\s*(?P<args>.*)$", re.DOTALL)


@dataclass(frozen=True)
class Parsed:
    name: str  # canonical command; "" for free text; "?" for an unknown command
    args: str
    typed: str = ""  # what the user typed as the command (for suggestions)
    for_other_bot: bool = False


def parse(text: str, bot_username: str = "") -> Parsed:
    text = unicodedata.normalize("NFC", text)
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
        if head:
            return Parsed(name, folded[head.end():].strip())
    return Parsed("", text)


def suggest(typed: str) -> str | None:
    """The nearest known command to a mistyped one, if any is close."""
    found = difflib.get_close_matches(typed, list(_LOOKUP), n=1, cutoff=0.6)
    return _LOOKUP[found[0]] if found else None
