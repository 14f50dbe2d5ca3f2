"""Text folding shared by command parsing and the FAQ matcher."""
from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def fold(text: str) -> str:
    """Lowercase, without Vietnamese diacritics (đ → d) or invisible marks: 'Đăng Ký' → 'dang ky'."""
    text = _INVISIBLE.sub("", text).replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped).lower()
