"""Start-up: settings → tools, engine (migrated), dispatcher; shared by every channel and the CLI."""
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
from bot.logs import LogGuard
from bot.metrics import Metrics
from bot.render import make_renderer
from handlers.context import Rules, Tools
from handlers.faq import Faq
from handlers.leaderboard import BoardSettings
from models.completeness import Deadline
from models.policy import load_policy

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class App:
    """Everything built once at start-up and closed in one place (`running_app`); the parts
    are passed down from here, never looked up."""
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    tools: Tools  # what handlers use: renderer, limits, time zone, policy, FAQ, boards
    metrics: Metrics
    log_guard: LogGuard  # secrets and residents' numbers kept out of logs while the app runs
    dispatcher: Dispatcher

    @property
    def tz(self) -> ZoneInfo:
        return self.tools.tz

    @property
    def render(self) -> Callable[..., str]:
        return self.tools.render

    @property
    def boards(self) -> BoardSettings:
        return self.tools.boards


def rules_from(settings: Settings) -> Rules:
    r = settings.reporting
    return Rules(max_per_report=r.max_per_report, confirm_above=r.confirm_above,
                 undo_hours=r.undo_hours, max_text_length=r.max_text_length,
                 deadline=Deadline.parse(r.weekly_deadline),
                 messages_per_minute=settings.limits.messages_per_minute,
                 join_attempts_per_hour=settings.limits.join_attempts_per_hour,
                 review_threshold=settings.official.review_threshold)


def board_settings(settings: Settings) -> BoardSettings:
    s = settings.schedule
    return BoardSettings(top_n=s.top_n, bottom_n=s.bottom_n, full_max=s.full_max,
                         chart=draw_board, rank_by=settings.leaderboard.rank_by)


def make_tools(settings: Settings) -> Tools:
    """Read the templates, policy and FAQ data; a bad policy file stops start-up."""
    return Tools(render=make_renderer(), rules=rules_from(settings),
                 tz=settings.bot.tz, policy=load_policy(), faq=Faq.load(),
                 boards=board_settings(settings), web_url=settings.web.public_url)


@asynccontextmanager
async def running_app(settings: Settings, clock: Clock = system_clock) -> AsyncIterator[App]:
    """The app with its database migrated; on exit the engine is disposed and the log guard
    removed."""
    tools, metrics = make_tools(settings), Metrics()
    tg, zalo = settings.telegram, settings.zalo
    log_guard = LogGuard([tg.token(), tg.webhook_secret(), zalo.token(), zalo.webhook_secret()])
    engine = make_engine(settings.database.url, settings.database.sqlite_driver)
    try:
        with log_guard.installed():
            await migrate(engine)
            sessions = make_sessions(engine)
            dispatcher = Dispatcher(sessions=sessions, tools=tools, clock=clock,
                                    metrics=metrics, serialize=engine.dialect.name == "sqlite")
            yield App(settings, engine, sessions, clock, tools, metrics, log_guard, dispatcher)
    finally:
        await engine.dispose()
