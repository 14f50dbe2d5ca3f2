"""The command table: one row per command says everything the dispatcher, the parser and
/trogiup need to know about it (handlers.access.Command). Adding a command is one row here,
a handler, and its templates (its help line is a macro in templates/_help.j2).
"""
from __future__ import annotations

from handlers import (admin, calculator, export, faq, leaderboard, monthly, onboarding,
                      progress, reporting, silent, web)
from handlers.access import (COORDINATORS, GROUP, HERE, LINKED_OR_OWN, MEMBERS,
                             OWN_GROUP, PRIVATE, STAFF, Command, Handler, UnitArg)
from handlers.context import Context
from handlers.types import Incoming, Reply


async def show_help(msg: Incoming, ctx: Context) -> list[Reply]:
    """/trogiup: the commands of the sender's role (a guest sees how to join), in the
    table's order, each with its help line."""
    role = ctx.member.role if ctx.member and ctx.member.active else "guest"
    names = [c.help for c in COMMANDS if c.offered_to(role)]
    return ctx.reply(f"help/{role}.j2", commands=names, role=role,
                     in_group=msg.chat_kind == "group", undo_hours=ctx.rules.undo_hours)


REPORT = dict(roles=STAFF, where=(PRIVATE, OWN_GROUP), wrong_role="reporting/not_staff.j2")
COORDINATORS_PRIVATE = dict(roles=COORDINATORS, where=(PRIVATE,))
NAMED_OR_OWN = UnitArg("code")  # [MÃ]: the unit named, else my own

COMMANDS: tuple[Command, ...] = (
    Command("start", onboarding.start),
    Command("thamgia", onboarding.join, bare=r"^(tham gia|thamgia)\s+(?=[a-z0-9-]+\s*$)",
            where=(PRIVATE,), wrong_place="onboarding/join_in_private.j2", help="thamgia"),
    Command("dangky", reporting.report, aliases=("dk",),
            bare=r"^(dang ky|dangky|dk)\s+(?=[+\-]?[0-9]|khong co|tuan nay|chua co)",
            editable=True, help="dangky", **REPORT),
    Command("bhyt", reporting.report_hi, editable=True, help="bhyt", **REPORT),
    Command("huy", reporting.undo, help="huy", **REPORT),
    Command("boqua", reporting.cancel),
    Command("tiendo", progress.progress, aliases=("td",), bare=r"^(tien do|tiendo)\s*$",
            unit=HERE, help="tiendo"),
    Command("bxh", leaderboard.leaderboard, unit=LINKED_OR_OWN, help="bxh"),
    Command("lienket", onboarding.link_group, roles=COORDINATORS, where=(GROUP,),
            wrong_role="onboarding/link_not_coordinator.j2",
            wrong_place="onboarding/link_only_group.j2", help="lienket"),
    Command("xuat", export.export, aliases=("xuatexcel", "export"), unit=NAMED_OR_OWN,
            help="xuat", **COORDINATORS_PRIVATE),
    Command("suachua", admin.correct, aliases=("sua",), unit=UnitArg("code", own_default=False),
            help="suachua", **COORDINATORS_PRIVATE),
    Command("lichsu", admin.history, aliases=("ls",), roles=MEMBERS, where=(PRIVATE,),
            unit=NAMED_OR_OWN, help="lichsu"),
    Command("moi", admin.invite, aliases=("moivao", "invite"),
            unit=UnitArg("code", at=1, own_default=False), help="moi", **COORDINATORS_PRIVATE),
    Command("chuabaocao", silent.not_reported_list, aliases=("cbc",), unit=NAMED_OR_OWN,
            help="chuabaocao", **COORDINATORS_PRIVATE),
    Command("baocaothang", monthly.report, aliases=("bct",), unit=monthly.UNIT,
            help="baocaothang", **COORDINATORS_PRIVATE),
    Command("thanhvien", admin.members, aliases=("tv",), unit=NAMED_OR_OWN, help="thanhvien",
            **COORDINATORS_PRIVATE),
    Command("roi", admin.leave, aliases=("roidi", "nghi"), roles=MEMBERS, help="roi"),
    Command("web", web.web_link, aliases=("trangweb",), roles=MEMBERS, where=(PRIVATE,),
            help="web"),
    Command("hoi", faq.ask, help="hoi"),
    Command("tinh", calculator.calculate, help="tinh"),
    Command("trogiup", show_help, aliases=("help", "menu"), bare=r"^(tro giup|trogiup)\s*$"),
)
BY_NAME = {c.name: c for c in COMMANDS}

# Text that is not a command (in a private chat, or addressed to the bot in a group) is
# a question for the FAQ (its fallback says what the bot can answer), or staff reporting
# in words in private.
FREE_TEXT: Handler = reporting.in_words
EDITED_OTHER: Handler = reporting.edited_other
# Not messages: the bot added to or removed from a group (Incoming.event).
EVENTS: dict[str, Handler] = {"added": onboarding.bot_added, "removed": onboarding.bot_removed}
