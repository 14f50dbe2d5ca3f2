"""Scheduled pushes: cron in local time, periods from the scheduled time, idempotent jobs,
catch-up after downtime, and reminders only to staff who have not reported."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlmodel import select

from bot.chart import draw_board
from bot.config import ScheduleSettings
from bot.render import make_renderer
from bot.scheduler import Jobs, Scheduler, latest_fire
from handlers.leaderboard import BoardSettings
from models.leaderboard import Week
from models.ledger import Report
from models.members import ChatLink
from models.outbox import Outbox
from models.processed import processed
from models.units import unit_by_code
from tests.conftest import add_member
from tests.ledger_helpers import ledger_sum

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def make(app, clock, **schedule) -> Scheduler:
    jobs = Jobs(sessions=app.sessions, render=make_renderer(), layout=BoardSettings(chart=draw_board), tz=TZ,
                platforms=["telegram", "console"], clock=clock)
    return Scheduler(jobs, ScheduleSettings(**schedule), TZ, clock)


async def outbox(app) -> list[Outbox]:
    async with app.sessions() as session:
        return list(await session.exec(select(Outbox).order_by(Outbox.id)))


@pytest.mark.parametrize("name,after,expected", [
    ("leaderboard", local(2026, 11, 25, 9), local(2026, 11, 30, 7, 30)),
    ("leaderboard", local(2026, 11, 30, 7, 30), local(2026, 12, 7, 7, 30)),
    ("leaderboard", local(2026, 12, 29), local(2027, 1, 4, 7, 30)),  # across the new year
    ("reminder", local(2026, 12, 26), local(2027, 1, 1, 16, 0)),
])
def test_cron_fires_in_local_time(app, clock, name, after, expected):
    trigger = make(app, clock).triggers[name]
    fire = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    assert fire == expected
    assert fire.astimezone(timezone.utc).hour == (expected.hour - 7) % 24


@pytest.mark.parametrize("fire,week", [
    (local(2026, 11, 30, 7, 30), "2026-W48"),
    (local(2027, 1, 4, 7, 30), "2026-W53"),  # 28 Dec 2026 – 3 Jan 2027, the year 2027
    (local(2026, 11, 30, 6, 0), "2026-W48"),  # Sunday 23:00 UTC: the local Monday counts
])
async def test_leaderboard_week_is_the_local_week_just_ended(demo, clock, fire, week):
    async with demo.sessions() as session:
        lm = await unit_by_code("LM", session=session)
        session.add(ChatLink(platform="telegram", chat_id="-100123", unit_id=lm.id))
        await session.commit()
    assert await make(demo, clock).jobs.leaderboard(fire.astimezone(timezone.utc)) == 1
    [row] = await outbox(demo)
    assert row.key == f"leaderboard:{week}:telegram:-100123"
    assert "Bảng xếp hạng Phường Long Mỹ" in row.payload["text"]
    # the demo's targets are 2026's: a week of 2027 has no bar to draw, so no picture
    assert bool(row.payload["image"]) == (week != "2026-W53")


async def linked(app, *pairs) -> None:
    async with app.sessions() as session:
        for platform, chat_id, code, active in pairs:
            unit = await unit_by_code(code, session=session)
            session.add(ChatLink(platform=platform, chat_id=chat_id, unit_id=unit.id,
                                 active=active))
        await session.commit()


async def test_a_job_run_twice_adds_nothing(demo, clock):
    await linked(demo, ("telegram", "-1", "LM", True), ("telegram", "-2", "CT", True),
                 ("telegram", "-3", "OM", False), ("zalo", "z1", "MT", True))
    scheduler = make(demo, clock)
    fire = local(2026, 11, 30, 7, 30)
    assert await scheduler.jobs.leaderboard(fire) == 2  # inactive and other platforms skipped
    assert await scheduler.jobs.leaderboard(fire) == 0
    assert len(await outbox(demo)) == 2


async def test_catch_up_after_downtime_within_the_grace(demo, clock):
    await linked(demo, ("telegram", "-1", "LM", True))
    scheduler = make(demo, clock, misfire_grace_seconds=6 * 3600)
    clock.now = local(2026, 11, 30, 12, 0).astimezone(timezone.utc)  # back up at noon
    assert await scheduler.catch_up() == {"leaderboard": 1, "reminder": 0, "monthly": 0,
                                        "housekeeping": 0}
    assert await scheduler.catch_up() == {"leaderboard": 0, "reminder": 0, "monthly": 0,
                                        "housekeeping": 0}  # restarted again
    assert (await outbox(demo))[0].key == "leaderboard:2026-W48:telegram:-1"
    clock.now = local(2026, 12, 7, 14, 0).astimezone(timezone.utc)  # 6 h 30 min late
    assert await scheduler.catch_up() == {"leaderboard": 0, "reminder": 0, "monthly": 0,
                                        "housekeeping": 0}


def test_latest_fire_window():
    trigger = CronTrigger.from_crontab("30 7 * * mon", timezone=TZ)
    now = local(2026, 11, 30, 8, 0)
    assert latest_fire(trigger, now, timedelta(hours=1)) == local(2026, 11, 30, 7, 30)
    assert latest_fire(trigger, now, timedelta(minutes=20)) is None


async def test_reminder_only_to_staff_who_did_not_report(demo, clock):
    lan = await add_member(demo, "u-lan", "staff", "LM-KV1")
    await add_member(demo, "u-binh", "staff", "LM-KV2", name="Anh Bình")
    await add_member(demo, "u-coord", "coordinator", "LM")
    async with demo.sessions() as session:
        session.add(Report(unit_id=lan.unit_id, programme="bhxh_tn", count=2, member_id=lan.id,
                           local_date=date(2026, 11, 23), source_key="r1"))  # this Monday
        await session.commit()
    scheduler = make(demo, clock)
    fire = local(2026, 11, 27, 16, 0)
    assert await scheduler.jobs.reminder(fire) == 2  # Bình, and Khu vực 2 to the coordinator
    assert await scheduler.jobs.reminder(fire) == 0
    row, silent = await outbox(demo)
    assert silent.key == "silent:2026-W48:console:u-coord"
    assert "2 tuần liền chưa báo cáo" in silent.payload["text"]
    assert "• Khu vực 2 (Long Mỹ): chưa báo cáo lần nào" in silent.payload["text"]
    assert (row.key, row.chat_id) == ("reminder:2026-W48:console:u-binh", "u-binh")
    text = row.payload["text"]
    assert "Anh Bình" in text and "Khu vực 2 (Long Mỹ)" in text and "BHXH tự nguyện: " in text
    assert "None" not in text


async def test_reminder_stops_for_a_hamlet_once_it_reported(demo, clock):
    lan = await add_member(demo, "u-lan", "staff", "LM-KV1")
    await add_member(demo, "u-hoa", "staff", "LM-KV1", name="Chị Hoa")  # same hamlet
    binh = await add_member(demo, "u-binh", "staff", "LM-KV2", name="Anh Bình")
    await add_member(demo, "u-tam", "staff", "LM-KV3", name="Chị Tâm")
    async with demo.sessions() as session:
        session.add(Report(unit_id=lan.unit_id, programme="bhxh_tn", count=0, member_id=lan.id,
                           local_date=date(2026, 11, 24), source_key="n1", kind="nil"))
        session.add(Report(unit_id=binh.unit_id, programme="bhxh_tn", count=1,
                           member_id=binh.id, local_date=date(2026, 11, 16), source_key="r1"))
        await session.commit()  # Bình's report is last week's: Khu vực 2 is reminded
    await add_member(demo, "u-coord", "coordinator", "LM", name="Anh Minh")
    assert await make(demo, clock).jobs.reminder(local(2026, 11, 27, 16, 0)) == 3
    rows = await outbox(demo)
    assert {row.chat_id for row in rows} == {"u-binh", "u-tam", "u-coord"}
    [told] = [row.payload["text"] for row in rows if row.chat_id == "u-coord"]
    # Khu vực 2 reported last week: not silent two weeks running
    assert "Khu vực 3 (Long Mỹ): chưa báo cáo lần nào" in told and "Khu vực 2" not in told
    assert "/dangky 0" in rows[0].payload["text"]


async def test_weekly_board_says_how_many_hamlets_reported(demo, clock):
    lan = await add_member(demo, "u-lan", "staff", "LM-KV1")
    await add_member(demo, "u-binh", "staff", "LM-KV2", name="Anh Bình")
    async with demo.sessions() as session:
        unit = await unit_by_code("LM", session=session)
        session.add(ChatLink(platform="telegram", chat_id="-100", unit_id=unit.id))
        session.add(Report(unit_id=lan.unit_id, programme="bhxh_tn", count=0, member_id=lan.id,
                           local_date=date(2026, 11, 24), source_key="n1", kind="nil",
                           created_at=datetime(2026, 11, 24, 3, tzinfo=timezone.utc)))
        await session.commit()
    assert await make(demo, clock).jobs.leaderboard(local(2026, 11, 30, 7, 30)) == 1
    [row] = await outbox(demo)
    assert "📋 1/2 ấp đã báo cáo (1 đúng hạn)." in row.payload["text"]


async def test_scheduler_starts_and_stops(demo, clock):
    scheduler = make(demo, clock)
    await scheduler.start()
    assert {job.id for job in scheduler.scheduler.get_jobs()} == {"leaderboard", "reminder",
                                                                 "monthly", "housekeeping"}
    scheduler.stop()


def test_week_labels():
    assert Week.parse("2026-W48").start == date(2026, 11, 23)
    with pytest.raises(ValueError):
        Week.parse("2026-48")


async def test_housekeeping_deletes_old_answers_only(staff, clock):
    old = staff.message("/dangky 2")
    await staff.deliver(old)
    clock.advance(days=31)
    recent = staff.message("/tiendo")
    await staff.deliver(recent)
    scheduler = make(staff.app, clock)
    assert await scheduler.jobs.housekeeping(clock()) == 1
    async with staff.app.sessions() as session:
        assert await processed(old.key, session=session) is None
        assert await processed(recent.key, session=session) is not None
    assert await ledger_sum(staff.app, "LM-KV1") == 2  # the ledger itself is never touched


async def test_a_hamlet_group_gets_its_summary_in_the_monday_push(demo, clock):
    """A group linked to a hamlet gets the hamlet's summary for the week just ended, ranked
    among its commune's hamlets; the commune's group gets the board, as before."""
    tam = await add_member(demo, "u-tam", "staff", "LM-KV3", name="Chị Tâm")
    await add_member(demo, "u-bon", "staff", "LM-KV4", name="Anh Bốn")
    await linked(demo, ("telegram", "-3", "LM-KV3", True), ("telegram", "-4", "LM-KV4", True),
                 ("telegram", "-1", "LM", True))
    async with demo.sessions() as session:
        session.add(Report(unit_id=tam.unit_id, programme="bhxh_tn", count=5, member_id=tam.id,
                           local_date=date(2026, 11, 24), source_key="r1",
                           created_at=datetime(2026, 11, 24, 3, tzinfo=timezone.utc)))
        await session.commit()
    clock.now = local(2026, 11, 30, 7, 30).astimezone(timezone.utc)
    assert await make(demo, clock).run_due("leaderboard") == 3
    rows = {row.chat_id: row for row in await outbox(demo)}
    assert rows["-3"].key == "leaderboard:2026-W48:telegram:-3"
    kv3, kv4 = rows["-3"].payload, rows["-4"].payload
    assert "🏡 Tiến độ Khu vực 3 (Long Mỹ)" in kv3["text"] and not kv3["image"]
    assert "Tuần 23/11/2026 – 29/11/2026 (tuần trước)" in kv3["text"]
    assert "✅ Tuần trước ấp đã báo cáo đúng hạn." in kv3["text"]
    assert "Đã có 270/347 (77,81%), tuần trước +5." in kv3["text"]
    assert "🏅 Hạng 3/4 ấp của Phường Long Mỹ." in kv3["text"]
    assert "⏳ Tuần trước ấp chưa báo cáo." in kv4["text"]
    assert "🏅 Hạng 4/4 ấp của Phường Long Mỹ." in kv4["text"]
    assert "Bảng xếp hạng Phường Long Mỹ" in rows["-1"].payload["text"]
    assert rows["-1"].payload["image"]
    assert "None" not in kv3["text"] + kv4["text"]
