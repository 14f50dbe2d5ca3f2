"""A report written in words by staff in a private chat: "bao 3 nguoi", "báo cáo 3 người",
"hôm nay ấp tui được 3 người đăng ký bhyt". A few rules on folded words: one or two counts,
each said to be people/files/sign-ups or reported, and nothing that makes it a question.
It only proposes; the report is recorded after a yes.
"""
from __future__ import annotations

import re

from handlers.counts import LABELS, UNIT_WORDS, tokens_of
from handlers.text import fold

# Words that say something was reported or signed up, before the count.
_REPORT_VERBS = {"bao", "bao cao", "ghi nhan", "ghi", "dang ky", "dangky", "dk", "duoc",
                 "them", "vua", "tham gia", "ky", "chot", "nop", "lam", "co"}
# Any of these makes the message a question (a resident's or staff's), never a report.
_QUESTION = re.compile(
    r"\?|\b(bao nhieu|bn|khong|ko|k|hong|chua|the nao|nhu nao|sao|gi|may|o dau|dau|nao|"
    r"muon|can|phai|hoi|tinh|neu|thi|duoc khong|co duoc|bao lau|lam sao|tien|nam|thang|"
    r"tuoi|trieu|nghin|ngan|luong|muc|hang|nhieu|het|mua|gia|phi|ha|hen|nhi)\b")
_UNIT = {w for w in UNIT_WORDS} | {"ho", "nguoi dan", "hs", "the"}
_PLACES = {"ap", "to", "vuc", "khom", "xom", "doi", "khu"}  # "ấp 3": a name, not a count
_MAX = 3  # digits: a count of sign-ups, not a year or an amount


def recognise(text: str) -> dict[str, int] | None:
    """The counts (programme → number) the text reports, or None when it is not a report."""
    folded = fold(text)
    if _QUESTION.search(folded) or len(folded) > 200:
        return None
    # "3người", "báo cáo: 3 người." → separate words
    spaced = re.sub(r"(?<=[0-9])(?=[^\W\d_])|[^\w\s]", " ", text)
    tokens = [w for w, _ in tokens_of(spaced)]
    numbers = [i for i, w in enumerate(tokens) if w.isascii() and w.isdigit()
               and not (i and tokens[i - 1] in _PLACES)]
    if not 1 <= len(numbers) <= 2 or any(len(tokens[i]) > _MAX for i in numbers):
        return None
    if not all(_said_of_people(tokens, i) for i in numbers):
        return None
    counts: dict[str, int] = {}
    # "bhxh 3 bhyt 2": programme words before their numbers; else after them ("3 bhxh")
    before = _label_before(tokens, numbers[0]) is not None
    for n, i in enumerate(numbers):
        end = numbers[n + 1] if n + 1 < len(numbers) else len(tokens)
        label = _label_before(tokens, i) if before else _label_after(tokens, i, end)
        programme = label or "bhxh_tn"
        if programme in counts or int(tokens[i]) == 0:
            return None
        counts[programme] = int(tokens[i])
    return counts


def _said_of_people(tokens: list[str], i: int) -> bool:
    after = tokens[i + 1:i + 3]
    before = tokens[max(0, i - 3):i]
    return (any(w in _UNIT or w in LABELS for w in after)
            or any(w in _REPORT_VERBS or w in LABELS for w in before))


def _label_after(tokens: list[str], i: int, end: int) -> str | None:
    return next((LABELS[w] for w in tokens[i + 1:end] if w in LABELS), None)


def _label_before(tokens: list[str], i: int) -> str | None:
    return LABELS.get(tokens[i - 1]) if i else None
