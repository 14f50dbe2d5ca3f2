"""An async SQLAlchemy dialect for SQLite that calls sqlite3 on the event-loop thread.

The aiosqlite driver hands every call (execute, fetch, commit: about 20 per message) to a
thread and back; a short statement on a local file costs less than the hop. Here
SQLAlchemy's own pysqlite dialect runs inside the async engine's greenlet, so its awaits
complete at once. Two things must not block the loop:

- a locked database: busy_timeout is 0, and SQLITE_BUSY is retried with an async back-off
  (other messages run meanwhile) for about as long as busy_timeout used to wait;
- long statements (national roll-ups, exports, imports, housekeeping): a statement run
  with the execution option `off_loop` (models/base.py OFF_LOOP) executes and fetches its
  rows in a worker thread. WAL checkpoints run in a worker thread too (bot/db.py).

URL: sqlite+inline:///path.db (bot/db.py chooses it by the setting database.sqlite_driver).
"""
from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any, Callable

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.base import SQLiteExecutionContext
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.util.concurrency import await_

# Waits between tries of a statement that found the database locked: about 5 s in all.
BUSY_DELAYS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, *(0.1,) * 9, *(0.25,) * 16)
SQLITE_BUSY = 5


def is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY, but not BUSY_SNAPSHOT (517): a transaction whose snapshot is stale
    cannot write however long it waits; the dispatcher handles the message again."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.OperationalError) and code == SQLITE_BUSY


def _busy_wait(exc: sqlite3.OperationalError, delay: float | None) -> float:
    """How long to wait before the next attempt after `exc`; re-raises it when it is not
    a lock (SQLITE_BUSY) or the waits in BUSY_DELAYS are used up (delay None)."""
    if delay is None or not is_busy(exc):
        raise exc
    return delay


def _retry_busy(call: Callable[..., Any], *args: Any) -> Any:
    """In a worker thread: wait for a lock by sleeping the thread."""
    for delay in (*BUSY_DELAYS, None):
        try:
            return call(*args)
        except sqlite3.OperationalError as exc:
            time.sleep(_busy_wait(exc, delay))
    raise AssertionError("unreachable")


async def _back_off(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def _inline(call: Callable[..., Any], *args: Any) -> Any:
    """On the loop: the call runs at once and this coroutine completes without suspending
    (the engine's greenlet needs an await); only a lock makes it wait, asynchronously."""
    for delay in (*BUSY_DELAYS, None):
        try:
            return call(*args)
        except sqlite3.OperationalError as exc:
            await _back_off(_busy_wait(exc, delay))
    raise AssertionError("unreachable")


def _run(method: Callable[..., Any], *args: Any) -> None:
    if isinstance(method.__self__, OffLoopCursor):
        method(*args)  # awaits its worker thread
    else:
        await_(_inline(method, *args))


class InlineCursor(sqlite3.Cursor):
    """sqlite3's cursor, closable the way SQLAlchemy's async results close theirs."""

    async def _async_soft_close(self) -> None:
        pass


class OffLoopCursor:
    """A cursor that executes, and fetches its rows, in a worker thread: all of them at
    once, or (a streamed result, which SQLAlchemy fetches inside the greenlet) a batch per
    fetch."""

    def __init__(self, cursor: sqlite3.Cursor, *, streamed: bool) -> None:
        self._cursor, self._streamed = cursor, streamed
        self._rows: list | None = None

    def _in_thread(self, call: Callable[..., Any], *args: Any) -> Any:
        return await_(asyncio.to_thread(call, *args))

    def _execute(self, method: str, *args: Any) -> list | None:
        _retry_busy(getattr(self._cursor, method), *args)
        return None if self._streamed else self._cursor.fetchall()

    def execute(self, statement: str, parameters: Any = ()) -> OffLoopCursor:
        self._rows = self._in_thread(self._execute, "execute", statement, parameters)
        return self

    def executemany(self, statement: str, parameters: Any) -> OffLoopCursor:
        self._rows = self._in_thread(self._execute, "executemany", statement, parameters)
        return self

    def fetchone(self) -> Any:
        if self._rows is None:
            return self._in_thread(self._cursor.fetchone)
        return self._rows.pop(0) if self._rows else None

    def fetchmany(self, size: int | None = None) -> list:
        size = size or self._cursor.arraysize
        if self._rows is None:
            return self._in_thread(self._cursor.fetchmany, size)
        taken, self._rows = self._rows[:size], self._rows[size:]
        return taken

    def fetchall(self) -> list:
        if self._rows is None:
            return self._in_thread(self._cursor.fetchall)
        taken, self._rows = self._rows, []
        return taken

    def close(self) -> None:
        self._cursor.close()

    async def _async_soft_close(self) -> None:
        pass

    def __getattr__(self, name: str) -> Any:  # description, rowcount, lastrowid, arraysize
        return getattr(self._cursor, name)


class InlineExecutionContext(SQLiteExecutionContext):
    def create_default_cursor(self) -> Any:
        cursor = self._dbapi_connection.cursor(InlineCursor)
        if self.execution_options.get("off_loop"):
            return OffLoopCursor(cursor, streamed=self.execution_options.get("stream_results",
                                                                             False))
        return cursor


class SQLiteDialect_inline(SQLiteDialect_pysqlite):
    driver = "inline"
    is_async = True
    supports_statement_cache = True
    execution_ctx_cls = InlineExecutionContext
    # Called after every commit with the connection (bot/db.py: WAL checkpoints).
    after_commit: Callable[[], None] | None = None

    @classmethod
    def get_pool_class(cls, url: Any) -> type[pool.Pool]:
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool

    def create_connect_args(self, url: Any) -> Any:
        args, opts = super().create_connect_args(url)
        # the connection is used by one task at a time, sometimes from a worker thread
        opts["check_same_thread"] = False
        return args, opts

    def do_execute(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        _run(cursor.execute, statement, parameters)

    def do_execute_no_params(self, cursor: Any, statement: str, context: Any = None) -> None:
        _run(cursor.execute, statement)

    def do_executemany(self, cursor: Any, statement: str, parameters: Any,
                       context: Any = None) -> None:
        _run(cursor.executemany, statement, parameters)

    def do_commit(self, dbapi_connection: Any) -> None:
        await_(_inline(dbapi_connection.commit))
        if self.after_commit is not None:
            self.after_commit()


registry.register("sqlite.inline", "bot.sqlite_inline", "SQLiteDialect_inline")
dialect = SQLiteDialect_inline
