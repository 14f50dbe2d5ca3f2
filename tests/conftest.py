"""Shared fixtures: a migrated database per test, a fake clock, and a conversation helper."""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.app import running_app
from bot.config import Settings
from bot.demo import load_demo
from handlers.onboarding import create_invite
from handlers.types import Incoming, Reply
from models.members import Member
from models.units import unit_by_code
from tests.database import empty_postgres

# 2026-11-25 09:00 in Ho Chi Minh City: a Wednesday.
START = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# The whole suite runs on SQLite by default and on PostgreSQL when this names a database
# (.ci/run does both). That database is emptied before each test that uses it.
POSTGRES_URL = os.environ.get("HAMLETBOT_TEST_DATABASE_URL", "")
# SQLite runs on the inline driver unless this says "aiosqlite" (.ci/run runs a subset so).
SQLITE_DRIVER = os.environ.get("HAMLETBOT_TEST_SQLITE_DRIVER", "inline")



@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    if POSTGRES_URL:
        await empty_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings.model_validate(
        {"database": {"url": database_url, "sqlite_driver": SQLITE_DRIVER},
         "reporting": {"max_per_report": 500, "confirm_above": 50, "undo_hours": 48},
         # tests talk fast on a frozen clock; tests/test_rate_limit.py sets its own limit
         "limits": {"messages_per_minute": 10_000}})


@pytest.fixture
async def app(settings, clock):
    async with running_app(settings, clock=clock) as app:
        yield app


@pytest.fixture
async def demo(app, clock):
    """The demo data set, loaded into the fake clock's year."""
    async with app.sessions() as session:
        await load_demo(clock().date(), session=session)
        await session.commit()
    return app


_ids = itertools.count(1)


@dataclass
class Person:
    """Someone talking to the bot; `say` goes through the real dispatcher and database."""
    app: object
    clock: FakeClock
    user_id: str
    name: str = "Chị Lan"
    platform: str = "console"
    chat_id: str = ""
    chat_kind: str = "private"
    sent: list[Incoming] = field(default_factory=list)

    def message(self, text: str, **extra) -> Incoming:
        values = dict(platform=self.platform, chat_id=self.chat_id or f"p-{self.user_id}",
                      chat_kind=self.chat_kind, user_id=self.user_id, display_name=self.name,
                      text=text, message_id=str(next(_ids)), time=self.clock(),
                      bot_username="hamletbot")
        values.update(extra)
        msg = Incoming(**values)
        self.sent.append(msg)
        return msg

    async def deliver(self, msg: Incoming) -> list[Reply]:
        return await self.app.dispatcher.handle(msg)

    async def say(self, text: str, **extra) -> str:
        """The bot's answer as one text ('' when it stays silent)."""
        return "\n".join(r.text for r in await self.deliver(self.message(text, **extra)))

    async def undo(self) -> str:
        """/huy, and "1" (yes) when it asks: the answer that says what happened."""
        asked = await self.deliver(self.message("/huy"))
        if not any(r.choices for r in asked):
            return "\n".join(r.text for r in asked)
        return await self.say("1")

    async def edit(self, original: Incoming, text: str, edit_id: str = "1") -> str:
        msg = Incoming(**{**original.__dict__, "text": text, "is_edit": True,
                          "edit_id": edit_id, "time": self.clock()})
        return "\n".join(r.text for r in await self.deliver(msg))

    def in_group(self, chat_id: str) -> "Person":
        return Person(self.app, self.clock, self.user_id, self.name, self.platform,
                      chat_id, "group")


async def add_member(app, user_id: str, role: str, unit_code: str, name: str = "Chị Lan",
                     platform: str = "console") -> Member:
    async with app.sessions() as session:
        unit = await unit_by_code(unit_code, session=session)
        member = Member(platform=platform, user_id=user_id, display_name=name, role=role,
                        unit_id=unit.id)
        session.add(member)
        await session.commit()
        return member


async def new_invite(app, unit_code: str, role: str = "staff", *, days: int = 7,
                     uses: int = 1) -> str:
    async with app.sessions() as session:
        unit = await unit_by_code(unit_code, session=session)
        code = await create_invite(unit, role, now=app.clock(), days=days, uses=uses,
                                   session=session)
        await session.commit()
        return code


@pytest.fixture
async def staff(demo, clock) -> Person:
    await add_member(demo, "u-staff", "staff", "LM-KV1")
    return Person(demo, clock, "u-staff")


@pytest.fixture
async def coordinator(demo, clock) -> Person:
    await add_member(demo, "u-coord", "coordinator", "LM", name="Anh Minh")
    return Person(demo, clock, "u-coord", name="Anh Minh")


@pytest.fixture
def stranger(demo, clock) -> Person:
    return Person(demo, clock, "u-nobody", name="Bà Tư")


@pytest.fixture
def people(staff, coordinator, stranger) -> dict[str, Person]:
    """Pick a person by role name in parametrised tables."""
    return {"staff": staff, "coordinator": coordinator, "stranger": stranger}
