"""The leaderboard chart: a PNG with every Vietnamese glyph (no missing-glyph warnings), and
what it says, read from the matplotlib figure: bar labels, names, title, legend, colours."""
from __future__ import annotations

import logging
import warnings
from datetime import date

from matplotlib.colors import to_hex

from bot.chart import BAR, DONE, LOW, board_figure, draw_board
from bot.render import make_renderer
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
    labels = chart_data(sample_board())["labels"]
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


LM = ["Khu vực 1 (Long Mỹ)", "Khu vực 2 (Long Mỹ)", "Khu vực 3 (Long Mỹ)",
      "Khu vực 4 (Long Mỹ)"]
# per hamlet: BHXH achieved of 100 and the week's gain; W47 ends with 89% of 2026 gone
BHXH = [(100, 0), (91, 12), (82, 3), (76, -1)]


def long_my_board() -> Board:
    week = Week.parse("2026-W47")
    kids = [Standing(UnitInfo(i, f"LM-KV{i}", name, "hamlet", 0), None,
                     Figures("bhxh_tn", achieved, 100, gain, 0, week.days_left))
            for i, (name, (achieved, gain)) in enumerate(zip(LM, BHXH), start=1)]
    no_target = [Standing(k.unit, None, Figures("bhyt", 5, None, 0, 0, week.days_left))
                 for k in kids]
    totals = {p: Figures(p, 349, 400, 14, 0, week.days_left) for p in ("bhxh_tn", "bhyt")}
    return Board(UnitInfo(0, "LM", "Phường Long Mỹ", "commune", None), week, week.end,
                 totals, {"bhxh_tn": rank(kids), "bhyt": rank(no_target)})


def chart_data(board: Board) -> dict:
    """What board_reply passes to the chart: the view and the labels from the template."""
    data = view(board, BoardSettings(), TODAY)
    return {**data, "labels": make_renderer()("leaderboard/chart_labels.j2", **data).splitlines()}


def test_chart_bars_say_percent_and_the_weeks_gain_with_short_names():
    fig = board_figure(chart_data(long_my_board()))
    [ax] = fig.axes  # BHYT has no target anywhere: no empty panel
    bars = [t.get_text() for t in ax.texts][::-1]  # drawn bottom up
    assert bars == ["100%  0 tuần trước", "91%  +12 tuần trước", "82%  +3 tuần trước",
                    "76%  −1 tuần trước"]  # W47 seen on 25 November is "tuần trước"
    names = [t.get_text() for t in ax.get_yticklabels()][::-1]
    assert names == ["1. Khu vực 1", "2. Khu vực 2", "3. Khu vực 3", "4. Khu vực 4"]
    assert fig.get_suptitle() == "Phường Long Mỹ: tuần 16/11 – 22/11/2026"  # Long Mỹ once
    assert ax.get_title(loc="left") == "BHXH tự nguyện"


def test_chart_legend_names_each_colour_with_its_threshold():
    fig = board_figure(chart_data(long_my_board()))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Đã đạt chỉ tiêu năm", "Kịp tiến độ (từ 89%)", "Chậm tiến độ (dưới 89%)",
                      "Chỉ tiêu năm (100%)", "Tiến độ cần có đến cuối tuần (89%)"]
    [ax] = fig.axes
    colours = [to_hex(bar.get_facecolor()) for bar in ax.patches][::-1]
    assert colours == [DONE, BAR, LOW, LOW]  # 100%, 91% ≥ 89%, then below
    handles = [to_hex(h.get_facecolor()) for h in fig.legends[0].legend_handles[:3]]
    assert handles == [DONE, BAR, LOW]


def test_chart_keeps_names_without_a_shared_parent_and_draws_nothing_without_targets():
    fig = board_figure(chart_data(sample_board()))
    names = " | ".join(t.get_text() for ax in fig.axes for t in ax.get_yticklabels())
    assert "Xã Mỹ Tú" not in names and "Ấp Mỹ Khánh" in names  # no target: no bar
    assert "Khu vực Thới\nHòa" in names  # a long name wraps, bars keep their room
    empty = long_my_board()
    empty = Board(empty.unit, empty.week, empty.as_of, empty.totals,
                  {p: empty.rankings["bhyt"] for p in ("bhxh_tn", "bhyt")})
    assert draw_board(chart_data(empty)) is None

