"""Questions residents asked, for growing the FAQ content. No personal data: digits are scrubbed."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import UtcField, utcnow


class FaqLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    question: str = Field(max_length=500)
    topic: str | None = Field(default=None, max_length=32, index=True)
    score: float = 0.0
    created_at: datetime = UtcField(default_factory=utcnow)
