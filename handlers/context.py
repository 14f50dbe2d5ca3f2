"""What a handler gets besides the message: the session, the sender, the chat's unit."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.types import Reply
from models.members import Member
from models.units import Unit


@dataclass(frozen=True)
class Rules:
    """Reporting limits, built by bot/ from the settings."""
    max_per_report: int = 500
    confirm_above: int = 50
    undo_hours: int = 48
    max_text_length: int = 1000
    messages_per_minute: int = 20  # per user; the dispatcher slows down a flood
    join_attempts_per_hour: int = 5  # wrong invite codes per user before /thamgia refuses
    tz: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    boards: Any = None  # handlers.leaderboard.BoardSettings: leaderboard layout and chart


@dataclass
class Context:
    session: AsyncSession
    member: Member | None
    chat_unit: Unit | None  # the unit a group chat is linked to, if any
    rules: Rules
    now: datetime  # UTC, from the injected clock
    render: Callable[..., str]  # render("feature/message.j2", **data) -> str
    home: Unit | None = None  # the member's own unit
    command: str = ""  # canonical command name, "" for free text
    args: str = ""  # the text after the command
    policy: Any = None  # models.policy.Policy, the dated policy figures
    unit: Unit | None = None  # the unit the command is about (its row's UnitArg)

    def reply(self, template: str, **data: Any) -> list[Reply]:
        """The common case: one text reply rendered from a template."""
        return [Reply(self.render(template, **data))]

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.rules.tz)
