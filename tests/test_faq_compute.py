"""Computed answers against hand-computed cases, across the date boundaries
(1 Jul 2026, 1 Jan 2027, a death in the month before a change), and the slot reader."""
from __future__ import annotations

from datetime import date

import pytest

from handlers import faq_compute as compute
from handlers.faq_cases import refine
from handlers.faq_slots import read_slots
from models.policy import Age
from tests.faq_fixtures import POLICY

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize("year, sex, rows", [
    # women born 1980 reach 60 in 2040 (the final age), not this year's 57
    (1980, "female", [(1, 12, Age(60, 0), date(2040, 1, 1), date(2040, 12, 1))]),
    # men born 1966: Jan-Mar reach 61y9m in Oct-Dec 2027; from April 62 in 2028
    (1966, "male", [(1, 3, Age(61, 9), date(2027, 10, 1), date(2027, 12, 1)),
                    (4, 12, Age(62, 0), date(2028, 4, 1), date(2028, 12, 1))]),
    # women born 1969: Jan-Apr reach 56y8m in 2025; May-Dec 57y in 2026
    (1969, "female", [(1, 4, Age(56, 8), date(2025, 9, 1), date(2025, 12, 1)),
                      (5, 12, Age(57, 0), date(2026, 5, 1), date(2026, 12, 1))]),
    (1970, "female", [(1, 8, Age(57, 4), date(2027, 5, 1), date(2027, 12, 1)),
                      (9, 12, Age(57, 8), date(2028, 5, 1), date(2028, 8, 1))]),
    (1965, "male", [(1, 6, Age(61, 6), date(2026, 7, 1), date(2026, 12, 1)),
                    (7, 12, Age(61, 9), date(2027, 4, 1), date(2027, 9, 1))]),
    (1990, "male", [(1, 12, Age(62, 0), date(2052, 1, 1), date(2052, 12, 1))]),
    # women born 1968: Jan-Aug reached 56y4m in 2024, Sep-Dec 56y8m in 2025
    (1968, "female", [(1, 8, Age(56, 4), date(2024, 5, 1), date(2024, 12, 1)),
                      (9, 12, Age(56, 8), date(2025, 5, 1), date(2025, 8, 1))]),
    # men born 1960: Jan-Sep turned 60 in 2020 (before the steps); Oct-Dec 60y3m in 2021
    (1960, "male", [(1, 9, None, None, None),
                    (10, 12, Age(60, 3), date(2021, 1, 1), date(2021, 3, 1))]),
])
def test_retirement_by_birth_year(year, sex, rows):
    got = compute.retirement(POLICY, year, sex)
    assert [(r.first, r.last, r.age, r.reach_first, r.reach_last) for r in got] == rows


def test_retired_before_the_data_starts():
    [row] = compute.retirement(POLICY, 1955, "male")
    assert (row.first, row.last, row.age) == (1, 12, None)


@pytest.mark.parametrize("months, income, sex, rate, amount", [
    (180, 1_500_000, "female", 45, 675_000),  # policy-facts 6b illustration
    (180, 1_500_000, "male", 40, 600_000),
    (240, 3_000_000, "female", 55, 1_650_000),
    (240, 3_000_000, "male", 45, 1_350_000),
    (198, 4_000_000, "male", 41.5, 1_660_000),  # 16 y 6 m = 16,5 years
    (203, 4_000_000, "female", 49, 1_960_000),  # 16 y 11 m counts as 17 years
    (420, 5_000_000, "male", 75, 3_750_000),  # 35 years: the cap
    (480, 5_000_000, "female", 75, 3_750_000),
])
def test_pension_estimate(months, income, sex, rate, amount):
    [row] = compute.pensions(POLICY.at(TODAY), months, income, sex)
    assert (float(row.rate), row.amount) == (rate, amount)


@pytest.mark.parametrize("months, income, amount", [
    (120, 3_000_000, 60_000_000),  # 2 × 10 years × 3.000.000
    (90, 2_000_000, 30_000_000),  # 7 y 6 m = 7,5 years
    (126, 3_000_000, 63_000_000),  # 10 y 6 m = 10,5 years
    (11, 3_000_000, None),  # under a year: the amount paid
])
def test_lump_sum_estimate(months, income, amount):
    assert compute.lump_sum(POLICY.at(TODAY), months, income) == amount


def test_no_pension_under_the_minimum_years():
    assert compute.pensions(POLICY.at(TODAY), 179, 3_000_000, "female") is None


@pytest.mark.parametrize("month, amount", [
    (date(2025, 3, 1), 23_400_000),  # old rule: 10 × base salary 2.340.000
    (date(2025, 6, 1), 23_400_000),  # the month before the new law
    (date(2025, 7, 1), 23_400_000),
    (date(2026, 5, 1), 23_400_000),  # asked about in November: still May's level
    (date(2026, 6, 1), 23_400_000),  # the month before the change
    (date(2026, 7, 1), 25_300_000),
    (date(2026, 11, 1), 25_300_000),
])
def test_funeral_grant_by_month_of_death(month, amount):
    assert compute.funeral(POLICY, month)[1] == amount


@pytest.mark.parametrize("day, members, month, year", [
    (date(2026, 6, 30), 1, 105_300, 1_263_600),
    (date(2026, 6, 30), 4, 294_840, 3_538_080),
    (date(2026, 7, 1), 1, 113_850, 1_366_200),
    (date(2026, 7, 1), 4, 318_780, 3_825_360),
    (date(2027, 1, 1), 6, 409_860, 4_918_320),  # 113.850 × (1+.7+.6+.5+.4+.4) = × 3,6
])
def test_household_health_insurance(day, members, month, year):
    h = compute.household(POLICY.at(day), members)
    assert (h.month, h.total(12), h.total(6)) == (month, year, month * 6)


@pytest.mark.parametrize("day, income, gross, other, poor", [
    (date(2026, 6, 30), 3_500_000, 770_000, 704_000, 605_000),
    (date(2026, 12, 31), 3_500_000, 770_000, 704_000, 605_000),
    (date(2027, 1, 1), 3_500_000, 770_000, 673_200, 528_000),  # support on the 2,2 M line
    (date(2025, 6, 30), 1_500_000, 330_000, 297_000, 231_000),  # old 10 % / 30 %
])
def test_contribution_after_support(day, income, gross, other, poor):
    c = compute.contribution(POLICY.at(day), income)
    assert (c.gross, c.pays["other"], c.pays["poor"]) == (gross, other, poor)


@pytest.mark.parametrize("paid, birth, due, missing, ahead", [
    (6, date(2027, 3, 1), True, 0, 4),
    (4, date(2027, 3, 1), False, 2, 4),
    (2, date(2027, 1, 1), False, 4, 2),
    (None, None, None, 6, None),
])
def test_maternity_due(paid, birth, due, missing, ahead):
    m = compute.maternity(POLICY.at(TODAY), paid, birth)
    assert (m.due, m.missing, m.months_left) == (due, missing, ahead)


@pytest.mark.parametrize("answer, question, refined", [
    ("muc_dong.theo_thu_nhap", "tui nam đóng 18 năm mức 2tr5 lãnh bao nhiêu một tháng",
     "huu_tri.muc_luong"),
    ("muc_dong.theo_thu_nhap", "thu nhập 2tr5 đóng bao nhiêu", "muc_dong.theo_thu_nhap"),
    ("huu_tri.overview", "nữ sinh 1980 khi nào nghỉ hưu", "huu_tri.tuoi"),
    ("tu_tuat.overview", "ba mất tháng 5", "tu_tuat.mai_tang"),
    ("bhyt_hgd.overview", "nhà 4 người", "bhyt_hgd.muc_dong"),
    ("dieu_kien.overview", "đóng cho má tui được không", "dieu_kien.nguoi_than"),
    ("thai_san.ai_nhan", "đóng 5 tháng", "thai_san.ai_nhan"),  # a specific answer stays
    ("thai_san.overview", "sinh đôi được bao nhiêu", "thai_san.muc_huong"),
])
def test_refine_by_slots(answer, question, refined):
    assert refine(answer, read_slots(question, TODAY)) == refined


@pytest.mark.parametrize("question, expected", [
    ("tui nữ sinh 1980 chừng nào nghỉ hưu", dict(birth_year=1980, sex="female")),
    ("toi nam sinh nam 1970", dict(birth_year=1970, sex="male")),
    ("sinh năm 1968 nam thì bao giờ nghỉ hưu", dict(birth_year=1968, sex="male")),
    ("chồng tui 58 tuổi", dict(age=58, birth_year=1968, sex="male")),
    ("anh ơi má tui 58t đóng đc ko", dict(age=58, sex="female")),
    ("ba tui mất tháng 5", dict(sex="male", month=date(2026, 5, 1))),
    ("bà nội mất tháng 12", dict(sex="female", month=date(2025, 12, 1))),
    ("mất tháng 6/2026", dict(month=date(2026, 6, 1))),
    ("dự sinh tháng 3", dict(month=date(2027, 3, 1))),
    ("nhà tui 4 người mua BHYT hết nhiêu", dict(household=4)),
    ("vo chong 2 con mua bhyt 6 thang", dict(household=4, period=6)),
    ("nhà có năm người", dict(household=5)),
    ("đóng 3tr5 thì mỗi tháng bao nhiêu", dict(income=3_500_000)),
    ("thu nhập 3,5 triệu", dict(income=3_500_000)),
    ("hộ nghèo đóng 2 triệu rưỡi", dict(income=2_500_000, group="poor")),
    ("ở xã đảo đóng mức 2tr", dict(income=2_000_000, group="poor")),
    ("chị đóng 16 năm 6 tháng thu nhập 4tr", dict(paid_months=198, income=4_000_000, sex="female")),
    ("dong 15 nam thi duoc huu chua", dict(paid_months=180, sex=None)),
    ("vợ đóng được 5 tháng", dict(paid_months=5, sex="female")),
    ("ba mất hồi tháng năm", dict(month=date(2026, 5, 1))),
    ("ba mất tháng năm năm ngoái", dict(month=date(2025, 5, 1))),
    ("mất năm ngoái tháng 8", dict(month=date(2025, 8, 1))),
    ("mất tháng 11 năm 2025", dict(month=date(2025, 11, 1))),
    ("ba mất ngày 15/5/2026", dict(month=date(2026, 5, 1))),
    ("sinh em bé vào tháng 2 năm sau", dict(month=date(2027, 2, 1))),
    ("2 vợ chồng và 3 đứa con mua bhyt", dict(household=5)),
    ("em sinh năm 85, nữ, bao giờ về hưu", dict(birth_year=1985, sex="female")),
    ("tui 1972 nam, mấy tuổi nghỉ hưu", dict(birth_year=1972, sex="male")),
    ("chồng tui sinh năm 1966 tháng 2", dict(birth_year=1966, birth_month=2, month=None)),
    ("đóng 1 triệu rưỡi", dict(income=1_500_000)),
    ("đóng 7 năm rưỡi mức 2tr", dict(paid_months=90, income=2_000_000)),
    ("đóng cho má tui được không", dict(for_relative=True, sex="female")),
    ("vợ tui sinh đôi được bao nhiêu", dict(babies=2)),
    ("ba tháng nữa sinh", dict(babies=None)),
])
def test_slots(question, expected):
    slots = read_slots(question, TODAY)
    assert {k: getattr(slots, k) for k in expected} == expected
