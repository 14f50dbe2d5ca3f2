"""The demo data set, loaded once, and the console's demo users."""
from __future__ import annotations

from datetime import date, datetime
from importlib.resources import files
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.importer import import_baselines, import_targets, import_units, read_rows
from handlers.onboarding import create_invite
from models.members import Member, member_of
from models.units import unit_by_code

DEMO_DIR = Path(str(files("hamletbot.demo")))  # examples/demo, installed as package data
DEMO_YEAR = 2025  # the year the demo figures were published for
DEMO_USERS = {  # --as → (user id, display name, role, unit code)
    "staff": ("demo-staff", "Chị Lan (cán bộ Khu vực 1)", "staff", "LM-KV1"),
    "coordinator": ("demo-coordinator", "Anh Minh (BCĐ phường Long Mỹ)", "coordinator", "LM"),
    "admin": ("demo-admin", "Quản trị viên thành phố", "admin", "CT"),
    "resident": ("demo-resident", "Chú Ba (người dân)", None, None),
}
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
