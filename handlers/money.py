"""Amounts of money as residents type them: '3tr5', '3,5 triệu', '3.000.000', '3500k'."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from handlers.text import fold
from models.policy import money

MILLION = {"tr", "trieu", "cu", "m"}
THOUSAND = {"k", "nghin", "ngan", "ng"}
# number, unit, then an optional digit after a million unit: "3tr5" = 3,5 million
AMOUNT = re.compile(r"([0-9]+(?:[.,][0-9]+)*)\s*([a-z]*)"
                    r"(?:(?:(?<=tr)|(?<=trieu)|(?<=cu)|(?<=m))\s*([0-9])(?![0-9]))?")


def parse_amount(text: str) -> int | None:
    """The whole text as one amount in VND; a bare number under 1000 means millions."""
    text = re.sub(r"\s*(dong|d|vnd)$", "", fold(text).strip())
    text = re.sub(r"\s*ruoi$", "5", text)  # "3 triệu rưỡi"
    m = AMOUNT.fullmatch(text)
    return amount_of(m.group(1), m.group(2), m.group(3) or "") if m else None


def amount_of(number: str, unit: str, tail: str = "") -> int | None:
    """One matched amount: its digits, its unit word and a digit after a million unit."""
    if len(number) > 20:  # no income has that many digits: garbage, not a figure
        return None
    if tail and unit not in MILLION:
        return None
    if unit in MILLION or unit in THOUSAND:
        value = _decimal(number.replace(",", "."))
        if value is not None and tail:
            value = value + Decimal(tail) / 10 if value == value.to_integral() else None
        value = value * (10**6 if unit in MILLION else 10**3) if value is not None else None
    elif unit:
        return None
    elif re.fullmatch(r"[0-9]{1,3}([.,][0-9]{3})+|[0-9]+", number):
        value = Decimal(re.sub(r"[.,]", "", number))
        if value < 1000:  # "/tinh 3" means three million
            value *= 10**6
    else:
        value = _decimal(number.replace(",", "."))
        value = value * 10**6 if value is not None and value < 1000 else None
    return money(value) if value is not None and value > 0 else None


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text.count(".") <= 1 else None
    except InvalidOperation:
        return None
