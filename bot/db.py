"""The async engine, sessions, and schema migrations applied on start-up."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS_DIR = Path(str(files("hamletbot.migrations")))  # migrations/, as package data


def make_engine(url: str) -> AsyncEngine:
    # Error texts and tracebacks then show the SQL, never the values: a failed insert
    # would otherwise log the reply or the reason it carried.
    engine = create_async_engine(url, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets readers run beside the writer; busy_timeout waits for a lock instead of
    # failing at once; foreign keys are off by default in SQLite.
    cur = dbapi_conn.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000",
                   "foreign_keys=ON"):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest Alembic revision."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))

    def upgrade(connection) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # instances starting together migrate one after the other, not at once
            await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('hamletbot-migrate'))"))
        await conn.run_sync(upgrade)
