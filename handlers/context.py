"""What a handler gets besides the message: the session, the sender, the chat's unit, and the
tools the App built once (renderer, limits, time zone, policy, FAQ data, board layout)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.types import Choice, Reply
from models.completeness import Deadline
from models.members import Member
from models.policy import Policy
from models.units import Unit

if TYPE_CHECKING:  # both import this module
    from handlers.faq import Faq
    from handlers.leaderboard import BoardSettings


@dataclass(frozen=True)
class Rules:
    """Reporting limits and how figures are judged, built by bot/ from the settings."""
    max_per_report: int = 500
    confirm_above: int = 50
    undo_hours: int = 48
    max_text_length: int = 1000
    messages_per_minute: int = 20  # per user; the dispatcher slows down a flood
    join_attempts_per_hour: int = 5  # wrong invite codes per user before /thamgia refuses
    deadline: Deadline = Deadline()  # a week's reports count as on time until then
    review_threshold: float = 0.2  # official.review_threshold (models/official.py)


@dataclass
class Tools:
    """Built once by the App (bot/app.py) and lent to every handler through its Context."""
    render: Callable[..., str]  # render("feature/message.j2", **data) -> str
    rules: Rules
    tz: ZoneInfo  # local time (Asia/Ho_Chi_Minh by default)
    policy: Policy  # the dated policy figures
    faq: Faq  # the FAQ matcher and answer catalogue
    boards: BoardSettings  # leaderboard layout, and what draws its chart
    web_url: str  # web.public_url: where /web's links point ("": the dashboard is off)


@dataclass
class Context(Tools):
    """One message's context: the App's tools, and what the dispatcher found out."""
    session: AsyncSession
    member: Member | None
    home: Unit | None  # the member's own unit
    chat_unit: Unit | None  # the unit a group chat is linked to, if any
    now: datetime  # UTC, from the injected clock
    command: str  # canonical command name, "" for free text
    args: str  # the text after the command
    unit: Unit | None  # the unit the command is about (its row's UnitArg), set by admit

    @classmethod
    def lend(cls, tools: Tools, **rest: Any) -> Context:
        """A context with the App's tools and this message's facts."""
        return cls(**{f.name: getattr(tools, f.name) for f in fields(Tools)}, **rest)

    def reply(self, template: str, **data: Any) -> list[Reply]:
        """The common case: one text reply rendered from a template."""
        return [Reply(self.render(template, **data))]

    def confirm(self, text: str, yes_payload: str, *, yes: str = "reporting/confirm_yes.j2",
                **data: Any) -> list[Reply]:
        """`text` with "yes" (`yes_payload`: the command again, with the confirm word, so it is
        checked again) and "no" (`/boqua <command>`: its answer then does not talk about
        reports) as choices."""
        return [Reply(text, choices=(Choice(self.render(yes, **data), yes_payload),
                                     Choice(self.render("reporting/confirm_no.j2"),
                                            f"/boqua {self.command}")))]

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.tz)
