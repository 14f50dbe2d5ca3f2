"""Which handler answers which command; the dispatcher routes through this table."""
from __future__ import annotations

from typing import Awaitable, Callable

from handlers import (admin, calculator, export, faq, help, leaderboard, onboarding, progress,
                      reporting)
from handlers.context import Context
from handlers.types import Incoming, Reply

Handler = Callable[[Incoming, Context], Awaitable[list[Reply]]]

ROUTES: dict[str, Handler] = {
    "start": onboarding.start,
    "thamgia": onboarding.join,
    "lienket": onboarding.link_group,
    "dangky": reporting.report,
    "bhyt": reporting.report_hi,
    "huy": reporting.undo,
    "boqua": reporting.cancel,
    "tiendo": progress.progress,
    "bxh": leaderboard.leaderboard,
    "trogiup": help.help_for_role,
    "hoi": faq.ask,
    "tinh": calculator.calculate,
    "xuat": export.export,
    "suachua": admin.correct,
    "lichsu": admin.history,
    "moi": admin.invite,
    "thanhvien": admin.members,
    "roi": admin.leave,
}

# Commands whose edits are corrections; an edit of anything else is not re-run.
EDITABLE = {"dangky", "bhyt"}

# Text that is not a command (in a private chat, or addressed to the bot in a group) is
# a question for the FAQ; its fallback says what the bot can answer.
FREE_TEXT: Handler = faq.ask
EDITED_OTHER: Handler = reporting.edited_other
