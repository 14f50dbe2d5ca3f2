"""The demo data set, loaded once, and the console's demo users."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.importer import import_baselines, import_targets, import_units, read_rows
from handlers.onboarding import create_invite
from models.ledger import Report
from models.members import Member, member_of
from models.units import Unit, unit_by_code
from models.weeks import Week

DEMO_DIR = Path(str(files("hamletbot.demo")))  # examples/demo, installed as package data
DEMO_YEAR = 2025  # the year the demo figures were published for
DEMO_USERS = {  # --as → (user id, display name, role, unit code)
    "staff": ("demo-staff", "Chị Lan (cán bộ Khu vực 1)", "staff", "LM-KV1"),
    "coordinator": ("demo-coordinator", "Anh Minh (BCĐ phường Long Mỹ)", "coordinator", "LM"),
    "admin": ("demo-admin", "Quản trị viên thành phố", "admin", "CT"),
    "resident": ("demo-resident", "Chú Ba (người dân)", None, None),
}
# The other hamlets' staff (invented names), so rankings, completeness and /chuabaocao have
# people to show; MT-MK stays without staff for the /thamgia invite.
DEMO_STAFF = ["Anh Hùng", "Chị Mai", "Anh Phúc", "Chị Hạnh", "Anh Tài", "Chị Thảo",
              "Anh Dũng", "Chị Ngọc", "Anh Khoa", "Chị Yến", "Anh Sơn", "Chị Trang"]
DEMO_TRY = {  # commands the start-up line suggests, ones the role may use
    "staff": "/dangky 5, báo cáo 3 người, /huy, /tiendo, /trogiup",
    "coordinator": "/tiendo, /bxh, /xuat, /thanhvien, /moi staff LM-KV1, /trogiup",
    "admin": "/tiendo CT, /bxh, /xuat CT, /thanhvien, /trogiup",
    "resident": "'vợ tui mới sanh có được tiền gì hông?', /tinh 3tr5, /trogiup",
}


async def load_demo(today: date, *, session: AsyncSession) -> bool:
    """Load the demo units, targets and baselines into `today`'s year; False if already there."""
    if await unit_by_code("CT", session=session) is not None:
        return False
    await import_units(read_rows(DEMO_DIR / "units.csv", "units"), session=session)
    targets = read_rows(DEMO_DIR / "targets.csv", "targets")
    for _, row in targets.rows:
        row["year"] = str(today.year)
    await import_targets(targets, session=session)
    baselines = read_rows(DEMO_DIR / "baselines.csv", "baselines")
    published = date.fromisoformat(baselines.rows[0][1]["date"]).replace(year=today.year)
    for _, row in baselines.rows:
        row["date"] = min(published, today).isoformat()
    await import_baselines(baselines, session=session)
    return True


async def load_demo_history(now: datetime, tz: ZoneInfo, *, session: AsyncSession) -> None:
    """Staff for the demo hamlets and their weekly reports from the baselines' day to today,
    drawn from a generator seeded by hamlet and week (the same history on every machine):
    most weeks a report, some a nil report, some nothing, so the boards, the pace, the chart
    and /chuabaocao have something to show. Console demo only; tests use load_demo alone."""
    today = now.astimezone(tz).date()
    start = (await session.exec(select(func.min(Report.local_date)))).one()
    hamlets = list(await session.exec(select(Unit).where(Unit.kind == "hamlet")
                                      .order_by(Unit.code)))
    names = iter(DEMO_STAFF)
    for unit in hamlets:
        if unit.code == "MT-MK":
            continue
        user_id, name = (DEMO_USERS["staff"][:2] if unit.code == "LM-KV1"
                         else (f"demo-staff-{unit.code.lower()}", next(names)))
        member = Member(platform="console", user_id=user_id, display_name=name, role="staff",
                        unit_id=unit.id)
        session.add(member)
        await session.flush()
        strength = random.Random(unit.code).uniform(0.3, 1.3)
        week = Week.containing(start + timedelta(days=1))
        while week.start < today:
            _demo_week(session, unit, member, week, strength, today, tz)
            week = Week(week.start + timedelta(days=7))


def _demo_week(session: AsyncSession, unit: Unit, member: Member, week: Week,
               strength: float, today: date, tz: ZoneInfo) -> None:
    rng = random.Random(f"{unit.code}:{week.start.isoformat()}")
    day = week.start + timedelta(days=rng.randint(0, 4))
    draw = rng.random()
    if day >= today or draw < 0.12:
        return  # a silent week (or the report day is still ahead)
    at = datetime.combine(day, time(9 + rng.randint(0, 8)), tz).astimezone(ZoneInfo("UTC"))
    ref = f"demo:{unit.code}:{day.isoformat()}"
    counts = [("bhxh_tn", 0)] if draw < 0.2 else [
        ("bhxh_tn", max(1, round(rng.randint(1, 9) * strength))),
        ("bhyt", max(1, round(rng.randint(20, 160) * strength)))]
    for programme, count in counts:
        session.add(Report(unit_id=unit.id, programme=programme, count=count, local_date=day,
                           created_at=at, member_id=member.id, message_ref=ref,
                           source_key=f"{ref}:{programme}", kind="report" if count else "nil"))


async def demo_member(who: str, *, session: AsyncSession) -> Member | None:
    """The console user for `--as who`, created on first use (a resident: none)."""
    user_id, name, role, code = DEMO_USERS[who]
    member = await member_of("console", user_id, session=session)
    if member is None and role is not None:
        unit = await unit_by_code(code, session=session)
        member = Member(platform="console", user_id=user_id, display_name=name, role=role,
                        unit_id=unit.id)
        session.add(member)
    return member


async def demo_invite(now: datetime, *, session: AsyncSession) -> str:
    """A fresh staff invite for another demo hamlet, to try /thamgia."""
    unit = await unit_by_code("MT-MK", session=session)
    return await create_invite(unit, "staff", now=now, days=7, uses=1, session=session)
