"""The async engine, sessions, and schema migrations applied on start-up."""
from __future__ import annotations

import sqlite3
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS_DIR = Path(str(files("hamletbot.migrations")))  # migrations/, as package data


def make_engine(url: str) -> AsyncEngine:
    # Error texts and tracebacks then show the SQL, never the values: a failed insert
    # would otherwise log the reply or the reason it carried.
    engine = create_async_engine(url, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        database = engine.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            _guard_file(engine, Path(database).resolve())
    return engine


def _guard_file(engine: AsyncEngine, path: Path) -> None:
    """Once the database file exists, it must stay the file we write to. Deleted while the
    bot runs, pooled connections would go on writing into the unlinked file (every report
    answered, all lost at the next restart) and a new connection would create an empty
    one: both are refused instead, as a database error (the message waits in the inbox and
    /healthz says 503). A file replaced by another (a restored backup) is reconnected to."""
    seen = {"created": path.exists()}

    def do_connect(dialect, record, cargs, cparams):
        if seen["created"] and not path.exists():
            raise sqlite3.OperationalError(f"database file {path.name} is gone")

    def connect(dbapi_conn, record) -> None:
        seen["created"] = True
        record.info["inode"] = _inode(path)

    def checkout(dbapi_conn, record, proxy) -> None:
        if _inode(path) != record.info.get("inode"):
            raise DisconnectionError("the database file was deleted or replaced")

    event.listen(engine.sync_engine, "do_connect", do_connect)
    event.listen(engine.sync_engine, "connect", connect)
    event.listen(engine.sync_engine.pool, "checkout", checkout)


def _inode(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


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
