"""Geometry of the server-drawn SVG trend chart; templates/web/_trend.html draws it, with
every word and number format there."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 36  # room for the axes' labels


@dataclass(frozen=True)
class Trend:
    points: str  # the achieved line, "x,y x,y ..."
    plan: str  # from 0 on 1 January to the target on 31 December
    target_y: float | None  # the horizontal target line
    y_ticks: list[tuple[float, int]]  # (y, value)
    x_ticks: list[tuple[float, int]]  # (x, month number)
    last: tuple[float, float]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    bottom: int = HEIGHT - BOTTOM


def nice_step(top: int, ticks: int = 5) -> int:
    """A round step (1, 2 or 5 × 10^n) that cuts 0..top into about `ticks` parts."""
    raw = max(top, 1) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return int(next(m * power for m in (1, 2, 5, 10) if m * power >= raw)) or 1


def trend(days: list[date], values: list[int], target: int | None) -> Trend:
    year = days[-1].year
    start, span = date(year, 1, 1), (date(year, 12, 31) - date(year, 1, 1)).days
    step = nice_step(max([*values, target or 0, 1]))
    top = step * math.ceil(max([*values, target or 0, 1]) / step)

    def x(day: date) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * max((day - start).days, 0) / span, 1)

    def y(value: float) -> float:
        return round(HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * value / top, 1)

    coords = [(x(d), y(v)) for d, v in zip(days, values)]
    plan = f"{x(start)},{y(0)} {x(date(year, 12, 31))},{y(target)}" if target else ""
    return Trend(" ".join(f"{a},{b}" for a, b in coords), plan,
                 y(target) if target else None,
                 [(y(v), v) for v in range(0, top + 1, step)],
                 [(x(date(year, m, 1)), m) for m in range(1, 13)], coords[-1])
