"""The inline SQLite driver: long statements off the loop, a locked database waited for
without blocking the loop, WAL checkpoints in a worker thread."""
from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest
from sqlalchemy import event, func, select, text
from sqlmodel.ext.asyncio.session import AsyncSession

import bot.db
import bot.sqlite_inline
from bot.db import make_engine, make_sessions, migrate
from models.base import OFF_LOOP


@pytest.fixture
async def engine(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    threads: list[str] = []

    @event.listens_for(engine.sync_engine, "connect")
    def whereami(dbapi_conn, _record) -> None:  # a SQL function that names its thread
        dbapi_conn.create_function("whereami", 0, lambda: threading.current_thread().name)

    await migrate(engine)
    yield engine
    await engine.dispose()


async def test_the_engine_runs_on_the_inline_driver_with_its_pragmas(engine):
    assert engine.dialect.driver == "inline"
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 0
        assert (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"


async def test_statements_run_on_the_loop_thread_and_long_ones_in_a_worker(engine):
    loop_thread = threading.current_thread().name
    async with make_sessions(engine)() as session:
        inline = (await session.exec(select(func.whereami()))).scalar()
        off = (await session.exec(select(func.whereami()), execution_options=OFF_LOOP)
               ).scalar()
        streamed = await session.stream(select(func.whereami()).execution_options(**OFF_LOOP))
        rows = [r async for r in streamed]
    assert inline == loop_thread
    assert off != loop_thread and rows[0][0] != loop_thread


async def test_a_locked_database_is_waited_for_without_blocking_the_loop(engine, monkeypatch,
                                                                          tmp_path):
    backing_off = asyncio.Event()
    real_back_off = bot.sqlite_inline._back_off

    async def observed_back_off(seconds: float) -> None:
        backing_off.set()
        await real_back_off(seconds)

    monkeypatch.setattr(bot.sqlite_inline, "_back_off", observed_back_off)
    other = sqlite3.connect(tmp_path / "inline.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    other.execute("INSERT INTO unit (code, name, kind) VALUES ('X', 'X', 'city')")

    async def write() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO unit (code, name, kind) VALUES ('Y', 'Y', 'city')"))

    writing = asyncio.create_task(write())
    await backing_off.wait()  # the writer found the lock and waits on the loop
    assert not writing.done()
    other.execute("COMMIT")
    other.close()
    await writing
    async with engine.connect() as conn:
        codes = (await conn.execute(text("SELECT code FROM unit ORDER BY code"))).scalars().all()
    assert codes == ["X", "Y"]


async def test_a_lock_held_too_long_is_a_database_error(engine, monkeypatch, tmp_path):
    monkeypatch.setattr(bot.sqlite_inline, "BUSY_DELAYS", (0, 0))
    other = sqlite3.connect(tmp_path / "inline.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Exception, match="database is locked"):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO unit (code, name, kind) "
                                        "VALUES ('Y', 'Y', 'city')"))
    finally:
        other.close()


async def test_wal_checkpoints_run_in_a_worker_thread_every_so_many_commits(engine, monkeypatch):
    monkeypatch.setattr(bot.db, "CHECKPOINT_COMMITS", 3)
    ran_in: list[str] = []
    checkpointer = engine.dialect.after_commit.__self__
    checkpointer.commits = 0  # the migration's commits
    real = checkpointer.checkpoint
    monkeypatch.setattr(checkpointer, "checkpoint",
                        lambda: (ran_in.append(threading.current_thread().name), real()))
    for i in range(3):
        async with engine.begin() as conn:
            await conn.execute(text(f"INSERT INTO unit (code, name, kind) VALUES ('U{i}', 'U', 'city')"))
        assert (checkpointer.running is None) == (i < 2)
    await checkpointer.running
    assert ran_in and ran_in[0] != threading.current_thread().name


async def test_sessions_close_in_place(engine):
    """Sessions on the inline driver (bot.db.InPlaceSession): the session is closed where
    the block ends (no task of its own), its connection back in the pool, and what was not
    committed rolled back, also when the block raises."""
    sessions = make_sessions(engine)
    assert sessions.class_ is bot.db.InPlaceSession

    async def add(session, key: str) -> None:
        await (await session.connection()).execute(text(
            "INSERT INTO processedmessage (key, replies, created_at) "
            "VALUES (:key, '[]', '2026-12-01')"), {"key": key})

    tasks_before = len(asyncio.all_tasks())
    async with sessions() as session:
        await add(session, "kept")
        await session.commit()
        await add(session, "dropped")
    with pytest.raises(RuntimeError):
        async with sessions() as session:
            await add(session, "raised")
            raise RuntimeError("a handler failed")
    assert len(asyncio.all_tasks()) == tasks_before
    assert engine.pool.checkedout() == 0
    async with engine.connect() as conn:
        keys = (await conn.execute(text("SELECT key FROM processedmessage"))).scalars()
        assert list(keys) == ["kept"]


async def test_other_drivers_keep_sqlalchemys_shielded_close(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'thread.db'}", sqlite_driver="aiosqlite")
    try:
        sessions = make_sessions(engine)
        assert sessions.class_ is AsyncSession
    finally:
        await engine.dispose()
