"""Who may use a command where, and which unit it is about: declared in a `Command` row
(handlers/registry.py), enforced by `admit` before the handler runs.

A handler that refuses for a reason of its own raises `Refusal` (template + data); the
dispatcher answers with it as it would with a refusal of `admit`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from handlers.context import Context
from handlers.text import fold
from handlers.types import Incoming, Reply
from models.units import Unit, is_within, unit_by_code

Handler = Callable[[Incoming, Context], Awaitable[list[Reply]]]

STAFF = ("staff",)
COORDINATORS = ("coordinator", "admin")
MEMBERS = ("staff", "coordinator", "admin")

# Places: a private chat; any group; a group linked to the sender's unit or one above it.
PRIVATE, GROUP, OWN_GROUP = "private", "group", "own group"
ANYWHERE = (PRIVATE, GROUP)


class Refusal(Exception):
    """The answer why not: a template and its data. Nothing the handler did is undone."""

    def __init__(self, template: str, **data: Any) -> None:
        super().__init__(template)
        self.template, self.data = template, data


@dataclass(frozen=True)
class UnitArg:
    """Which unit a command is about.

    `here`: a linked group's unit, else the sender's own unit.
    `group`: in a group its linked unit (an unlinked group is refused), in private the
    sender's own unit.
    `code`: the unit whose code is word `at` of the arguments, not counting plain numbers
    (a year, a count) nor words matching `skip` once folded (a month: 'tháng', '10/2026');
    without it the sender's own unit, or none when `own_default` is False (the handler
    then answers with its usage). A coordinator may name units in their own subtree, a
    staff member their own hamlet, an admin any unit.
    """
    source: str
    at: int = 0
    own_default: bool = True
    skip: str = ""


HERE, LINKED_OR_OWN = UnitArg("here"), UnitArg("group")


@dataclass(frozen=True)
class Command:
    """One row of the command table."""
    name: str  # canonical, folded, without the slash
    handler: Handler
    aliases: tuple[str, ...] = ()
    bare: str = ""  # regex on folded text: typed without a slash, this is the command
    roles: tuple[str, ...] | None = None  # None: anyone, also people who have not joined
    where: tuple[str, ...] = ANYWHERE
    editable: bool = False  # an edit of the message corrects what it did
    unit: UnitArg | None = None
    help: str = ""  # macro in templates/_help.j2 giving its help line(s); "": not listed
    wrong_role: str = "admin/not_coordinator.j2"
    wrong_place: str = ""  # default: admin/only_private.j2, or the linked-group answers

    def offered_to(self, role: str) -> bool:
        """Listed in the help of `role` ("guest" for someone who has not joined)."""
        return bool(self.help) and (self.roles is None or role in self.roles)


async def admit(command: Command, msg: Incoming, ctx: Context) -> None:
    """Role, then place, then the unit (into ctx.unit); raises Refusal when one fails."""
    if command.roles is not None:
        member = require_member(ctx)
        if member.role not in command.roles:
            raise Refusal(command.wrong_role, role=member.role)
    await _check_place(command, msg, ctx)
    if command.unit is not None:
        ctx.unit = await _resolve_unit(command.unit, msg, ctx)


def require_member(ctx: Context):
    """The sender, an active member; otherwise the answer that they have not joined."""
    if ctx.member is None or not ctx.member.active:
        raise Refusal("common/not_member.j2")
    return ctx.member


async def _check_place(command: Command, msg: Incoming, ctx: Context) -> None:
    if msg.chat_kind == "private":
        if PRIVATE not in command.where:
            raise Refusal(command.wrong_place or "admin/only_private.j2")
        return
    if GROUP in command.where:
        return
    if OWN_GROUP not in command.where:
        raise Refusal(command.wrong_place or "admin/only_private.j2")
    if ctx.chat_unit is None:
        raise Refusal("common/group_not_linked.j2")
    if not await is_within(require_member(ctx).unit_id, ctx.chat_unit.id, session=ctx.session):
        raise Refusal("reporting/wrong_group.j2", unit=ctx.chat_unit)


async def _resolve_unit(arg: UnitArg, msg: Incoming, ctx: Context) -> Unit | None:
    if arg.source in ("here", "group") and msg.chat_kind == "group" and ctx.chat_unit:
        return ctx.chat_unit
    require_member(ctx)
    if arg.source == "group" and msg.chat_kind == "group":
        raise Refusal("common/group_not_linked.j2")
    if arg.source != "code":
        return ctx.home
    words = [w for w in ctx.args.split() if not (w.isascii() and w.isdigit())
             and not (arg.skip and re.fullmatch(arg.skip, fold(w)))]
    if len(words) <= arg.at:
        return ctx.home if arg.own_default else None
    unit = await unit_named(ctx, words[arg.at])
    await require_inside(ctx, unit)
    return unit


async def require_inside(ctx: Context, unit: Unit, *, below: bool = False) -> None:
    """Coordinators act inside their own subtree (strictly below their unit with `below`),
    staff on their own hamlet, admins anywhere."""
    member = ctx.member
    if member.role == "admin":
        return
    inside = await is_within(unit.id, member.unit_id, session=ctx.session)
    if member.role == "staff" and not inside:
        raise Refusal("admin/own_hamlet_only.j2", home=ctx.home)
    if below and unit.id == member.unit_id:
        raise Refusal("admin/only_below.j2", home=ctx.home)
    if not inside:
        raise Refusal("admin/outside.j2", unit=unit, home=ctx.home)


async def unit_named(ctx: Context, code: str) -> Unit:
    """The unit with this code, or the answer that there is none."""
    unit = await unit_by_code(code.upper()[:64], session=ctx.session)
    if unit is None:
        raise Refusal("admin/unknown_unit.j2", code=code[:30], example=example_code(ctx))
    return unit


def example_code(ctx: Context) -> str:
    return ctx.home.code if ctx.home else "LM-KV1"


def require_coordinator_in_private(msg: Incoming, ctx: Context) -> None:
    """For a use of a command that only coordinators and admins have, in private (/roi SỐ)."""
    if require_member(ctx).role not in COORDINATORS:
        raise Refusal("admin/not_coordinator.j2")
    if msg.chat_kind != "private":
        raise Refusal("admin/only_private.j2")
