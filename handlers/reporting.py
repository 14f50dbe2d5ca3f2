"""Reporting sign-ups: /dangky, /bhyt, /huy, and edits of a report message."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from handlers.access import Refusal
from handlers.context import Context
from handlers.counts import CONFIRM_WORD, Counts, is_nil, parse_counts
from handlers.faq import ask
from handlers.types import Choice, Incoming, Reply
from handlers.words_report import recognise
from models.base import as_utc
from models.ledger import Report, add_entries, entries_of_message, entry, last_report_of
from models.progress import unit_progress
from models.units import Unit


async def report(msg: Incoming, ctx: Context) -> list[Reply]:
    """/dangky N [bhyt M]: N voluntary SI sign-ups (and M household HI) for my hamlet today."""
    return await _report(msg, ctx, first="bhxh_tn")


async def report_hi(msg: Incoming, ctx: Context) -> list[Reply]:
    """/bhyt M: M household health insurance sign-ups for my hamlet today."""
    return await _report(msg, ctx, first="bhyt")


async def _report(msg: Incoming, ctx: Context, *, first: str) -> list[Reply]:
    if is_nil(ctx.args):
        return await _nil(msg, ctx)
    counts = parse_counts(ctx.args, first, ctx.rules.max_per_report)
    if counts.error:
        return ctx.reply(f"reporting/{counts.error}.j2", bad=counts.bad,
                         cap=ctx.rules.max_per_report, command=ctx.command)
    # An edit, or the confirmation of one, corrects what its message counted; it is held
    # to the rules of a report (cap, confirmation) and of /huy (the window, not undone).
    earlier = []
    if msg.is_edit or msg.answers_ref:
        earlier = [e for e in await entries_of_message(msg.message_ref, session=ctx.session)
                   if e.kind != "nil"]  # a nil report counted nothing to correct
        _check_change(msg, earlier, ctx)
    if counts.total > ctx.rules.confirm_above and not counts.confirmed:
        return _ask_to_confirm(ctx, counts, edit=bool(earlier))
    if earlier:
        return await _correct(msg, ctx, counts, _live(earlier))
    await _write(msg, ctx, counts)
    return await _accepted(ctx, counts, template="reporting/accepted.j2")


async def _nil(msg: Incoming, ctx: Context) -> list[Reply]:
    """`/dangky 0`: the hamlet reported, with no new sign-ups this week; no count is written
    (a ledger entry of kind "nil", count 0, so completeness reads one table)."""
    if msg.is_edit or msg.answers_ref:
        return ctx.reply("reporting/nil_not_edit.j2")
    await add_entries([entry(
        unit_id=ctx.member.unit_id, programme="bhxh_tn", count=0,
        local_date=msg.time.astimezone(ctx.tz).date(), created_at=ctx.now,
        member_id=ctx.member.id, kind="nil", source_key=f"{msg.key}:nil",
        message_ref=msg.message_ref)], session=ctx.session)
    return ctx.reply("reporting/nil.j2", unit=ctx.home)


def _check_change(msg: Incoming, earlier: list[Report], ctx: Context) -> None:
    """Raise the answer why an edit may not change what its message counted."""
    if not earlier:
        # never counted (another command, a refused report): an edit records nothing
        if msg.is_edit:
            raise Refusal("reporting/edit_not_counted.j2")
        return
    if not _live(earlier):
        raise Refusal("reporting/edit_undone.j2")
    if _too_late(earlier, ctx):
        raise Refusal("reporting/edit_too_late.j2", hours=ctx.rules.undo_hours,
                      day=earlier[0].local_date)


def _too_late(entries: list[Report], ctx: Context) -> bool:
    """Past the window for changing a report, counted from when its message first counted."""
    return ctx.now - _first_counted(entries) > timedelta(hours=ctx.rules.undo_hours)


def _first_counted(entries: list[Report]) -> datetime:
    return min(as_utc(e.created_at) for e in entries if e.kind == "report")


def _ask_to_confirm(ctx: Context, counts: Counts, *, edit: bool) -> list[Reply]:
    return [_yes_no(ctx, counts.values, ctx.render("reporting/confirm.j2", counts=counts.values,
                                                   edit=edit))]


def _yes_no(ctx: Context, counts: dict[str, int], question: str) -> Reply:
    """The question with "yes" (the report, confirmed) and "no" (/boqua) as choices."""
    words = " ".join(f"{'bhyt ' if p == 'bhyt' else ''}{n}" for p, n in counts.items())
    yes = ctx.render("reporting/confirm_yes.j2")
    no = ctx.render("reporting/confirm_no.j2")
    return Reply(question, choices=(Choice(yes, f"/dangky {words} {CONFIRM_WORD}"),
                                    Choice(no, "/boqua")))


async def in_words(msg: Incoming, ctx: Context) -> list[Reply]:
    """Free text in private: a staff member's report in words is proposed ("Ghi nhận 3 BHXH
    tự nguyện cho Ấp 3?") and recorded after a yes; anything else is a question."""
    member = ctx.member
    if (msg.chat_kind == "private" and not msg.forwarded and member and member.active
            and member.role == "staff"):
        counts = recognise(msg.text)
        if counts and sum(counts.values()) <= ctx.rules.max_per_report:
            return [_yes_no(ctx, counts, ctx.render("reporting/in_words.j2", counts=counts,
                                                    unit=ctx.home))]
    return await ask(msg, ctx)


async def _write(msg: Incoming, ctx: Context, counts: Counts, *, unit_id: int | None = None,
                 day: date | None = None) -> None:
    day = day or msg.time.astimezone(ctx.tz).date()
    await add_entries([entry(
        unit_id=unit_id or ctx.member.unit_id, programme=programme, count=count,
        local_date=day, created_at=ctx.now, member_id=ctx.member.id, kind="report",
        source_key=f"{msg.key}:{programme}", message_ref=msg.message_ref)
        for programme, count in counts.values.items()], session=ctx.session)


async def _accepted(ctx: Context, counts: Counts, *, template: str, **extra) -> list[Reply]:
    session = ctx.session
    if session.new or session.dirty or session.deleted:  # ORM changes the roll-up must see
        await session.flush()
    hamlet = ctx.home
    rows = await unit_progress(hamlet, ctx.local_now.year, session=session)
    return ctx.reply(template, unit=hamlet, counts=counts.values, rows=rows, **extra)


async def _correct(msg: Incoming, ctx: Context, counts: Counts,
                   live: list[Report]) -> list[Reply]:
    """Reverse what the message still counts, then count the new figures for the same
    hamlet and day as the report they replace."""
    before = {e.programme: e.count for e in live}
    _reverse(live, msg, ctx, kind="undo")
    await _write(msg, ctx, counts, unit_id=live[0].unit_id, day=live[0].local_date)
    return await _accepted(ctx, counts, template="reporting/corrected.j2", before=before)


async def undo(msg: Incoming, ctx: Context) -> list[Reply]:
    """/huy: undo my last report, within the configured window (48 hours by default). It
    shows the report and asks first; only the "yes" (the report's first entry and the
    confirm word, answering the question) undoes, and is checked again."""
    first, confirmed = _undo_target(ctx.args)
    if confirmed and msg.answers_ref:
        return await _undo_confirmed(msg, ctx, first)
    entries = await last_report_of(ctx.member.id, session=ctx.session)
    if not entries:
        return ctx.reply("reporting/nothing_to_undo.j2")
    counted = await entries_of_message(entries[0].message_ref, session=ctx.session)
    if _too_late(counted, ctx):
        return ctx.reply("reporting/undo_too_late.j2", hours=ctx.rules.undo_hours,
                         day=entries[0].local_date)
    data = dict(counts={e.programme: e.count for e in entries},
                unit=await ctx.session.get(Unit, entries[0].unit_id),
                at=_first_counted(counted).astimezone(ctx.tz), day=entries[0].local_date)
    return ctx.confirm(ctx.render("reporting/undo_confirm.j2", **data),
                       f"/huy {entries[0].id} {CONFIRM_WORD}", yes="reporting/undo_yes.j2")


def _undo_target(args: str) -> tuple[int, bool]:
    """The yes payload `<first entry id> xacnhan`: (the id, True); else (0, False)."""
    words = args.split()
    if len(words) == 2 and words[0].isascii() and words[0].isdigit() and words[1] == CONFIRM_WORD:
        return int(words[0]), True
    return 0, False


async def _undo_confirmed(msg: Incoming, ctx: Context, first: int) -> list[Reply]:
    """Undo what the report's message still counts (an edit since the question changed
    its figures: the report is undone as it stands), if still inside the window."""
    report = await ctx.session.get(Report, first)
    if report is None or report.member_id != ctx.member.id or report.kind != "report":
        return ctx.reply("reporting/nothing_to_undo.j2")
    counted = await entries_of_message(report.message_ref, session=ctx.session)
    live = _live(counted)
    if not live:
        return ctx.reply("reporting/undo_already.j2")
    if _too_late(counted, ctx):
        return ctx.reply("reporting/undo_too_late.j2", hours=ctx.rules.undo_hours,
                         day=live[0].local_date)
    _reverse(live, msg, ctx, kind="undo")
    counts = Counts(values={e.programme: e.count for e in live})
    return await _accepted(ctx, counts, template="reporting/undone.j2", day=live[0].local_date)


async def cancel(msg: Incoming, ctx: Context) -> list[Reply]:
    """/boqua: the "no" of a confirmation; nothing is written. (`/boqua x`: not a report's;
    `/boqua huy`: the report stays.)"""
    if ctx.args == "huy":
        return ctx.reply("reporting/undo_kept.j2")
    return ctx.reply("reporting/cancelled.j2", report=not ctx.args)


def _live(entries: list[Report]) -> list[Report]:
    """Report entries of a message that no later entry reverses."""
    reversed_ids = {e.reverses_id for e in entries if e.reverses_id}
    return [e for e in entries if e.kind == "report" and e.id not in reversed_ids]


def _reverse(entries: list[Report], msg: Incoming, ctx: Context, *, kind: str) -> None:
    # A reversal keeps the original's date, so the day and week it counted for are corrected.
    for entry in entries:
        ctx.session.add(Report(
            unit_id=entry.unit_id, programme=entry.programme, count=-entry.count,
            local_date=entry.local_date, created_at=ctx.now, member_id=ctx.member.id,
            kind=kind, reverses_id=entry.id, source_key=f"{msg.key}:{kind}:{entry.id}",
            message_ref=entry.message_ref))


async def edited_other(msg: Incoming, ctx: Context) -> list[Reply]:
    """An edit that is not a report: if the message had counted, say the count stands."""
    if _live(await entries_of_message(msg.message_ref, session=ctx.session)):
        return ctx.reply("reporting/edit_not_report.j2")
    return []
