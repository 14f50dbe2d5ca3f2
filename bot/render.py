"""Rendering: jinja2 over templates/, with Vietnamese number and date filters from Babel."""
from __future__ import annotations

import math
import os
from datetime import date
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, StrictUndefined

LOCALE = Locale.parse("vi_VN")  # parsed once: Babel would parse a string on every call
TEMPLATES_DIR = Path(str(files("hamletbot.templates")))  # templates/, installed as package data


_GROUP = LOCALE.number_symbols["latn"]["group"]  # "."
_MINUS = LOCALE.number_symbols["latn"]["minusSign"]
_DECIMAL = LOCALE.number_symbols["latn"]["decimal"]  # ","
_PERCENT_SIGN = LOCALE.number_symbols["latn"]["percentSign"]
_PERCENT = "#,##0.00%"
_HUNDREDTH = Decimal("0.01")


def num(value: int | float) -> str:
    """1215 → '1.215'. An int (most figures) is grouped directly: the same text as
    Babel's, without its general path (a Decimal and a pattern per number)."""
    if type(value) is int:
        grouped = f"{abs(value):,}".replace(",", _GROUP)
        return f"{_MINUS}{grouped}" if value < 0 else grouped
    return format_decimal(value, locale=LOCALE)


def pct(ratio: float | None) -> str:
    """0.8052 → '80,52%'; None (no target) → '–'. A ratio of zero or more (every report's
    answer has two) takes Babel's steps without its general path: the number's decimal text
    times 100, rounded half-even to hundredths, grouped."""
    if ratio is None:
        return "–"
    if (type(ratio) not in (int, float) or not 0 <= ratio < math.inf
            or math.copysign(1, ratio) < 0):  # -0.0 prints as '-0,00%'
        return format_percent(ratio, format=_PERCENT, locale=LOCALE)
    whole, _, hundredths = f"{Decimal(str(ratio)).scaleb(2).quantize(_HUNDREDTH):f}".partition(".")
    return f"{num(int(whole))}{_DECIMAL}{hundredths}{_PERCENT_SIGN}"


def vnd(value: int | float) -> str:
    """3000000 → '3.000.000 đ'."""
    return f"{num(value)} đ"


def vdate(value: date) -> str:
    """date(2026, 7, 1) → '01/07/2026'."""
    return format_date(value, format="dd/MM/yyyy", locale=LOCALE)


def make_environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    # Templates are read once; HAMLETBOT_DEV=1 re-reads a template edited while the bot
    # runs (jinja2 would otherwise stat the file on every render).
    env = Environment(loader=FileSystemLoader(templates_dir), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
                      autoescape=False, auto_reload=os.environ.get("HAMLETBOT_DEV") == "1")
    env.filters.update(num=num, pct=pct, vnd=vnd, date=vdate)
    return env


def make_renderer(templates_dir: Path = TEMPLATES_DIR) -> Callable[..., str]:
    """render("reporting/accepted.j2", **data) -> the text, stripped."""
    env = make_environment(templates_dir)

    def render(name: str, **data: Any) -> str:
        return env.get_template(name).render(**data).strip()

    return render
