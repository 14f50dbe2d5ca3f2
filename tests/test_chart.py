"""The leaderboard chart: a PNG with every Vietnamese glyph (no missing-glyph warnings)."""
from __future__ import annotations

import logging
import warnings
from datetime import date

from bot.chart import draw_board
from handlers.leaderboard import BoardSettings, view
from models.leaderboard import Board, Figures, Standing, UnitInfo, Week, rank

TODAY = date(2026, 11, 25)
NAMES = ["Ấp Mỹ Khánh", "Khu vực Thới Hòa", "Ấp Mỹ Lợi", "Phường Ô Môn", "Xã Mỹ Tú"]


def sample_board() -> Board:
    week = Week.parse("2026-W47")
    kids = [Standing(UnitInfo(i, f"U{i}", name, "hamlet", 0), None,
                     Figures(p, 10 * (i + 1) + (p == "bhyt"), 60 if i != 4 else None, i, 4 * i,
                             week.days_left))
            for i, name in enumerate(NAMES) for p in ("bhxh_tn", "bhyt")]
    rankings = {p: rank([k for k in kids if k.figures.programme == p])
                for p in ("bhxh_tn", "bhyt")}
    totals = {p: Figures(p, 100, 240, 10, 40, week.days_left) for p in ("bhxh_tn", "bhyt")}
    return Board(UnitInfo(0, "MT", "Xã Mỹ Tú", "commune", None), week, week.end, totals,
                 rankings)


def test_chart_is_a_png_with_vietnamese_glyphs(caplog):
    data = view(sample_board(), BoardSettings(), TODAY)
    labels = ["Xã Mỹ Tú: tiến độ tuần", "Tiến độ so với chỉ tiêu năm (%)", "Chỉ tiêu",
              "BHXH tự nguyện", "BHYT hộ gia đình"]
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        png = draw_board({**data, "labels": labels})
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    problems = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    assert not [p for p in problems if "glyph" in p.lower() or "font" in p.lower()]


def test_chart_skips_units_without_target():
    data = view(sample_board(), BoardSettings(), TODAY)
    rows = [r for r in data["sections"][0].rows if r.figures.target]
    assert len(rows) == 4  # Xã Mỹ Tú has no target: listed in the text, not drawn
