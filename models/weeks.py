"""Weeks run Monday–Sunday, local dates; a week belongs to the year of its Sunday.

What "this week" means, in one place. "Tuần này" is always the week containing today:
/bxh without a week, /tiendo and the export's "Tăng tuần này" all read the figures of that
week so far (up to today). The Monday push sends the week just ended, complete, and every
board names its week by its dates and as "tuần này", "tuần trước" or neither.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_WEEK = re.compile(r"^([0-9]{4})-W([0-9]{2})$")


@dataclass(frozen=True)
class Week:
    start: date  # a Monday

    @classmethod
    def containing(cls, day: date) -> "Week":
        return cls(day - timedelta(days=day.weekday()))

    @classmethod
    def parse(cls, label: str) -> "Week":
        """'2026-W47' (ISO week) → that week; ValueError when malformed."""
        found = _WEEK.match(label.strip().upper())
        if not found:
            raise ValueError(f"not an ISO week like 2026-W47: {label!r}")
        return cls(date.fromisocalendar(int(found[1]), int(found[2]), 1))

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def year(self) -> int:
        return self.end.year

    @property
    def label(self) -> str:
        iso = self.start.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"

    @property
    def days_left(self) -> int:
        """Days after this Sunday until 31 December of its year."""
        return (date(self.year, 12, 31) - self.end).days

    @property
    def expected_pct(self) -> int:
        """The share of its year gone by this Sunday, in whole per cent: a unit below it is
        behind the pace that reaches the target on 31 December."""
        days = (date(self.year, 12, 31) - date(self.year - 1, 12, 31)).days
        return round(100 * (days - self.days_left) / days)

    def previous(self) -> "Week":
        return Week(self.start - timedelta(days=7))

    def relation(self, today: date) -> str:
        """'this' (the week containing `today`), 'last' (the one before) or 'other'."""
        this = this_week(today)
        return "this" if self == this else "last" if self == this.previous() else "other"

    def as_of(self, today: date) -> date:
        """The day this week's figures are read as of: its Sunday, or today while it runs."""
        return min(self.end, today)

    def gain_span(self, as_of: date) -> tuple[date, date]:
        """The days whose entries count as the week's gain in figures as of `as_of` (a day of
        this week): from Monday, or 1 January when the week spans the new year, to `as_of`."""
        return max(self.start, date(as_of.year, 1, 1)), as_of


def this_week(today: date) -> Week:
    """"Tuần này": the week containing `today`."""
    return Week.containing(today)


def week_just_ended(today: date) -> Week:
    """The week the Monday push sends: the last complete week before `today`'s."""
    return this_week(today).previous()
