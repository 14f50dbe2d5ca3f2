"""The dated policy file: values on both sides of each change, and bad files rejected."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from handlers.faq_compute import household
from models.policy import POLICY_FILE, PolicyError, load_policy

POLICY = load_policy()


@pytest.mark.parametrize("key, day, value", [
    ("base_salary", date(2026, 6, 30), 2_340_000),
    ("base_salary", date(2026, 7, 1), 2_530_000),
    ("reference_level", date(2026, 6, 30), 2_340_000),
    ("reference_level", date(2026, 7, 1), 2_530_000),
    ("rural_poverty_line", date(2026, 12, 31), 1_500_000),
    ("rural_poverty_line", date(2027, 1, 1), 2_200_000),
    ("rural_poverty_line", date(2021, 12, 31), 700_000),
    ("rural_poverty_line", date(2022, 1, 1), 1_500_000),
    ("pension_min_years", date(2025, 6, 30), 20),
    ("pension_min_years", date(2025, 7, 1), 15),
    ("maternity_allowance_vsi", date(2025, 6, 30), None),
    ("maternity_allowance_vsi", date(2025, 7, 1), 2_000_000),
    ("vsi_support_max_months", date(2025, 7, 1), 120),
])
def test_value_on_boundary_dates(key, day, value):
    assert POLICY.at(day).get(key) == value


@pytest.mark.parametrize("day, poor, near, ethnic, other", [
    (date(2025, 6, 30), 99_000, 82_500, None, 33_000),
    (date(2025, 7, 1), 165_000, 132_000, 99_000, 66_000),
    (date(2026, 12, 31), 165_000, 132_000, 99_000, 66_000),
    (date(2027, 1, 1), 242_000, 193_600, 145_200, 96_800),
])
def test_support_amounts(day, poor, near, ethnic, other):
    view = POLICY.at(day)
    got = {g: view.support(g) for g in view.support_groups()}
    want = {"poor": poor, "near_poor": near, "ethnic_minority": ethnic, "other": other}
    assert got == {g: v for g, v in want.items() if v is not None}


@pytest.mark.parametrize("day, max_base, max_pay, funeral, hi_first, hi_four_year", [
    (date(2026, 6, 30), 46_800_000, 10_296_000, 23_400_000, 105_300, 3_538_080),
    (date(2026, 7, 1), 50_600_000, 11_132_000, 25_300_000, 113_850, 3_825_360),
])
def test_derived_figures_on_base_salary_change(day, max_base, max_pay, funeral, hi_first,
                                               hi_four_year):
    view = POLICY.at(day)
    assert view.max_base == max_base
    assert view.max_contribution == max_pay
    assert view.funeral_allowance == funeral
    assert view.hi_first_member == hi_first
    assert household(view, 4).total(12) == hi_four_year
    assert view.min_contribution == 330_000


def test_basis_and_since_are_given():
    view = POLICY.at(date(2026, 7, 1))
    assert view.since("base_salary") == date(2026, 7, 1)
    assert "161/2026" in view.period("base_salary").basis
    assert view.footer("base_salary", "hi_household_rate").short == "NĐ 161/2026, NĐ 188/2025"
    assert POLICY.at(date(2026, 6, 30)).since("base_salary") == date(2024, 7, 1)


def test_unverified_figures_are_flagged():
    assert not POLICY.at(date(2026, 12, 31)).min_base_unverified
    assert POLICY.at(date(2027, 1, 1)).min_base_unverified
    assert POLICY.at(date(2026, 1, 1)).unverified("vsi_prepay_max_months")
    assert not POLICY.at(date(2026, 1, 1)).unverified("maternity_allowance_vsi")


@pytest.mark.parametrize("year, male, female", [
    (2025, (61, 3), (56, 8)), (2026, (61, 6), (57, 0)), (2027, (61, 9), (57, 4)),
    (2028, (62, 0), (57, 8)), (2035, (62, 0), (60, 0)), (2040, (62, 0), (60, 0)),
])
def test_retirement_age_by_year(year, male, female):
    view = POLICY.at(date(year, 6, 1))
    assert (view.retirement_age("male").years, view.retirement_age("male").months) == male
    assert (view.retirement_age("female").years, view.retirement_age("female").months) == female


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = POLICY_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "policy.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("old, new, message", [
    # overlap: the 2026 base salary starts a day early
    ("value = 2_530_000\nvalid_from = 2026-07-01", "value = 2_530_000\nvalid_from = 2026-06-30",
     r"base_salary: period .*overlaps"),
    # gap: the 2027 poverty line starts a day late
    ("value = 2_200_000\nvalid_from = 2027-01-01", "value = 2_200_000\nvalid_from = 2027-01-02",
     r"rural_poverty_line: gap .*no value from 2027-01-01 to 2027-01-01"),
    ("[[vsi_rate]]", "[[vsi_ratio]]", r"unknown key\(s\) vsi_ratio"),
    ("valid_from = 2023-07-01", 'valid_from = "2023-13-01"', r"base_salary period #1: valid_from"),
    ('basis = "Nghị định 24/2023/NĐ-CP"', 'basis = ""', r"base_salary \[2023-07-01 → 2024-06-30\]: missing basis"),
    ('status = "verified"\n', 'status = "maybe"\n', r"status must be one of"),
    ("value = 0.22", 'value = "22%"', r"vsi_rate .*not a valid rate"),
])
def test_bad_files_are_rejected_with_a_clear_message(tmp_path, old, new, message):
    with pytest.raises(PolicyError, match=message):
        load_policy(_broken(tmp_path, old, new))


def test_missing_key_is_rejected(tmp_path):
    text = POLICY_FILE.read_text(encoding="utf-8")
    text = re.sub(r"\[\[contact\.app\]\][^\[]*", "", text)
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match="missing key.*contact.app"):
        load_policy(path)


def test_every_change_date_is_a_known_one():
    known = {date(2016, 1, 1), date(2018, 1, 1), date(2022, 1, 1), date(2023, 7, 1),
             date(2024, 7, 1), date(2025, 7, 1), date(2025, 8, 15), date(2026, 1, 1),
             date(2026, 7, 1), date(2027, 1, 1)} | {date(y, 1, 1) for y in range(2021, 2036)}
    assert set(POLICY.change_dates()) <= known
