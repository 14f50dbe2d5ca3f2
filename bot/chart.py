"""The leaderboard chart: per programme, horizontal bars of progress with the target line.

Drawn with matplotlib's object API on the Agg canvas (no pyplot state, no display), in
DejaVu Sans, which ships with matplotlib and has every Vietnamese glyph. Sized for a phone:
Telegram shows a photo about as wide as the screen, so the picture is narrow and its text
large. Every word comes from templates/leaderboard/chart_labels.j2 (see `Labels`).
"""
from __future__ import annotations

import io
import re
import textwrap
from typing import NamedTuple

FONT = "DejaVu Sans"
BAR = "#2b7bb9"  # on pace for the year
LOW = "#f0a030"  # behind the pace the year needs: a colour that asks for help, not red
DONE = "#3a9d5d"  # target reached
TARGET = "#c0392b"
PACE = "#555555"
WIDTH_IN, DPI = 7.0, 130  # 910 px: as wide as a phone screen shows it
NAME_WIDTH = 18  # characters per line of a bar's name: longer names wrap, bars keep room
_SUFFIX = re.compile(r"\s+\([^()]+\)$")  # "Khu vực 1 (Long Mỹ)": the parent's name


class Labels(NamedTuple):
    """The lines of chart_labels.j2, in order; then one line per programme."""
    title: str
    axis: str
    target: str  # the 100% line
    pace: str  # the line of the share of the year gone (Week.expected_pct)
    done: str  # legend of each colour
    on_pace: str
    behind: str
    gain: str  # after a bar's gain: "+12 tuần này"
    programmes: tuple[str, ...]

    @classmethod
    def of(cls, lines: list[str]) -> "Labels":
        return cls(*lines[:8], tuple(lines[8:]))


def draw_board(data: dict) -> bytes | None:
    """PNG bytes for a leaderboard view (handlers.leaderboard.view plus `labels`); None when
    no unit has a target (nothing to draw)."""
    if not any(_rows(s) for s in data["sections"]):
        return None
    figure = board_figure(data)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def board_figure(data: dict):
    """The matplotlib Figure of the chart (tests read its texts)."""
    # Imported here: matplotlib takes a while to load, and most runs never draw.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = Labels.of(data["labels"])
    sections = [s for s in data["sections"] if _rows(s)]
    heights = [len(_rows(s)) for s in sections]
    fig = Figure(figsize=(WIDTH_IN, 2.2 + 0.5 * sum(heights) + 1.0 * len(sections)), dpi=DPI,
                 layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(sections), 1, squeeze=False, sharex=True,
                        gridspec_kw={"height_ratios": heights})[:, 0]
    names, parent = _short_names(sections)
    pace = data["week"].expected_pct
    for ax, section in zip(axes, sections):
        title = labels.programmes[data["sections"].index(section)]
        _draw_section(ax, section, names, title, labels, pace)
    right = max(percent(r.figures) for s in sections for r in _rows(s))
    axes[-1].set_xlim(0, max(125, right + 50))  # room for the widest label; one 100% line
    axes[-1].set_xlabel(labels.axis, fontname=FONT, fontsize=11)
    fig.suptitle(labels.title if parent in labels.title else f"{labels.title} ({parent})",
                 fontname=FONT, fontsize=15)
    _legend(fig, labels)
    return fig


def _rows(section) -> list:
    rows = [r for r in section.rows if r is not None and r.figures.target]
    if section.focus is not None and section.focus.figures.target:
        rows.append(section.focus)
    return rows


def _short_names(sections) -> tuple[dict[int, str], str]:
    """Unit id → the name on its bar, without a "(parent)" that every bar repeats; and that
    parent, said once in the title."""
    units = {r.unit.id: r.unit.name for s in sections for r in _rows(s)}
    found = {m[0] if (m := _SUFFIX.search(name)) else "" for name in units.values()}
    if len(units) < 2 or len(found) != 1 or "" in found:
        return units, ""
    suffix = found.pop()
    return {uid: name[:-len(suffix)] for uid, name in units.items()}, suffix.strip()[1:-1]


def percent(figures) -> int:
    """Whole per cent reached, rounded down: 99.6% is not yet the target."""
    return figures.achieved * 100 // figures.target


def colour(pct: int, pace: int) -> str:
    return DONE if pct >= 100 else BAR if pct >= pace else LOW


def signed(n: int) -> str:
    return f"+{n}" if n > 0 else f"−{-n}" if n < 0 else "0"


def _draw_section(ax, section, names: dict[int, str], title: str, labels: Labels,
                  pace: int) -> None:
    rows = _rows(section)[::-1]  # matplotlib draws the first bar at the bottom
    values = [percent(r.figures) for r in rows]
    ax.barh(range(len(rows)), values, color=[colour(v, pace) for v in values], height=0.7)
    ax.set_yticks(range(len(rows)),
                  [textwrap.fill(f"{r.rank}. {names[r.unit.id]}", NAME_WIDTH) for r in rows],
                  fontname=FONT, fontsize=12)
    ax.axvline(100, color=TARGET, linestyle="--", linewidth=1.5)
    ax.axvline(pace, color=PACE, linestyle=":", linewidth=1.5)
    for y, (row, v) in enumerate(zip(rows, values)):
        # on white, so a line behind never crosses the words
        ax.text(v + 1.5, y, f"{v}%  {signed(row.figures.gain)} {labels.gain}", va="center",
                fontsize=11, fontname=FONT, bbox={"facecolor": "white", "edgecolor": "none",
                                                 "pad": 1})
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_title(title, fontname=FONT, fontsize=13, loc="left", fontweight="bold")
    ax.tick_params(axis="x", labelsize=10, labelbottom=True)
    ax.spines[["top", "right"]].set_visible(False)


def _legend(fig, labels: Labels) -> None:
    """What each colour and line means, once for the whole picture."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Patch(color=DONE, label=labels.done), Patch(color=BAR, label=labels.on_pace),
               Patch(color=LOW, label=labels.behind),
               Line2D([], [], color=TARGET, linestyle="--", label=labels.target),
               Line2D([], [], color=PACE, linestyle=":", label=labels.pace)]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False,
               prop={"family": FONT, "size": 11})
