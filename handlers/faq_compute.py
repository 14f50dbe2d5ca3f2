"""Figures computed for one resident's case from the dated policy data (never literals):
retirement age and month, an estimated pension, the funeral grant by the month of death,
whether maternity is due, the household HI total, the contribution after support."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from models.policy import Age, Policy, PolicyView, money

SEXES = ("female", "male")


def add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


@dataclass(frozen=True)
class Retirement:
    """People born in birth months first..last of the year retire at `age`, reaching it in
    the months `reach_first`..`reach_last`; the pension starts the month after. `age` None:
    they reached retirement age before the first year the data covers."""
    first: int
    last: int
    age: Age | None
    reach_first: date | None
    reach_last: date | None


def retirement(policy: Policy, birth_year: int, sex: str) -> list[Retirement]:
    """By birth month, Decree 135/2020's rule: the age of the calendar year in which it is
    reached. Consecutive birth months with the same age share a row."""
    rows: list[Retirement] = []
    for month in range(1, 13):
        age, reach = _reach(policy, date(birth_year, month, 1), sex)
        if rows and rows[-1].age == age:
            rows[-1] = Retirement(rows[-1].first, month, age, rows[-1].reach_first, reach)
        else:
            rows.append(Retirement(month, month, age, reach, reach))
    return rows


def first_year(policy: Policy, sex: str) -> int:
    return policy.periods[f"retirement_age.{sex}"][0].valid_from.year


def for_month(rows: list[Retirement], month: int) -> Retirement:
    """The row of one birth month, narrowed to it."""
    row = next(r for r in rows if r.first <= month <= r.last)
    reach = row.reach_first and add_months(row.reach_first, month - row.first)
    return Retirement(month, month, row.age, reach, reach)


def _reach(policy: Policy, birth: date, sex: str) -> tuple[Age | None, date | None]:
    start = first_year(policy, sex)
    for year in range(start, birth.year + 100):
        age = policy.period(f"retirement_age.{sex}", date(year, 1, 1)).value
        reach = add_months(birth, age.years * 12 + age.months)
        if reach.year < start:
            return None, None
        if reach.year <= year:
            return age, reach
    return None, None


def benefit_years(months: int) -> Decimal:
    """Years for a benefit amount: 1-6 odd months count as half a year, 7-11 as a whole."""
    years, rest = divmod(months, 12)
    return Decimal(years) + (Decimal("0.5") if 1 <= rest <= 6 else Decimal(rest > 6))


def pension_rate(p: PolicyView, months: int, sex: str) -> Decimal | None:
    """The share of the average income paid as pension; None under the minimum years."""
    minimum = p.v("pension_min_years")
    if months < minimum * 12:
        return None
    years = benefit_years(months)
    full = p.v("pension_rate.men_full_years")
    if sex == "male" and years < full:
        rate = p.v("pension_rate.men_short_start") + p.v("pension_rate.men_short_step") * (years - minimum)
    else:
        start_years = full if sex == "male" else minimum
        rate = p.v("pension_rate.start") + p.v("pension_rate.step") * (years - start_years)
    return min(rate, p.v("pension_rate.max"))


def lump_sum(p: PolicyView, months: int, income: int) -> int | None:
    """A lump sum (withdrawal, survivors) if every year paid is from the split year on and the
    average income is `income`; None under a year (then it is the amount paid)."""
    if months < 12:
        return None
    return money(p.v("lump_sum_factor.from_2014") * benefit_years(months) * income)


@dataclass(frozen=True)
class Pension:
    sex: str
    rate: Decimal  # as a percentage number, 45 for 45 %
    amount: int


def pensions(p: PolicyView, months: int, income: int, sex: str | None) -> list[Pension] | None:
    rows = []
    for s in ([sex] if sex else SEXES):
        rate = pension_rate(p, months, s)
        if rate is None:
            return None
        rows.append(Pension(s, (rate * 100).normalize(), money(rate * income)))
    return rows


def funeral(policy: Policy, month: date) -> tuple[PolicyView, int]:
    """The grant for a death in that month: the reference level of the month of death."""
    view = policy.at(month)
    return view, view.funeral_allowance


@dataclass(frozen=True)
class Maternity:
    due: bool | None  # None: not known (no months given)
    missing: int  # months still to pay in the window before the birth
    months_left: int | None  # whole months from now to the birth month, if it is ahead


def maternity(p: PolicyView, paid: int | None, birth: date | None) -> Maternity:
    need = p.v("maternity_min_months")
    ahead = None
    if birth is not None and birth > p.day:
        ahead = (birth.year - p.day.year) * 12 + birth.month - p.day.month
    if paid is None:
        return Maternity(None, need, ahead)
    return Maternity(paid >= need, max(0, need - paid), ahead)


@dataclass(frozen=True)
class Household:
    members: int
    amounts: list[int]  # per member, per month
    month: int

    def total(self, months: int) -> int:
        return self.month * months


def household(p: PolicyView, members: int) -> Household:
    each = p.hi_members()
    amounts = [each[min(i, len(each) - 1)] for i in range(members)]
    return Household(members, amounts, sum(amounts))


@dataclass(frozen=True)
class Contribution:
    income: int
    gross: int  # per month before support
    support: dict[str, int]  # per group, per month
    pays: dict[str, int]  # per group, per month after support


def contribution(p: PolicyView, income: int) -> Contribution:
    gross = p.contribution(income)
    support = {g: p.support(g) for g in p.support_groups()}
    return Contribution(income, gross, support, {g: gross - s for g, s in support.items()})
