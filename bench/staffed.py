"""Shared set-up of the benchmarks: a fresh database (a SQLite file, or an emptied
PostgreSQL database) with the demo data and staff."""
from __future__ import annotations

import tempfile
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Iterable

from bot.app import App, running_app
from bot.config import Settings
from bot.demo import load_demo
from models.members import Member
from models.units import unit_by_code
from tests.database import empty_postgres


@asynccontextmanager
async def staffed_demo(platform: str, user_ids: Iterable[str],
                       db: str = "") -> AsyncIterator[App]:
    """The app on a new SQLite file (WAL), or on the PostgreSQL database `db` (its schema is
    replaced), with the demo data loaded and one staff member of the demo hamlet LM-KV1 per
    user id."""
    with tempfile.TemporaryDirectory() as tmp:
        url = db.replace("postgresql://", "postgresql+asyncpg://", 1)
        if url:
            await empty_postgres(url)
        settings = Settings.model_validate(
            {"database": {"url": url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"},
             # a benchmark is a flood by design: measure the work, not the rate limit
             "limits": {"messages_per_minute": 10_000}})
        async with running_app(settings) as app:
            async with app.sessions() as session:
                await load_demo(app.clock().date(), session=session)
                hamlet = await unit_by_code("LM-KV1", session=session)
                session.add_all(Member(platform=platform, user_id=user_id, display_name="Bench",
                                       role="staff", unit_id=hamlet.id) for user_id in user_ids)
                await session.commit()
            yield app

