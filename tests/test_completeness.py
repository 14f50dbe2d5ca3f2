"""Nil reports, who has reported each week (models/completeness.py) and /chuabaocao."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from models.completeness import Deadline, completeness
from models.ledger import Report
from models.units import unit_by_code
from models.weeks import Week
from tests.conftest import Person, add_member
from tests.ledger_helpers import ledger_sum

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
THIS_WEEK = Week(date(2026, 11, 23))  # the fake clock's Wednesday 25 November 2026


async def nil_rows(app) -> int:
    async with app.sessions() as session:
        return len(list(await session.exec(select(Report).where(Report.kind == "nil"))))


async def done(app, code: str, week: Week = THIS_WEEK) -> tuple[int, int, int]:
    async with app.sessions() as session:
        unit = await unit_by_code(code, session=session)
        c = (await completeness([unit], week, deadline=Deadline(), tz=TZ,
                                session=session))[unit.id]
        return c.staffed, c.reported, c.on_time


@pytest.mark.parametrize("text", ["/dangky 0", "/dangky không có ai", "/dk tuần này chưa có",
                                  "đăng ký không có ai", "Đăng ký tuần này chưa có"])
async def test_nil_report_is_recorded_kindly_without_a_count(staff, text):
    answer = await staff.say(text)
    assert "tuần này Khu vực 1 (Long Mỹ) chưa có người tham gia mới" in answer
    assert "Cảm ơn" in answer
    assert await nil_rows(staff.app) == 1
    assert await ledger_sum(staff.app, "LM-KV1", kinds=("report", "nil")) == 0
    assert await done(staff.app, "LM-KV1") == (1, 1, 1)


async def test_nil_report_delivered_twice_counts_once(staff):
    msg = staff.message("/dangky 0")
    await staff.deliver(msg)
    await staff.deliver(msg)
    assert await nil_rows(staff.app) == 1


async def test_an_edit_cannot_turn_a_report_into_a_nil(staff):
    original = staff.message("/dangky 3")
    await staff.deliver(original)
    assert "/huy" in await staff.edit(original, "/dangky 0")
    assert await ledger_sum(staff.app, "LM-KV1") == 3


async def test_completeness_counts_staffed_hamlets_and_the_deadline(staff, coordinator, clock):
    binh = Person(staff.app, clock, "u-binh", name="Anh Bình")
    await add_member(staff.app, "u-binh", "staff", "LM-KV2", name="Anh Bình")
    await add_member(staff.app, "u-tam", "staff", "LM-KV3", name="Chị Tâm")
    assert await done(staff.app, "LM") == (3, 0, 0)
    await staff.say("/dangky 0")  # Wednesday: on time
    clock.advance(days=2, hours=9)  # Friday 18:00 local, past the 17:00 deadline
    await binh.say("/dangky 2")
    assert await done(staff.app, "LM") == (3, 2, 1)
    assert await done(staff.app, "CT") == (3, 2, 1)  # rolled up to the city
    answer = await coordinator.say("/chuabaocao")
    assert "2/3 ấp đã báo cáo (1 đúng hạn)" in answer
    assert "Khu vực 3 (Long Mỹ): Chị Tâm; chưa báo cáo lần nào" in answer
    assert "Khu vực 1" not in answer and "Khu vực 4" not in answer  # reported / no staff
    clock.advance(days=3)  # next week: everyone is missing again, with a last report date
    answer = await coordinator.say("/chuabaocao LM")
    assert "0/3 ấp đã báo cáo" in answer
    assert "Khu vực 1 (Long Mỹ): Chị Lan; báo cáo gần nhất ngày 25/11/2026" in answer


async def test_an_undone_report_is_not_a_report(staff):
    await staff.say("/dangky 2")
    assert await done(staff.app, "LM-KV1") == (1, 1, 1)
    await staff.undo()
    assert await done(staff.app, "LM-KV1") == (1, 0, 0)


async def test_the_week_across_the_year_end(staff, clock):
    clock.now = datetime(2026, 12, 31, 3, tzinfo=timezone.utc)  # Thursday 31 December
    await staff.say("/dangky 0")
    clock.now = datetime(2027, 1, 2, 3, tzinfo=timezone.utc)  # Saturday 2 January: late
    week = Week(date(2026, 12, 28))
    assert await done(staff.app, "LM-KV1", week) == (1, 1, 1)
    assert await done(staff.app, "LM-KV1", Week(date(2027, 1, 4))) == (1, 0, 0)


async def test_chuabaocao_is_for_coordinators(staff, coordinator):
    assert "Khu vực" not in await staff.say("/chuabaocao")
    assert "không thuộc đơn vị" in await coordinator.say("/chuabaocao MT")


def test_deadline_parse():
    assert Deadline.parse("sun 20:30").of(THIS_WEEK, TZ) == datetime(2026, 11, 29, 20, 30,
                                                                     tzinfo=TZ)
    with pytest.raises(ValueError):
        Deadline.parse("friday 17")


async def test_an_edited_nil_report_records_nothing(staff):
    original = staff.message("/dangky 0")
    await staff.deliver(original)
    assert "chưa được ghi nhận là báo cáo" in await staff.edit(original, "/dangky 9")
    assert await ledger_sum(staff.app, "LM-KV1") == 0


async def test_tiendo_shows_coordinators_who_reported(staff, coordinator):
    await add_member(staff.app, "u-binh", "staff", "LM-KV2", name="Anh Bình")
    await staff.say("/dangky 0")
    answer = await coordinator.say("/tiendo")
    assert "📋 Tuần này (23/11/2026 – 29/11/2026): 1/2 ấp đã báo cáo (1 đúng hạn)." in answer
    assert "ấp đã báo cáo" not in await staff.say("/tiendo")


async def test_export_has_a_sheet_of_who_reported_each_week(staff, coordinator):
    from io import BytesIO

    from openpyxl import load_workbook
    await staff.say("/dangky 0")
    [reply] = await coordinator.deliver(coordinator.message("/xuat"))
    sheet = load_workbook(BytesIO(reply.document.data)).worksheets[2]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Tuần", "Từ ngày", "Đến ngày", "Mã đơn vị")
    assert rows[1][0] == "2026-W48" and rows[1][3:] == ("LM", "Phường Long Mỹ", "Xã/Phường",
                                                          1, 1, 1)
    assert {r[0] for r in rows[1:]} >= {"2026-W01", "2026-W48"}
