"""Shared column helpers, and the session's connection for Core statements."""
from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import Field
from sqlmodel.ext.asyncio.session import AsyncSession

# The execution option of a statement that may run long (a national scan, an export, an
# import, housekeeping): the inline SQLite driver runs it in a worker thread, not on the
# event loop (bot/sqlite_inline.py). Other drivers ignore it.
OFF_LOOP = {"off_loop": True}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def UtcField(**kw):
    """A timezone-aware UTC timestamp column (SQLite stores it as text, PostgreSQL as timestamptz)."""
    return Field(sa_type=DateTime(timezone=True), **kw)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


async def connection_of(session: AsyncSession) -> AsyncConnection:
    """The connection of the session's transaction, for Core statements on it. A report
    runs three (its entries, its hamlet's figures, its key); `session.connection()` costs
    each a greenlet and the session's bookkeeping (~30 µs), so the connection is kept with
    the transaction it belongs to and asked for again only in a new one."""
    transaction = session.sync_session.get_transaction()
    kept = session.info.get(_KEPT)
    if (transaction is not None and transaction.is_active and kept is not None
            and kept[0] is transaction):
        return kept[1]
    connection = await session.connection()  # raises, as before, on a failed transaction
    session.info[_KEPT] = (session.sync_session.get_transaction(), connection)
    return connection


_KEPT = "models.base.connection_of"
