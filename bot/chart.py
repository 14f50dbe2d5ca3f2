"""The leaderboard chart: per programme, horizontal bars of progress with the target line.

Drawn with matplotlib's object API on the Agg canvas (no pyplot state, no display), in
DejaVu Sans, which ships with matplotlib and has every Vietnamese glyph. The labels come
from templates/leaderboard/chart_labels.j2: title, axis, target line, one per programme.
"""
from __future__ import annotations

import io

FONT = "DejaVu Sans"
BAR = "#2b7bb9"
LOW = "#f0a030"  # below the pace the year needs: a colour that asks for help, not red
DONE = "#3a9d5d"


def draw_board(data: dict) -> bytes:
    """PNG bytes for a leaderboard view (handlers.leaderboard.view plus `labels`)."""
    # Imported here: matplotlib takes a while to load, and most runs never draw.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    title, axis, target_label, *programme_labels = data["labels"]
    sections = [s for s in data["sections"] if s.rows]
    heights = [max(len(_rows(s)), 1) for s in sections]
    fig = Figure(figsize=(8, 1.2 + 0.32 * sum(heights) + 0.6 * len(sections)), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(sections), 1, squeeze=False,
                        gridspec_kw={"height_ratios": heights})[:, 0]
    expected = _expected_ratio(data)
    for ax, section in zip(axes, sections):
        label = programme_labels[data["sections"].index(section)]
        _draw_section(ax, section, label, axis, target_label, expected)
    fig.suptitle(title, fontname=FONT, fontsize=12)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def _rows(section) -> list:
    rows = [r for r in section.rows if r is not None and r.figures.target]
    if section.focus is not None:
        rows.append(section.focus)
    return rows


def _expected_ratio(data: dict) -> float:
    """Share of the year gone by the end of the week: a bar below it is behind schedule."""
    week = data["week"]
    return 1 - week.days_left / (365 if week.year % 4 else 366)


def _draw_section(ax, section, label: str, axis: str, target_label: str,
                  expected: float) -> None:
    rows = _rows(section)[::-1]  # matplotlib draws the first bar at the bottom
    values = [100 * r.figures.ratio for r in rows]
    colours = [DONE if v >= 100 else LOW if v < 100 * expected else BAR for v in values]
    names = [f"{r.rank}. {r.unit.name}" if r.rank else r.unit.name for r in rows]
    ax.barh(range(len(rows)), values, color=colours)
    ax.set_yticks(range(len(rows)), names, fontname=FONT, fontsize=9)
    ax.axvline(100, color="#c0392b", linestyle="--", linewidth=1.2, label=target_label)
    for y, v in enumerate(values):
        ax.text(v + 1, y, f"{v:.0f}", va="center", fontsize=8, fontname=FONT)
    ax.set_xlim(0, max([110, *[v + 12 for v in values]]))
    ax.set_title(label, fontname=FONT, fontsize=11, loc="left")
    ax.set_xlabel(axis, fontname=FONT, fontsize=9)
    ax.legend(loc="lower right", prop={"family": FONT, "size": 8})
    ax.spines[["top", "right"]].set_visible(False)
