"""Text folding shared by command parsing and the FAQ matcher."""
from __future__ import annotations

import re
import unicodedata

from handlers.privacy import mask

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def fold(text: str) -> str:
    """Lowercase, without Vietnamese diacritics (đ → d) or invisible marks: 'Đăng Ký' → 'dang ky'."""
    text = _INVISIBLE.sub("", text).replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped).lower()


def clean(text: str) -> str:
    """Text as it may be stored: no NUL or other control characters (PostgreSQL refuses NUL
    in text, and none of them means anything in a chat); tabs and line breaks stay."""
    return _CONTROL.sub("", text)


NAME_MAX = 64


def display_name(name: str) -> str:
    """A platform display name as it may be stored and listed: one line (control, format
    and separator characters dropped, spaces collapsed), at most NAME_MAX characters, and
    no phone or ID number in it."""
    kept = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
                   for ch in name if unicodedata.category(ch) not in ("Cf", "Co", "Cs", "Cn"))
    return " ".join(mask(kept).split())[:NAME_MAX].strip()
