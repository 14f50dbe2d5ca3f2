"""Phone and citizen-ID-like numbers: found, and masked wherever text is stored or logged.

People write a Vietnamese mobile number with 10 digits (0912345678, 0912 345 678,
+84 912.345.678), an old ID card with 9 and a citizen ID (CCCD) with 12, in groups
separated by spaces, dots or dashes. So a run of digits with single separators between
its groups counts as such a number when it holds 9 or more digits. Dates and times are
not runs (`25/11/2026 09:00`: a slash or a colon ends a run), and a single block of 13 or
more digits without separators is a platform id (a Telegram group, a Zalo user), not a
number a person types.
"""
from __future__ import annotations

import re

from handlers.types import Choice, Reply

MASK = "***"
MIN_DIGITS = 9
PLATFORM_ID_DIGITS = 13
ECHO_DIGITS = 6  # a part of a typed number this long, shown back, is masked too
_RUN = re.compile(r"(?<!\d)(?<!\d[:/])\+?\d(?:[ .\-]?\d)*(?!\d)(?![:/]\d)")


def _digits(run: str) -> str:
    return re.sub(r"\D", "", run)


def _personal(run: str) -> bool:
    digits = _digits(run)
    contiguous = digits == run.lstrip("+")
    return len(digits) >= MIN_DIGITS and not (contiguous and len(digits) >= PLATFORM_ID_DIGITS)


def personal_numbers(text: str) -> list[str]:
    """The digits of every phone- or ID-like number in `text`."""
    return [_digits(m[0]) for m in _RUN.finditer(text) if _personal(m[0])]


def mask(text: str) -> str:
    """`text` with every phone- or ID-like number replaced by ***."""
    return _RUN.sub(lambda m: MASK if _personal(m[0]) else m[0], text)


def mask_echoes(replies: list[Reply], typed: str) -> list[Reply]:
    """The replies with any number the sender typed in `typed` masked, whole or in part
    (an answer that reformats 0912345678 as 912.345.678 echoes it just the same)."""
    numbers = personal_numbers(typed)
    if not numbers:
        return replies

    def hide(text: str) -> str:
        def one(m: re.Match) -> str:
            digits = _digits(m[0])
            echoed = len(digits) >= ECHO_DIGITS and any(digits in n for n in numbers)
            return MASK if echoed else m[0]
        return _RUN.sub(one, text)

    return [Reply(hide(r.text), r.image, tuple(Choice(hide(c.label), c.payload)
                                               for c in r.choices), r.document)
            for r in replies]
