"""The monthly report: /baocaothang in conversation and the push on the 1st, on a fake clock
across a month end and a year end (December's report in January)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.render import make_renderer
from bot.scheduler import Jobs, Scheduler
from bot.config import ScheduleSettings
from handlers.leaderboard import BoardSettings
from handlers.monthly import month_named
from handlers.types import Reply
from models.completeness import Deadline
from models.members import ChatLink
from models.monthly import Month, month_tree
from models.outbox import Outbox
from models.units import unit_by_code
from tests.conftest import Person, add_member

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=TZ).astimezone(timezone.utc)


@pytest.mark.parametrize("text,today,expected", [
    ("tháng 10", date(2026, 11, 25), Month(2026, 10)),
    ("10", date(2026, 11, 25), Month(2026, 10)),
    ("T10", date(2026, 11, 25), Month(2026, 10)),
    ("10/2026", date(2026, 11, 25), Month(2026, 10)),
    ("tháng 10 năm 2025", date(2026, 11, 25), Month(2025, 10)),
    ("2026-10", date(2026, 11, 25), Month(2026, 10)),
    ("tháng này", date(2026, 11, 25), Month(2026, 11)),
    ("tháng trước", date(2027, 1, 2), Month(2026, 12)),
    ("12", date(2027, 1, 2), Month(2026, 12)),  # the latest December
    ("tháng 1", date(2027, 1, 2), Month(2027, 1)),
])
def test_month_named(text, today, expected):
    assert month_named(text, today) == expected


@pytest.mark.parametrize("text", ["13", "0", "tháng", "10/26", "1999-12", "tháng mười"])
def test_month_named_refuses(text):
    with pytest.raises(ValueError):
        month_named(text, date(2026, 11, 25))


def test_weeks_of_a_month_are_those_whose_sunday_falls_in_it():
    weeks = Month(2026, 11).weeks(date(2026, 11, 30))
    assert [w.label for w in weeks] == ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48"]
    assert [w.label for w in Month(2026, 12).weeks(date(2026, 12, 31))][-1] == "2026-W52"
    assert Month(2027, 1).weeks(date(2027, 1, 31))[0].label == "2026-W53"  # 28 Dec – 3 Jan
    assert len(Month(2026, 11).weeks(date(2026, 11, 25))) == 4  # ended by the 25th


async def staffed(demo, clock) -> tuple[Person, Person, Person]:
    """Staff of LM-KV1 and LM-KV2, and the coordinator of LM."""
    await add_member(demo, "u-lan", "staff", "LM-KV1")
    await add_member(demo, "u-binh", "staff", "LM-KV2", name="Anh Bình")
    await add_member(demo, "u-coord", "coordinator", "LM", name="Anh Minh")
    return (Person(demo, clock, "u-lan"), Person(demo, clock, "u-binh", name="Anh Bình"),
            Person(demo, clock, "u-coord", name="Anh Minh"))


async def test_report_of_the_month_just_ended(demo, clock):
    lan, binh, minh = await staffed(demo, clock)
    clock.now = local(2026, 10, 20, 9)  # October: KV1 reports, KV2 does not
    assert "Đã ghi nhận" in await lan.say("/dangky 3")
    clock.now = local(2026, 11, 25, 9)  # November: KV2 overtakes KV1
    assert "Đã ghi nhận" in await binh.say("/dangky 40")
    assert "Đã ghi nhận" in await lan.say("/dangky 0")
    clock.now = local(2026, 12, 1, 9)
    answer = await minh.say("/baocaothang")
    assert "📅 Báo cáo tháng 11/2026 – Phường Long Mỹ" in answer
    assert "Cả tháng, từ 01/11/2026 đến 30/11/2026." in answer
    # 2 staffed hamlets × 5 weeks (Sundays 1, 8, 15, 22, 29 November): each reported once
    assert "2/10 lượt ấp-tuần đã báo cáo (20,00%), 2 đúng hạn" in answer
    assert "Toàn Phường Long Mỹ: +40 trong tháng, lũy kế 1.258/1.509 (83,37% chỉ tiêu)." in answer
    # KV2: 374/407 = 91.89% passes KV1's 404/453 = 89.18%
    assert "1. Khu vực 2 (Long Mỹ) [↑1]: +40 trong tháng, lũy kế 374/407 (91,89%), báo cáo 1/5" in answer
    assert "2. Khu vực 1 (Long Mỹ) [↓1]: tháng này chưa tăng, lũy kế 404/453 (89,18%), báo cáo 1/5" in answer
    assert "3. Khu vực 3 (Long Mỹ) [=]: tháng này chưa tăng" in answer
    assert "so với cuối tháng 10/2026" in answer
    # the year-to-date pace: 43 gained in 334 days, projected for the 31 days left
    assert "đến 31/12/2026 sẽ đạt khoảng 1.261, tức 83,57% chỉ tiêu" in answer
    october = await minh.say("/bct tháng 10")
    assert "Báo cáo tháng 10/2026" in october and "+3 trong tháng" in october


async def test_current_month_so_far_and_a_unit_below(demo, clock):
    lan, _, minh = await staffed(demo, clock)
    await lan.say("/dangky 2")
    answer = await minh.say("/bct LM-KV1 tháng này")
    assert "📅 Báo cáo tháng 11/2026 – Khu vực 1 (Long Mỹ)" in answer
    assert "Tháng chưa hết: số liệu từ 01/11/2026 đến hết 25/11/2026." in answer
    assert "(4 tuần có Chủ nhật trong tháng đã qua): 0/4 lượt" in answer
    assert "Toàn Khu vực 1 (Long Mỹ): +2 trong tháng, lũy kế 403/453" in answer


async def test_december_report_in_january(demo, clock):
    lan, _, minh = await staffed(demo, clock)
    clock.now = local(2026, 12, 10, 9)
    await lan.say("/dangky 50")
    clock.now = local(2027, 1, 2, 9)
    answer = await minh.say("/baocaothang")
    assert "📅 Báo cáo tháng 12/2026 – Phường Long Mỹ" in answer
    assert "Toàn Phường Long Mỹ: +50 trong tháng, lũy kế 1.265/1.509 (83,83% chỉ tiêu)." in answer
    assert "Khép lại năm 2026 ở mức 83,83% chỉ tiêu." in answer
    assert "1. Khu vực 1 (Long Mỹ) [=]: +50 trong tháng, lũy kế 451/453" in answer
    january = await minh.say("/bct tháng 1")
    assert "Báo cáo tháng 1/2027" in january and "chưa so thứ hạng" in january
    assert "lũy kế 0 (chưa có chỉ tiêu)" in january  # no 2027 targets or reports yet


@pytest.mark.parametrize("text,expected", [
    ("/bct 13", 'Chưa hiểu tháng "13"'),
    ("/bct 99999999999999999999", 'Chưa hiểu tháng "99999999999999999999"'),
    ("/bct 12/2026", "Tháng 12/2026 chưa tới nên chưa có báo cáo"),
    ("/bct " + "tháng 10 " * 20, 'Chưa hiểu tháng "tháng 10 tháng 10 th…"'),
    ("/bct " + "x" * 200, 'Không tìm thấy đơn vị có mã "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"'),
    ("/bct XYZ 10", "Không tìm thấy đơn vị"),
    ("/bct OM", "không thuộc"),
])
async def test_bad_input_is_answered(coordinator, text, expected):
    answer = await coordinator.say(text)
    assert expected in answer


async def test_staff_and_groups_are_refused(staff, coordinator):
    assert "ban chỉ đạo" in await staff.say("/baocaothang")
    assert "nhắn riêng" in await coordinator.in_group("-100").say("/baocaothang")


def make_jobs(app, clock) -> Scheduler:
    jobs = Jobs(sessions=app.sessions, render=make_renderer(), layout=BoardSettings(), tz=TZ,
                platforms=["telegram", "console"], clock=clock)
    return Scheduler(jobs, ScheduleSettings(), TZ, clock)


async def outbox(app) -> dict[str, Reply]:
    async with app.sessions() as session:
        rows = await session.exec(select(Outbox).order_by(Outbox.id))
        return {row.key: Reply.from_json(row.payload) for row in rows}


async def link(app, *pairs) -> None:
    async with app.sessions() as session:
        for chat, code in pairs:
            unit = await unit_by_code(code, session=session)
            session.add(ChatLink(platform="telegram", chat_id=chat, unit_id=unit.id))
        await session.commit()


async def test_monthly_push_on_the_first(demo, clock):
    await staffed(demo, clock)
    await add_member(demo, "u-city", "coordinator", "CT", name="Chị Hoa")
    await add_member(demo, "u-zalo", "coordinator", "OM", platform="zalo")  # not running
    await link(demo, ("-1", "LM"), ("-2", "CT"), ("-3", "LM-KV1"))
    scheduler = make_jobs(demo, clock)
    fire = local(2026, 12, 1, 8)
    assert await scheduler.jobs.monthly(fire) == 4
    assert await scheduler.jobs.monthly(fire) == 0  # a second run (or instance) adds nothing
    sent = await outbox(demo)
    assert sorted(sent) == ["monthly:2026-11:console:u-city", "monthly:2026-11:console:u-coord",
                            "monthly:2026-11:telegram:-1", "monthly:2026-11:telegram:-2"]
    group = sent["monthly:2026-11:telegram:-1"]
    assert "📅 Báo cáo tháng 11/2026 – Phường Long Mỹ" in group.text and group.document is None
    assert sent["monthly:2026-11:console:u-coord"].document is None
    city = sent["monthly:2026-11:console:u-city"]
    assert "1. Phường Long Mỹ" in city.text and "Kèm theo là tệp Excel" in city.text
    assert city.document.name == "bao-cao-thang-CT-2026-11.xlsx"
    assert sent["monthly:2026-11:telegram:-2"].document is None  # groups get the text only
    book = load_workbook(BytesIO(city.document.data))
    assert book.sheetnames[0] == "Tháng 11-2026" and book.active.title == "Tháng 11-2026"
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:6] == ("Mã đơn vị", "Tên đơn vị", "Cấp", "Chương trình",
                           "Tăng trong tháng", "Lũy kế")
    lm = [r for r in rows if r[0] == "LM" and r[3] == "BHXH tự nguyện"][0]
    assert lm[4:9] == (0, 1215, 1509, pytest.approx(1215 / 1509), 1)
    assert lm[10:12] == (0, 10)  # 2 staffed hamlets × 5 weeks, none reported
    assert book.worksheets[2].max_row == 1  # the month's ledger: nothing in November
    weekly = list(book.worksheets[3].iter_rows(values_only=True))[1:]
    assert {r[0] for r in weekly} == {"2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48"}


async def test_monthly_push_at_the_year_end_and_its_catch_up(demo, clock):
    lan, _, _ = await staffed(demo, clock)
    clock.now = local(2026, 12, 31, 20)
    await lan.say("/dangky 7")
    await link(demo, ("-1", "LM"))
    scheduler = make_jobs(demo, clock)
    trigger = scheduler.triggers["monthly"]
    assert trigger.get_next_fire_time(None, clock()) == datetime(2027, 1, 1, 8, tzinfo=TZ)
    clock.now = local(2027, 1, 1, 11)  # down at 08:00, back three hours later
    assert (await scheduler.catch_up())["monthly"] == 2
    assert (await scheduler.catch_up())["monthly"] == 0
    sent = await outbox(demo)
    text = sent["monthly:2026-12:telegram:-1"].text
    assert "Báo cáo tháng 12/2026" in text and "+7 trong tháng" in text
    assert "Khép lại năm 2026" in text
    clock.now = local(2027, 2, 1, 15)  # seven hours late: past the grace
    assert (await scheduler.catch_up())["monthly"] == 0


async def test_month_tree_of_the_whole_tree_equals_a_subtree(demo, clock):
    lan, _, _ = await staffed(demo, clock)
    await lan.say("/dangky 4")
    async with demo.sessions() as session:
        lm = await unit_by_code("LM", session=session)
        args = dict(deadline=Deadline(), tz=TZ, review_threshold=0.2, session=session)
        whole = await month_tree(None, Month(2026, 11), date(2026, 11, 30), **args)
        part = await month_tree(lm, Month(2026, 11), date(2026, 11, 30), **args)
    assert whole.report(lm.id) == part.report(lm.id)
    assert whole.report(lm.id).rankings["bhxh_tn"][0].figures.gain == 4


def test_projection_at_the_year_to_date_pace():
    from models.monthly import MonthFigures
    from models.rollup import Figures
    f = MonthFigures(Figures("bhxh_tn", 100, 200, 10, 73, 0), date(2026, 3, 14))
    assert f.days_gone == 73 and f.days_left == 292
    assert f.projected == 100 + 292 and f.projected_ratio == pytest.approx(392 / 200)
    assert MonthFigures(Figures("bhxh_tn", 100, 200, 10, 73, 0), date(2026, 12, 31)).projected == 100


async def test_a_long_report_is_split_at_each_platform_limit(demo, clock):
    from bot.planner import Capabilities, File, FileLink, Text, plan
    from models.units import Target, Unit

    async with demo.sessions() as session:
        city = await unit_by_code("CT", session=session)
        for i in range(60):
            commune = Unit(code=f"X{i:02}", name=f"Xã Thử Nghiệm Số {i:02}", kind="commune",
                           parent_id=city.id)
            session.add(commune)
            await session.flush()
            session.add(Target(unit_id=commune.id, programme="bhxh_tn", year=2026, value=100 + i))
        await session.commit()
    await add_member(demo, "u-city", "coordinator", "CT", name="Chị Hoa")
    assert await make_jobs(demo, clock).jobs.monthly(local(2026, 12, 1, 8)) == 1
    [reply] = (await outbox(demo)).values()
    assert len(reply.text) > 8000 and reply.document is not None
    for limit, documents in ((4096, "upload"), (2000, "link")):
        parts = plan(reply, Capabilities(limit, documents=documents))
        texts = [p.text for p in parts if isinstance(p, Text)]
        assert len(texts) > 2 and all(len(t) <= limit for t in texts)
        assert all(f"Xã Thử Nghiệm Số {i:02}" in "\n".join(texts) for i in range(60))
        assert any(isinstance(p, (File, FileLink)) for p in parts)


async def official(app, *rows) -> None:
    """BHXH snapshots: (unit code, programme, day, participants)."""
    from models.official import OfficialFigure, record_official
    async with app.sessions() as session:
        snapshots = [OfficialFigure(unit_id=(await unit_by_code(code, session=session)).id,
                                    programme=programme, as_of=day, participants=n,
                                    imported_at=app.clock(), imported_by="Phòng BHXH")
                     for code, programme, day, n in rows]
        await record_official(snapshots, session=session)
        await session.commit()


async def test_official_figures_and_the_review_flag(demo, clock):
    _, binh, minh = await staffed(demo, clock)
    clock.now = local(2026, 10, 20, 9)
    await binh.say("/dangky 40")
    await official(demo, ("LM-KV2", "bhxh_tn", date(2026, 9, 30), 300),
                   ("LM-KV2", "bhxh_tn", date(2026, 10, 31), 330),  # +30 where 40 were reported
                   ("LM", "bhxh_tn", date(2026, 10, 31), 1200),
                   ("LM-KV2", "bhxh_tn", date(2026, 11, 30), 400))  # after October: not shown
    clock.now = local(2026, 11, 2, 9)
    answer = await minh.say("/baocaothang")
    assert "Số liệu BHXH đến ngày 31/10/2026: 1.200, báo cáo chênh +55." in answer
    assert "lũy kế 374/407 (91,89%), báo cáo 1/4, cuối năm ~" in answer
    assert "; BHXH 330 (+44) ⚠️ rà soát" in answer
    assert "⚠️: cần rà soát" in answer
    assert "BHXH 400" not in answer
    await add_member(demo, "u-city", "coordinator", "CT", name="Chị Hoa")
    assert await make_jobs(demo, clock).jobs.monthly(local(2026, 11, 1, 8)) == 2
    city = (await outbox(demo))["monthly:2026-10:console:u-city"]
    rows = list(load_workbook(BytesIO(city.document.data)).worksheets[0].iter_rows(
        values_only=True))
    assert rows[0][14:] == ("Số liệu BHXH", "Ngày số liệu BHXH", "Báo cáo chênh BHXH",
                            "Cần rà soát")
    kv2 = [r for r in rows if r[0] == "LM-KV2" and r[3] == "BHXH tự nguyện"][0]
    assert kv2[14] == 330 and kv2[15].date() == date(2026, 10, 31)
    assert kv2[16:] == (44, "Cần rà soát")
