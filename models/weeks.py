"""Weeks run Monday–Sunday, local dates; a week belongs to the year of its Sunday."""
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

    def previous(self) -> "Week":
        return Week(self.start - timedelta(days=7))
