"""/tinh: parsing incomes, and hand-computed contributions on dates either side of changes."""
from __future__ import annotations

from datetime import date

import pytest

from handlers.calculator import calculate, parse_income
from tests.faq_fixtures import context, db_session, incoming


@pytest.mark.parametrize("text, value", [
    ("3000000", 3_000_000), ("3.000.000", 3_000_000), ("3,000,000", 3_000_000),
    ("3tr", 3_000_000), ("3 triệu", 3_000_000), ("3 TRIỆU", 3_000_000),
    ("3,5 triệu", 3_500_000), ("3.5tr", 3_500_000), ("3500k", 3_500_000),
    ("3500 nghìn", 3_500_000), ("1.500.000 đ", 1_500_000), ("3", 3_000_000),
    ("2,5", 2_500_000), ("3tr5", 3_500_000), ("3 tr 5", 3_500_000), ("3 triệu rưỡi", 3_500_000),
    ("10tr", 10_000_000),
])
def test_parse_income(text, value):
    assert parse_income(text) == value


@pytest.mark.parametrize("text", ["", "abc", "ba triệu", "3 con gà", "-5", "3.000.00.0tr", "0"])
def test_parse_income_rejects_garbage(text):
    assert parse_income(text) is None


async def run(day: date, args: str):
    async with db_session() as session:
        ctx = context(session, day, "tinh", args)
        return await calculate(incoming(f"/tinh {args}", ctx.now), ctx)


@pytest.mark.parametrize("day", [date(2025, 10, 15), date(2026, 10, 15)])
async def test_minimum_income_all_groups(day):
    [reply] = await run(day, "1.500.000")
    assert "330.000 đ/tháng" in reply.text
    # everyone gets at least the 20 % support: the period totals are after it
    assert "3 tháng 792.000 đ, 6 tháng 1.584.000 đ, 12 tháng 3.168.000 đ" in reply.text
    assert "990.000 đ" not in reply.text and "Áp dụng từ 01/07/2025" not in reply.text
    assert "(áp dụng từ 01/07/2025)" in reply.text
    for name, pay in [("Hộ nghèo, người ở xã đảo, đặc khu", "165.000 đ"), ("Hộ cận nghèo", "198.000 đ"),
                      ("Người dân tộc thiểu số", "231.000 đ"), ("Người khác", "264.000 đ")]:
        assert f"{name}: {pay}" in reply.text
    assert [c.payload for c in reply.choices] == [
        "/tinh 1500000 nhom:ngheo", "/tinh 1500000 nhom:can_ngheo",
        "/tinh 1500000 nhom:dan_toc", "/tinh 1500000 nhom:khac"]


@pytest.mark.parametrize("day", [date(2025, 10, 15), date(2026, 10, 15)])
async def test_other_group_totals(day):
    [reply] = await run(day, "1500000 nhom:khac")
    text = reply.text
    assert "330.000 đ − nhà nước hỗ trợ 66.000 đ = 264.000 đ/tháng" in text
    for n, total in [(1, "264.000 đ"), (3, "792.000 đ"), (6, "1.584.000 đ"),
                     (12, "3.168.000 đ")]:
        assert f"Đóng {n} tháng: {total}" in text


@pytest.mark.parametrize("args, pay", [
    ("3tr nhom:ngheo", "495.000 đ"),  # 660.000 − 165.000
    ("3tr nhom:can_ngheo", "528.000 đ"),  # 660.000 − 132.000
    ("3tr nhom:dan_toc", "561.000 đ"),  # 660.000 − 99.000
    ("3tr nhom:khac", "594.000 đ"),  # 660.000 − 66.000
])
async def test_support_is_on_the_poverty_line_not_the_income(args, pay):
    [reply] = await run(date(2026, 10, 15), args)
    assert f"= {pay}/tháng" in reply.text


@pytest.mark.parametrize("day, income, maximum", [
    (date(2026, 6, 30), "46.800.000", "10.296.000 đ/tháng"),
    (date(2026, 7, 1), "50.600.000", "11.132.000 đ/tháng"),
])
async def test_maximum_income_by_date(day, income, maximum):
    [reply] = await run(day, income)
    assert maximum in reply.text


@pytest.mark.parametrize("day, args, bound", [
    (date(2026, 6, 30), "50.600.000", "46.800.000 đ"),
    (date(2026, 7, 1), "51tr", "50.600.000 đ"),
    (date(2026, 10, 15), "1tr", "1.500.000 đ"),
])
async def test_out_of_bounds_explains_the_range(day, args, bound):
    [reply] = await run(day, args)
    assert "ngoài mức" in reply.text and bound in reply.text and "1.500.000 đ" in reply.text


@pytest.mark.parametrize("day, args, gross, pay", [
    (date(2026, 12, 31), "3tr", "660.000 đ", "594.000 đ"),  # 660.000 − 20 % × 330.000
    (date(2027, 1, 1), "3tr", "660.000 đ", "563.200 đ"),  # 660.000 − 20 % × 484.000
])
async def test_2027_computes_on_the_new_line_and_says_it_is_unconfirmed(day, args, gross, pay):
    [reply] = await run(day, args)
    assert gross in reply.text and f"Người khác: {pay}" in reply.text
    unconfirmed = "tạm tính theo chuẩn nghèo mới" in reply.text
    assert unconfirmed == (day.year == 2027)
    if unconfirmed:
        assert "đại lý thu" in reply.text and "1900 9068" in reply.text


@pytest.mark.parametrize("day, warned", [
    (date(2026, 9, 30), False), (date(2026, 10, 15), True), (date(2026, 12, 31), True),
    (date(2027, 1, 1), False)])
async def test_late_2026_warns_of_the_new_poverty_line(day, warned):
    [reply] = await run(day, "2tr")
    assert ("Từ 01/01/2027 chuẩn nghèo nông thôn lên 2.200.000 đ" in reply.text) == warned
    assert ("484.000 đ" in reply.text) == warned


async def test_2027_below_the_new_floor_gets_the_bounds():
    [reply] = await run(date(2027, 1, 1), "1tr5")
    assert "ngoài mức" in reply.text and "2.200.000 đ" in reply.text


@pytest.mark.parametrize("args", ["0", "-1", "- 5tr", "0đ"])
async def test_zero_or_negative_gets_the_bounds(args):
    [reply] = await run(date(2026, 10, 15), args)
    assert "lớn hơn không" in reply.text and "1.500.000 đ" in reply.text


async def test_3tr5_is_understood():
    [reply] = await run(date(2026, 10, 15), "3tr5")
    assert "3.500.000 đ/tháng" in reply.text and "770.000 đ" in reply.text


@pytest.mark.parametrize("args", ["", "ba con gà", "3tr nhom:vua"])
async def test_garbage_gets_an_example(args):
    [reply] = await run(date(2026, 10, 15), args)
    assert "/tinh 3tr" in reply.text


async def test_old_scheme_has_no_ethnic_minority_group():
    [reply] = await run(date(2025, 6, 30), "1500000")
    assert "dân tộc" not in reply.text
    assert "Người khác: 297.000 đ" in reply.text  # 330.000 − 10 % support
