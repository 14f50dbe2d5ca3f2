"""A PostgreSQL database emptied for a fresh start: the suite's (tests/conftest.py) and the
benchmarks' (bench/staffed.py). Its user owns the schema, as in CI; no superuser needed."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def empty_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
