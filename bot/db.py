"""The async engine, sessions, and schema migrations applied on start-up."""
from __future__ import annotations

import asyncio
import logging
import sqlite3
from functools import partial
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

import bot.sqlite_inline  # noqa: F401  (registers sqlite+inline)

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(str(files("hamletbot.migrations")))  # migrations/, as package data


CHECKPOINT_COMMITS = 200  # the inline driver checkpoints the WAL after this many commits


def make_engine(url: str, sqlite_driver: str = "inline") -> AsyncEngine:
    """The engine for `url`; a SQLite URL (sqlite+aiosqlite://) runs on `sqlite_driver`:
    "inline" (bot/sqlite_inline.py, sqlite3 on the event loop) or "aiosqlite" (a thread)."""
    inline = sqlite_driver == "inline" and url.startswith("sqlite+aiosqlite://")
    if inline:
        url = url.replace("sqlite+aiosqlite://", "sqlite+inline://", 1)
    # Error texts and tracebacks then show the SQL, never the values: a failed insert
    # would otherwise log the reply or the reason it carried.
    engine = create_async_engine(url, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        file_db = bool(database) and database != ":memory:" and not database.startswith("file:")
        checkpoints = inline and file_db
        event.listen(engine.sync_engine, "connect", partial(_sqlite_pragmas, inline=inline,
                                                            checkpoints=checkpoints))
        if file_db:
            _guard_file(engine, Path(database).resolve())
        if checkpoints:
            engine.dialect.after_commit = Checkpointer(Path(database).resolve()).count
    return engine


class Checkpointer:
    """WAL checkpoints off the event loop. SQLite would checkpoint in the committing
    connection (with the inline driver: on the loop, an fsync and up to a thousand pages
    copied); instead automatic checkpoints are off and every CHECKPOINT_COMMITS commits a
    passive checkpoint runs on a connection of its own in a worker thread."""

    def __init__(self, path: Path) -> None:
        self.path, self.commits = path, 0
        self.running: asyncio.Future | None = None

    def count(self) -> None:
        self.commits += 1
        if self.commits < CHECKPOINT_COMMITS or (self.running and not self.running.done()):
            return
        self.commits = 0
        self.running = asyncio.ensure_future(asyncio.to_thread(self.checkpoint))
        self.running.add_done_callback(_log_failure)

    def checkpoint(self) -> None:
        con = sqlite3.connect(self.path, timeout=5)
        try:
            con.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            con.close()


def _log_failure(done: asyncio.Future) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.warning("WAL checkpoint failed: %s", type(done.exception()).__name__)


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


def _sqlite_pragmas(dbapi_conn, _record, *, inline: bool, checkpoints: bool) -> None:
    # WAL lets readers run beside the writer; busy_timeout waits for a lock instead of
    # failing at once (after connecting, the inline driver waits with an async back-off
    # instead, and checkpoints in a thread); foreign keys are off by default in SQLite.
    pragmas = ["busy_timeout=5000", "journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"]
    if inline:
        pragmas.append("busy_timeout=0")
    if checkpoints:
        pragmas.append("wal_autocheckpoint=0")
    cur = dbapi_conn.cursor()
    for pragma in pragmas:
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


class InPlaceSession(AsyncSession):
    """The session of the inline SQLite driver. SQLAlchemy's `async with session` closes it
    in a task of its own behind asyncio.shield, so that a cancelled caller cannot abandon
    the close halfway: two extra turns of the event loop for every message. On the inline
    driver nothing suspends (bot/sqlite_inline.py: a close is a rollback on the loop), so
    the close cannot be interrupted and runs in place."""

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        await self.close()


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions of `engine`; on the inline SQLite driver they close in place
    (InPlaceSession), on other drivers as SQLAlchemy closes them."""
    in_place = engine.dialect.driver == "inline"
    return async_sessionmaker(engine, class_=InPlaceSession if in_place else AsyncSession,
                              expire_on_commit=False)


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
