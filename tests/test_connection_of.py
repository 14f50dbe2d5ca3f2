"""models.base.connection_of: the session's connection, kept with its transaction."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, PendingRollbackError

from models.base import connection_of
from models.processed import ProcessedMessage

INSERT = text("INSERT INTO processedmessage (key, replies, created_at) "
              "VALUES (:key, '[]', '2026-12-01T00:00:00+00:00')")


async def test_one_connection_per_transaction_asked_for_once(app, monkeypatch):
    async with app.sessions() as session:
        asked = []
        real = type(session).connection

        async def counted(self, *args, **kw):
            asked.append(1)
            return await real(self, *args, **kw)

        monkeypatch.setattr(type(session), "connection", counted)
        first = await connection_of(session)
        await first.execute(INSERT, {"key": "a"})
        assert await connection_of(session) is first
        assert len(asked) == 1
        await session.commit()  # a new transaction: its own connection, asked for again
        second = await connection_of(session)
        assert len(asked) == 2
        assert second is await real(session)
        await second.execute(INSERT, {"key": "b"})
        await session.rollback()
        await (await connection_of(session)).execute(INSERT, {"key": "c"})
        await session.commit()
    async with app.sessions() as session:
        keys = (await connection_of(session))
        assert list((await keys.execute(text("SELECT key FROM processedmessage ORDER BY key")))
                    .scalars()) == ["a", "c"]


async def test_a_failed_transaction_is_refused_as_before(app):
    async with app.sessions() as session:
        await (await connection_of(session)).execute(INSERT, {"key": "same"})
        session.add(ProcessedMessage(key="same", replies=[]))
        with pytest.raises(IntegrityError):
            await session.flush()
        with pytest.raises(PendingRollbackError):
            await connection_of(session)
        await session.rollback()
        await (await connection_of(session)).execute(INSERT, {"key": "after"})
