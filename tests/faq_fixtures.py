"""Helpers for the FAQ and calculator tests: a Context on a fresh in-memory database."""
from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import date, datetime, time, timezone
from typing import AsyncIterator
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

import models  # noqa: F401  registers every table
from bot.render import make_renderer
from handlers.context import Context, Rules
from handlers.faq import Faq
from handlers.leaderboard import BoardSettings
from handlers.types import Incoming
from models.policy import load_policy

POLICY = load_policy()
RENDER = make_renderer()
FAQ = Faq.load()
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def noon(day: date) -> datetime:
    """Midday in Ho Chi Minh City on that day, as UTC."""
    return datetime.combine(day, time(12), HCM).astimezone(timezone.utc)


def incoming(text: str, now: datetime) -> Incoming:
    return Incoming(platform="console", chat_id="c1", chat_kind="private", user_id="u1",
                    display_name="Cô Ba", text=text, message_id="m1", time=now)


@asynccontextmanager
async def db_session() -> AsyncIterator[AsyncSession]:
    """A session on a fresh in-memory database, closed and disposed afterwards."""
    engine = create_async_engine("sqlite+aiosqlite://")
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            yield session
    finally:
        await engine.dispose()


def context(session: AsyncSession, day: date, command: str, args: str) -> Context:
    return Context(session=session, member=None, home=None, chat_unit=None, rules=Rules(),
                   now=noon(day), render=RENDER, command=command, args=args, policy=POLICY,
                   tz=HCM, faq=FAQ, boards=BoardSettings(), unit=None, web_url="")
