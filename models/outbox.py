"""Messages waiting to be sent: scheduled pushes and replies whose delivery failed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from models.base import UtcField, utcnow

STATUSES = ("pending", "sent", "failed")


class Outbox(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=300)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    payload: dict = Field(sa_type=JSON)
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    next_attempt: datetime = UtcField(default_factory=utcnow, index=True)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = UtcField(default_factory=utcnow)
    sent_at: datetime | None = UtcField(default=None)
