"""Dated policy figures: load policy/policy.toml, validate it, and look values up by date.

Every figure holds between two dates; answers take it from here for the day asked about,
with its legal basis and the day it came into force. Figures that are arithmetic on the
inputs (income bounds, contributions, support, funeral allowance, health insurance amounts)
are computed here, never stored, and carry the weakest status of their inputs.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any, Iterable

from models.policy_footer import Footer

POLICY_FILE = Path(str(files("hamletbot.policy") / "policy.toml"))  # policy/, as package data
STATUSES = ("verified", "derived", "unverified")
FIELDS = {"value", "valid_from", "valid_to", "basis", "source", "status", "note"}

# The known keys and the kind of value each holds. A key not listed here is an error.
SCHEMA: dict[str, str] = {
    "base_salary": "money", "reference_level": "money",
    "rural_poverty_line": "money", "urban_poverty_line": "money",
    "vsi_min_base_rule": "text", "vsi_rate": "rate", "vsi_max_multiplier": "int",
    "vsi_min_age": "int", "vsi_benefits": "text", "vsi_payment_months": "ints", "vsi_prepay_max_months": "int",
    "vsi_missing_max_months": "int", "vsi_deadline_months.six": "int",
    "vsi_deadline_months.twelve": "int", "vsi_book_issue_days": "int",
    "vsi_support_rate.poor": "rate", "vsi_support_rate.near_poor": "rate",
    "vsi_support_rate.ethnic_minority": "rate", "vsi_support_rate.other": "rate",
    "vsi_support_max_months": "int",
    "maternity_allowance_vsi": "money", "maternity_min_months": "int",
    "maternity_window_months": "int", "maternity_filing_days": "int",
    "maternity_decision_days": "int",
    "pension_min_years": "int", "pension_rate.start": "rate", "pension_rate.step": "rate",
    "pension_rate.max": "rate", "pension_rate.men_full_years": "int",
    "pension_rate.men_short_start": "rate", "pension_rate.men_short_step": "rate",
    "pension_transition_age.male": "int", "pension_transition_age.female": "int",
    "social_pension": "money", "social_pension_age": "int", "social_pension_age_poor": "int",
    "retirement_age.male": "age", "retirement_age.female": "age",
    "funeral_multiplier": "int", "funeral_min_months": "int",
    "lump_sum_factor.before_2014": "rate", "lump_sum_factor.from_2014": "rate",
    "lump_sum_split_year": "int",
    "survivor_min_months": "int", "survivor_filing_days": "int",
    "survivor_decision_days": "int",
    "withdrawal_wait_months": "int", "withdrawal_max_years": "int",
    "withdrawal_decision_days": "int", "withdrawal_new_rules_from": "date",
    "withdrawal_disability_min": "rate", "hi_poor_state_paid": "rate",
    "maternity_stillbirth_weeks": "int", "pension_floor_voluntary": "text",
    "pension_transition_joined_before": "date", "pension_transition_min_years": "int",
    "hi_household_rate": "rate", "hi_household_factors": "rates",
    "hi_near_poor_support_min": "rate", "hi_farm_support_min": "rate",
    "hi_payment_months": "ints", "hi_benefit_rate": "rate", "hi_card_wait_days": "int",
    "hi_card_gap_months": "int", "hi_card_issue_days": "int",
    "contact.hotline": "text", "contact.website": "text",
    "contact.public_service_portal": "text", "contact.app": "text",
}
# Support groups of voluntary SI, in the order answers list them.
SUPPORT_GROUPS = ("poor", "near_poor", "ethnic_minority", "other")


class PolicyError(ValueError):
    """The policy file is unusable; the message names the key and the period."""


class PolicyGap(KeyError):
    """A figure an answer needs has no value on the day asked about."""


@dataclass(frozen=True)
class Age:
    years: int
    months: int


@dataclass(frozen=True)
class Period:
    key: str
    value: Any
    valid_from: date
    valid_to: date | None  # None: open, until replaced
    basis: str
    source: str
    status: str
    note: str = ""

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def label(self) -> str:
        return f"{self.key} [{self.valid_from} → {self.valid_to or 'open'}]"


class Policy:
    def __init__(self, periods: dict[str, list[Period]]):
        self.periods = periods

    def at(self, day: date) -> PolicyView:
        return PolicyView(self, day)

    def period(self, key: str, day: date) -> Period | None:
        if key not in SCHEMA:
            raise KeyError(f"unknown policy key {key!r}")
        return next((p for p in self.periods[key] if p.covers(day)), None)

    def unchanged_since(self, key: str, day: date) -> date | None:
        """The first day of the run of periods holding the day's value without a break."""
        periods = self.periods[key]
        i = next((i for i, p in enumerate(periods) if p.covers(day)), None)
        if i is None:
            return None
        while i > 0 and periods[i - 1].value == periods[i].value:
            i -= 1
        return periods[i].valid_from

    def next_period(self, key: str, day: date) -> Period | None:
        """The period of the key that starts after the day, if one is known."""
        return next((p for p in self.periods[key] if p.valid_from > day), None)

    def change_dates(self) -> list[date]:
        """Every day on which some figure starts to hold: the boundaries tests check."""
        return sorted({p.valid_from for ps in self.periods.values() for p in ps})


class PolicyView:
    """The figures in force on one day, as templates and handlers read them."""

    def __init__(self, policy: Policy, day: date):
        self.policy = policy
        self.day = day

    # -- stored figures
    def period(self, key: str) -> Period | None:
        return self.policy.period(key, self.day)

    def has(self, key: str) -> bool:
        return self.period(key) is not None

    def v(self, key: str) -> Any:
        return self._required(key).value

    def get(self, key: str, default: Any = None) -> Any:
        period = self.period(key)
        return default if period is None else period.value

    def since(self, key: str) -> date:
        return self._required(key).valid_from

    def unverified(self, *keys: str) -> bool:
        """True when any of the keys is unverified (or missing) on this day."""
        return any(self.period(k) is None or self.period(k).status == "unverified"
                   for k in keys)

    def percent(self, key: str) -> Decimal:
        """A rate as a percentage number: 0.22 → 22, 0.045 → 4.5 (for the `num` filter)."""
        return _percent(self.v(key))

    def footer(self, *keys: str) -> Footer | None:
        """Keys without a value on this day are left out (the answer then does not use them);
        None when none has one. `since` is the day the figures took the values they have."""
        keys = tuple(self.si_reference_key if k == "si_reference" else k for k in keys)
        periods = tuple(p for p in map(self.period, keys) if p is not None)
        if not periods:
            return None
        since = max(self.policy.unchanged_since(p.key, self.day) for p in periods)
        return Footer(periods=periods, since=since,
                      unverified=any(p.status == "unverified" for p in periods))

    def upcoming(self, key: str, within_days: int) -> Period | None:
        """The key's next period if it starts with another value within that many days."""
        nxt = self.policy.next_period(key, self.day)
        if nxt is None or (nxt.valid_from - self.day).days > within_days:
            return None
        return nxt if nxt.value != self.get(key) else None

    def _required(self, key: str) -> Period:
        period = self.period(key)
        if period is None:
            raise PolicyGap(f"policy key {key!r} has no value on {self.day}")
        return period

    # -- derived figures (computed from the inputs above; integers of VND)
    @property
    def si_reference(self) -> int:
        """Reference level from 2025-07-01; the base salary before it."""
        return self.get("reference_level") or self.v("base_salary")

    @property
    def si_reference_key(self) -> str:
        return "reference_level" if self.has("reference_level") else "base_salary"

    @property
    def min_base(self) -> int:
        return self.v("rural_poverty_line")

    @property
    def min_base_unverified(self) -> bool:
        """Also true when the poverty line for the day is not in the data yet."""
        return self.unverified("vsi_min_base_rule", "rural_poverty_line")

    @property
    def max_base(self) -> int:
        return self.v("vsi_max_multiplier") * self.si_reference

    def contribution(self, income: int) -> int:
        return money(self.v("vsi_rate") * income)

    @property
    def min_contribution(self) -> int:
        return self.contribution(self.min_base)

    @property
    def max_contribution(self) -> int:
        return self.contribution(self.max_base)

    def support_groups(self) -> list[str]:
        return [g for g in SUPPORT_GROUPS if self.has(f"vsi_support_rate.{g}")]

    def support(self, group: str) -> int:
        """State support per month: rate × contribution rate × rural poverty line."""
        return money(self.v(f"vsi_support_rate.{group}") * self.min_contribution)

    def support_percent(self, group: str) -> Decimal:
        return self.percent(f"vsi_support_rate.{group}")

    @property
    def funeral_allowance(self) -> int:
        return self.v("funeral_multiplier") * self.si_reference

    @property
    def hi_first_member(self) -> int:
        """Household health insurance, first member, per month (on the base salary)."""
        return money(self.v("hi_household_rate") * self.v("base_salary"))

    def hi_members(self) -> list[int]:
        """Monthly amount of the 1st, 2nd, … 5th-and-later member."""
        first = self.hi_first_member
        return [money(f * first) for f in self.v("hi_household_factors")]

    def hi_factor_percents(self) -> list[Decimal]:
        return [_percent(f) for f in self.v("hi_household_factors")]

    def retirement_age(self, sex: str) -> Age:
        return self.v(f"retirement_age.{sex}")


def money(amount: Decimal | int) -> int:
    """Whole đồng, halves rounded up."""
    return int(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _percent(rate: Decimal) -> Decimal:
    return (rate * 100).normalize()


# ------------------------------------------------------------------- loading and checking

def load_policy(path: Path | None = None) -> Policy:
    path = path or POLICY_FILE
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(f"{path}: not valid TOML ({e})") from e
    except OSError as e:
        raise PolicyError(f"cannot read policy file {path}: {e}") from e
    found = dict(_leaves(raw))
    unknown = sorted(set(found) - set(SCHEMA))
    if unknown:
        raise PolicyError(f"{path}: unknown key(s) {', '.join(unknown)} (known keys are "
                          f"declared in models/policy.py SCHEMA)")
    missing = sorted(set(SCHEMA) - set(found))
    if missing:
        raise PolicyError(f"{path}: missing key(s) {', '.join(missing)}")
    periods = {key: _check_key(key, rows) for key, rows in found.items()}
    return Policy(periods)


def _leaves(table: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for name, item in table.items():
        key = f"{prefix}{name}"
        if isinstance(item, dict):
            yield from _leaves(item, key + ".")
        else:
            yield key, item


def _check_key(key: str, rows: Any) -> list[Period]:
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise PolicyError(f"{key}: expected a list of periods ([[{key}]] tables)")
    periods = sorted((_check_period(key, i, r) for i, r in enumerate(rows, 1)),
                     key=lambda p: p.valid_from)
    for before, after in zip(periods, periods[1:]):
        if before.valid_to is None or after.valid_from <= before.valid_to:
            raise PolicyError(f"{key}: period {before.label()} overlaps {after.label()}")
        if after.valid_from != before.valid_to + timedelta(days=1):
            raise PolicyError(f"{key}: gap between {before.label()} and {after.label()}: "
                              f"no value from {before.valid_to + timedelta(days=1)} to "
                              f"{after.valid_from - timedelta(days=1)}")
    return periods


def _check_period(key: str, index: int, row: dict[str, Any]) -> Period:
    where = f"{key} period #{index}"
    extra = sorted(set(row) - FIELDS)
    if extra:
        raise PolicyError(f"{where}: unknown field(s) {', '.join(extra)}")
    for name in ("value", "valid_from", "basis", "status"):
        if name not in row:
            raise PolicyError(f"{where}: missing {name}")
    valid_from = _date(where, "valid_from", row["valid_from"])
    valid_to = _date(where, "valid_to", row["valid_to"]) if "valid_to" in row else None
    where = f"{key} [{valid_from} → {valid_to or 'open'}]"
    if valid_to is not None and valid_to < valid_from:
        raise PolicyError(f"{where}: valid_to is before valid_from")
    basis = row["basis"]
    if not isinstance(basis, str) or not basis.strip():
        raise PolicyError(f"{where}: missing basis (the legal basis of the figure)")
    if row["status"] not in STATUSES:
        raise PolicyError(f"{where}: status must be one of {', '.join(STATUSES)}, "
                          f"not {row['status']!r}")
    return Period(key=key, value=_value(where, SCHEMA[key], row["value"]),
                  valid_from=valid_from, valid_to=valid_to, basis=basis.strip(),
                  source=str(row.get("source", "")), status=row["status"],
                  note=str(row.get("note", "")))


def _date(where: str, name: str, raw: Any) -> date:
    if isinstance(raw, date) and not hasattr(raw, "hour"):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise PolicyError(f"{where}: {name} {raw!r} is not a date (write YYYY-MM-DD)")


def _value(where: str, kind: str, raw: Any) -> Any:
    def bad() -> PolicyError:
        return PolicyError(f"{where}: value {raw!r} is not a valid {kind}")

    def rate(x: Any) -> Decimal:
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not 0 <= x <= 100:
            raise bad()
        return Decimal(str(x))  # str() keeps 0.22 exact

    if kind in ("money", "int"):
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise bad()
        return raw
    if kind == "rate":
        return rate(raw)
    if kind == "rates":
        if not isinstance(raw, list) or not raw:
            raise bad()
        return tuple(rate(x) for x in raw)
    if kind == "ints":
        if not isinstance(raw, list) or not raw or not all(
                isinstance(x, int) and not isinstance(x, bool) for x in raw):
            raise bad()
        return tuple(raw)
    if kind == "text":
        if not isinstance(raw, str) or not raw:
            raise bad()
        return raw
    if kind == "date":
        return _date(where, "value", raw)
    if kind == "age":
        if not isinstance(raw, dict) or set(raw) != {"years", "months"}:
            raise bad()
        return Age(int(raw["years"]), int(raw["months"]))
    raise bad()
