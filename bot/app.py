"""Start-up: settings → engine (migrated) → dispatcher, shared by every channel and the CLI."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import AsyncIterator, Callable
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.chart import draw_board
from bot.config import Settings
from bot.db import make_engine, make_sessions, migrate
from bot.dispatch import Dispatcher
from bot.render import make_renderer
from handlers.context import Rules
from handlers.leaderboard import BoardSettings
from models.policy import load_policy

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    dispatcher: Dispatcher
    clock: Clock

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.bot.timezone)


def rules_from(settings: Settings) -> Rules:
    r = settings.reporting
    return Rules(max_per_report=r.max_per_report, confirm_above=r.confirm_above,
                 undo_hours=r.undo_hours, max_text_length=r.max_text_length,
                 messages_per_minute=settings.limits.messages_per_minute,
                 join_attempts_per_hour=settings.limits.join_attempts_per_hour,
                 tz=ZoneInfo(settings.bot.timezone), boards=board_settings(settings))


def board_settings(settings: Settings) -> BoardSettings:
    s = settings.schedule
    return BoardSettings(top_n=s.top_n, bottom_n=s.bottom_n, full_max=s.full_max,
                         chart=draw_board)


@asynccontextmanager
async def running_app(settings: Settings, clock: Clock = system_clock) -> AsyncIterator[App]:
    """The app with its database migrated; the engine is disposed on exit."""
    engine = make_engine(settings.database.url)
    try:
        await migrate(engine)
        sessions = make_sessions(engine)
        dispatcher = Dispatcher(sessions=sessions, render=make_renderer(),
                                serialize=engine.dialect.name == "sqlite",
                                rules=rules_from(settings), clock=clock,
                                policy=load_policy())  # a bad policy file stops start-up
        yield App(settings, engine, sessions, dispatcher, clock)
    finally:
        await engine.dispose()
