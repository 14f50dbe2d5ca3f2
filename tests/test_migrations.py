"""The Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import models  # noqa: F401


async def test_migrations_match_models(app):
    def diff(connection):
        return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)

    async with app.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_migrating_twice_is_harmless(app):
    from bot.db import migrate
    await migrate(app.engine)


async def test_instances_starting_together_migrate_once(database_url):
    import asyncio

    import pytest

    from bot.db import make_engine, migrate
    from tests.conftest import POSTGRES_URL

    if not POSTGRES_URL:
        pytest.skip("PostgreSQL only: several instances share a database only on PostgreSQL "
                    "(SQLite serves one process)")
    engines = [make_engine(database_url) for _ in range(3)]
    await asyncio.gather(*(migrate(engine) for engine in engines))
    for engine in engines:
        await engine.dispose()
