"""Parsing the counts of a report: `5`, `5 bhyt 3`, `bhyt 3`, with a trailing `xacnhan`."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from handlers.text import fold

CONFIRM_WORD = "xacnhan"
_INTEGER = re.compile(r"^[+\-]?\d+$")
_LONG_DIGITS = re.compile(r"\d{7,}")
_NUMERIC = re.compile(r"^[+\-]?[\d.,]+(e[+\-]?\d+)?$")


@dataclass
class Counts:
    values: dict[str, int] = field(default_factory=dict)  # programme → count
    confirmed: bool = False
    error: str = ""  # template name under reporting/ when the input is bad
    bad: str = ""  # the offending token, shown back to the user

    @property
    def total(self) -> int:
        return sum(self.values.values())


def parse_counts(args: str, first: str, cap: int) -> Counts:
    """`first` is the programme a leading bare number counts for."""
    tokens = fold(args).split()
    result = Counts()
    if tokens and tokens[-1] == CONFIRM_WORD:
        result.confirmed, tokens = True, tokens[:-1]
    programme = first
    expecting = True
    for token in tokens:
        if token in ("bhyt", "bhxh", "bhxhtn", "tn"):
            programme = "bhyt" if token == "bhyt" else "bhxh_tn"
            expecting = True
            continue
        if not expecting or programme in result.values:
            return _bad(result, "extra_words", token)
        error = _check(token, cap)
        if error:
            return _bad(result, error, token)
        result.values[programme] = int(token)
        expecting = False
    if not result.values or expecting and tokens:
        return _bad(result, "missing_number", "")
    return result


def _check(token: str, cap: int) -> str:
    if _INTEGER.match(token):
        if len(token.lstrip("+-")) > 9:  # no int() on a thousand digits
            return "over_cap"
        value = int(token)
        if value <= 0:
            return "not_positive"
        return "over_cap" if value > cap else ""
    return "not_whole" if _NUMERIC.match(token) else "not_number"


def _bad(result: Counts, error: str, token: str) -> Counts:
    # Echoed back (and so stored with the answer): never a whole phone or ID number.
    shown = _LONG_DIGITS.sub(lambda m: m[0][:3] + "…", token[:30])
    result.error, result.bad, result.values = error, shown, {}
    return result
