"""Queries over FaqLog: what residents asked that the FAQ could not answer."""
from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.faq import FaqLog


async def unmatched_report(*, session: AsyncSession, limit: int = 20) -> list[tuple[str, int]]:
    """Most frequent unmatched (topic is None) questions, most asked first."""
    count = func.count(FaqLog.id).label("n")
    rows = await session.exec(
        select(FaqLog.question, count).where(FaqLog.topic.is_(None))
        .group_by(FaqLog.question).order_by(count.desc(), FaqLog.question).limit(limit))
    return [(q, n) for q, n in rows.all()]
