"""/trogiup: what I can do, by role."""
from __future__ import annotations

from handlers.context import Context
from handlers.types import Incoming, Reply


async def help_for_role(msg: Incoming, ctx: Context) -> list[Reply]:
    """/trogiup: the commands for the sender's role (a guest sees how to join)."""
    role = ctx.member.role if ctx.member and ctx.member.active else "guest"
    return ctx.reply(f"help/{role}.j2", in_group=msg.chat_kind == "group",
                     undo_hours=ctx.rules.undo_hours)
