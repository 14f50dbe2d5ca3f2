"""Parsing the counts of a report: `5`, `5 bhyt 3`, `bhyt 3`, `5 người`, `3 bhxh`, `3 bhyt`,
`2 bhxh 4 bhyt`, with a trailing `xacnhan`. Only ASCII digits (full-width ones after NFKC) are numbers."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from handlers.text import fold

CONFIRM_WORD = "xacnhan"
_INTEGER = re.compile(r"^[+\-]?[0-9]+$")
_LONG_DIGITS = re.compile(r"[0-9]{7,}")
_DECIMAL = re.compile(r"^[+\-]?[0-9]*[.,][0-9.,]*$")
_EXPONENT = re.compile(r"^[+\-]?[0-9.,]+e[+\-]?[0-9]+$")

# Folded words (longest first) that name a programme, or say what was counted ("5 người").
LABELS = {
    "bhxh tu nguyen": "bhxh_tn", "bhxh tn": "bhxh_tn", "bhxhtn": "bhxh_tn", "bhxh": "bhxh_tn",
    "tu nguyen": "bhxh_tn", "tn": "bhxh_tn", "bhyt ho gia dinh": "bhyt", "bhyt hgd": "bhyt",
    "bhyt": "bhyt", "y te": "bhyt",
}
UNIT_WORDS = ("nguoi dang ky", "nguoi", "ho so", "hoso", "hs", "dang ky", "ca")
_PHRASES = sorted([*LABELS, *UNIT_WORDS], key=lambda p: -len(p.split()))


@dataclass
class Counts:
    values: dict[str, int] = field(default_factory=dict)  # programme → count
    confirmed: bool = False
    error: str = ""  # template name under reporting/ when the input is bad
    bad: str = ""  # the offending words as typed, shown back to the user

    @property
    def total(self) -> int:
        return sum(self.values.values())


def tokens_of(args: str) -> list[tuple[str, str]]:
    """(folded word or phrase, as typed) pairs; a known phrase of several words is one."""
    typed = unicodedata.normalize("NFKC", args).split()
    folded = [fold(w) for w in typed]
    out, i = [], 0
    while i < len(typed):
        for phrase in _PHRASES:
            n = len(phrase.split())
            if " ".join(folded[i:i + n]) == phrase:
                out.append((phrase, " ".join(typed[i:i + n])))
                i += n
                break
        else:
            out.append((folded[i], typed[i]))
            i += 1
    return out


# A nil report: the hamlet reported, nobody new this week (`/dangky 0`, "không có ai").
_NIL = re.compile(r"^(0|khong|khong co|khong co ai|chua co|chua co ai|tuan nay chua co"
                  r"|tuan nay chua co ai|tuan nay khong co( ai)?)$")


def is_nil(args: str) -> bool:
    return bool(_NIL.match(" ".join(fold(args).split())))


def parse_counts(args: str, first: str, cap: int) -> Counts:
    """`first` is the programme a number without a programme word counts for."""
    tokens = tokens_of(args)
    result = Counts()
    if tokens and tokens[-1][0] == CONFIRM_WORD:
        result.confirmed, tokens = True, tokens[:-1]
    tokens = [(w, t) for w, t in tokens if w not in UNIT_WORDS]
    if _number_then_programme(tokens):
        return _pairs(result, tokens, cap)
    label, last = None, None  # a programme word waiting for its number; the last counted
    for word, typed in tokens:
        if word in LABELS:
            # "3 bhxh" names the programme of the number before it, when it is the same
            # programme that number already counted for; otherwise it waits for a number.
            if not (label is None and last == LABELS[word]):
                label = LABELS[word]
            last = None
            continue
        programme = label or first
        if programme in result.values:
            return _bad(result, "extra_words", typed)
        error = _check(word, cap)
        if error:
            return _bad(result, error, typed)
        result.values[programme] = int(word)
        label, last = None, programme
    if not result.values or label:
        return _bad(result, "missing_number", "")
    return result


def _number_then_programme(tokens: list[tuple[str, str]]) -> bool:
    """`3 bhyt`, `2 bhxh 4 bhyt`: every number is followed by its programme's name."""
    return bool(tokens) and len(tokens) % 2 == 0 and all(
        (word in LABELS) == (i % 2 == 1) for i, (word, _) in enumerate(tokens))


def _pairs(result: Counts, tokens: list[tuple[str, str]], cap: int) -> Counts:
    for (number, typed), (label, label_typed) in zip(tokens[::2], tokens[1::2]):
        if LABELS[label] in result.values:
            return _bad(result, "extra_words", label_typed)
        error = _check(number, cap)
        if error:
            return _bad(result, error, typed)
        result.values[LABELS[label]] = int(number)
    return result


def _check(token: str, cap: int) -> str:
    if _INTEGER.match(token):
        if len(token.lstrip("+-")) > 9:  # no int() on a thousand digits
            return "over_cap"
        value = int(token)
        if value <= 0:
            return "not_positive"
        return "over_cap" if value > cap else ""
    if _EXPONENT.match(token):
        return "exponent"
    return "not_whole" if _DECIMAL.match(token) else "not_number"


def _bad(result: Counts, error: str, token: str) -> Counts:
    # Echoed back (and so stored with the answer): never a whole phone or ID number.
    shown = _LONG_DIGITS.sub(lambda m: m[0][:3] + "…", token[:30])
    result.error, result.bad, result.values = error, shown, {}
    return result
