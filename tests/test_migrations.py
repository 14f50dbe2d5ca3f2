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
