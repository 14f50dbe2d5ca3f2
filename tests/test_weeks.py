"""One meaning of "this week" (models/weeks.py): the week containing today, in /bxh and the
export alike, on a Monday and mid-week; the Monday push is the week just ended, named so."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from models.weeks import Week, this_week, week_just_ended
from tests.test_scheduler import linked, make, outbox

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=TZ)  # the Monday after the fixtures' Wednesday


def test_this_week_and_the_week_just_ended():
    monday, sunday = date(2026, 11, 30), date(2026, 12, 6)
    assert this_week(monday) == this_week(sunday) == Week(monday)
    assert week_just_ended(monday) == Week(date(2026, 11, 23))
    assert [Week(monday).relation(d) for d in (monday, date(2026, 12, 7), date(2026, 12, 14))] \
        == ["this", "last", "other"]
    assert Week(monday).as_of(date(2026, 12, 2)) == date(2026, 12, 2)
    assert Week(monday).as_of(date(2027, 1, 5)) == sunday
    assert Week.parse("2026-W53").gain_span(date(2027, 1, 2)) == (date(2027, 1, 1),
                                                                  date(2027, 1, 2))


def board_gain(text: str, word: str) -> int:
    found = re.search(rf"Toàn Phường Long Mỹ: .*?\), {word} ([+−]?[0-9.]+)\.", text)
    assert found, text
    return int(found[1].replace("+", "").replace("−", "-").replace(".", ""))


async def export_gain(coordinator) -> tuple[str, int]:
    [reply] = await coordinator.deliver(coordinator.message("/xuat"))
    sheet = load_workbook(BytesIO(reply.document.data)).worksheets[0]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True)
               if r[0] == "LM" and r[3] == "BHXH tự nguyện")
    return header[7], row[7]


@pytest.mark.parametrize("monday", [False, True])
async def test_bxh_and_the_export_agree_on_this_week(staff, coordinator, clock, monday):
    await staff.say("/dangky 35")  # Wednesday 25 November
    if monday:
        clock.now = MONDAY.astimezone(timezone.utc)
        await staff.say("/dangky 4")
    expected, start = (4, "30/11/2026") if monday else (35, "23/11/2026")
    today = f"{clock.now.astimezone(TZ):%d/%m/%Y}"
    board = await coordinator.say("/bxh")
    assert f"Tuần {start} – " in board and f"(tuần này, số liệu đến {today})" in board
    header, gain = await export_gain(coordinator)
    assert header == f"Tăng tuần này ({start} – {today})"
    assert board_gain(board, "tuần này") == gain == expected
    if monday:  # the board the groups got this morning is last week's, and says so
        assert board_gain(await coordinator.say("/bxh tuần trước"), "tuần trước") == 35


async def test_the_monday_push_is_the_week_just_ended_named_so(staff, demo, clock):
    await staff.say("/dangky 35")
    await linked(demo, ("console", "g-lm", "LM", True))
    clock.now = MONDAY.astimezone(timezone.utc)
    await staff.say("/dangky 4")
    assert await make(demo, clock).jobs.leaderboard(MONDAY) == 1
    [row] = await outbox(demo)
    text = row.payload["text"]
    assert "Tuần 23/11/2026 – 29/11/2026 (tuần trước)" in text
    assert board_gain(text, "tuần trước") == 35 and "tuần này" not in text
