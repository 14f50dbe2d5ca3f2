"""Scheduled pushes: one APScheduler AsyncIOScheduler, cron in local time; jobs only write
outbox rows (the sender delivers them).

Each row's key names the job, the period, the platform and the chat
(`leaderboard:2026-W47:telegram:-100123`), so a job that runs twice adds nothing. The
period comes from the scheduled time, not the clock: a run caught up after downtime
(within `misfire_grace_seconds`, checked on start) pushes the same week as the run it
replaces. APScheduler's memory job store forgets missed runs across a restart, hence the
explicit catch-up.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta, tzinfo
from typing import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import ScheduleSettings
from bot.delivery import reply_payload
from handlers.context import Rules
from handlers.export import export_workbook, monthly_file_name
from handlers.leaderboard import BoardSettings, unit_reply
from handlers.monthly import monthly_reply
from handlers.types import Document, Reply
from models.completeness import Deadline, completeness, reported_entries
from models.leaderboard import officials_of
from models.ledger import Report
from models.members import ChatLink, Member
from models.monthly import Month, month_tree
from models.outbox import enqueue, existing_keys, first_to_run
from models.processed import purge
from models.rollup import Rollup, rollup
from models.units import PROGRAMMES, Unit
from models.weeks import Week, this_week, week_just_ended

log = logging.getLogger(__name__)

# Up to this many distinct units are read subtree by subtree; more, and one pass over the
# whole tree is cheaper (bench/leaderboard.py).
SUBTREE_LIMIT = 20


class Jobs:
    """The weekly and monthly pushes, the reminder, and housekeeping. Each run uses one session and commits once."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], render: Callable[..., str],
                 layout: BoardSettings, tz: tzinfo, platforms: list[str],
                 clock: Callable[[], datetime], keep_answers_days: int = 30,
                 deadline: Deadline = Deadline(), silent_weeks: int = 2,
                 review_threshold: float = Rules.review_threshold) -> None:
        self.sessions, self.render, self.layout = sessions, render, layout
        self.deadline, self.silent_weeks = deadline, silent_weeks
        self.review_threshold = review_threshold  # official.review_threshold
        self.tz, self.platforms, self.clock = tz, platforms, clock
        self.keep_answers = timedelta(days=keep_answers_days)

    async def housekeeping(self, fire: datetime) -> int:
        """Delete the answers kept for messages older than the retention, and stale choices."""
        async with self.sessions() as session:
            deleted = await purge(fire - self.keep_answers, session=session)
            await session.commit()
        log.info("housekeeping: %d stored answer(s) deleted", deleted)
        return deleted

    async def leaderboard(self, fire: datetime) -> int:
        """The week just ended (before `fire`'s week) to every active linked group."""
        today = fire.astimezone(self.tz).date()
        week = week_just_ended(today)
        async with self.sessions() as session:
            if not await first_to_run(f"leaderboard:{week.label}", session=session):
                return 0  # another instance is running this week's push
            links = list(await session.exec(select(ChatLink).where(
                ChatLink.active, col(ChatLink.platform).in_(self.platforms))))
            added = await self.push(links, week, today, session=session)
            await session.commit()
        log.info("leaderboard %s: %d outbox row(s) added", week.label, added)
        return added

    async def push(self, links: list[ChatLink], week: Week, today: date, *,
                   session: AsyncSession) -> int:
        """Queue `week`'s board of each link's unit, or a hamlet's summary, written on
        `today` (the manual push shares this)."""
        keys = {link.id: f"leaderboard:{week.label}:{link.platform}:{link.chat_id}"
                for link in links}
        done = await existing_keys(list(keys.values()), session=session)
        todo = [link for link in links if keys[link.id] not in done]
        if not todo:
            return 0
        replies = await self._replies({link.unit_id for link in todo}, week, today,
                                      session=session)
        added = 0
        for link in todo:
            added += await enqueue(keys[link.id], link.platform, link.chat_id,
                                   reply_payload(replies[link.unit_id]), now=self.clock(),
                                   session=session)
        return added

    async def preview(self, unit_id: int, week: Week, today: date, *,
                      session: AsyncSession) -> Reply:
        """What `push` would queue for a group linked to the unit (a dry run)."""
        return (await self._replies({unit_id}, week, today, session=session))[unit_id]

    async def _replies(self, unit_ids: set[int], week: Week, today: date, *,
                       session: AsyncSession) -> dict[int, Reply]:
        roots = await _board_units(unit_ids, session=session)
        tree = await _tree(week, roots, session=session)
        done = await completeness(tree, week, deadline=self.deadline, tz=self.tz,
                                  session=session)
        official = await officials_of(tree, roots, session=session)
        # one chart per unit, drawn off the event loop
        return {uid: await asyncio.to_thread(unit_reply, tree, uid, self.layout, self.render,
                                             today, done, None, official)
                for uid in unit_ids}

    async def reminder(self, fire: datetime) -> int:
        """To each active staff member of a hamlet that has reported nothing (no count, no nil
        report, by anyone) this week so far."""
        today = fire.astimezone(self.tz).date()
        week = this_week(today)
        async with self.sessions() as session:
            if not await first_to_run(f"reminder:{week.label}", session=session):
                return 0
            reported = select(reported_entries(week.start, today).subquery().c.unit_id)
            rows = list(await session.exec(
                select(Member, Unit).join(Unit, Unit.id == Member.unit_id).where(
                    Member.active, Member.role == "staff", Unit.kind == "hamlet",
                    col(Member.platform).in_(self.platforms),
                    col(Member.unit_id).not_in(reported))))
            keys = {m.id: f"reminder:{week.label}:{m.platform}:{m.user_id}" for m, _ in rows}
            done = await existing_keys(list(keys.values()), session=session)
            rows = [(m, u) for m, u in rows if keys[m.id] not in done]
            added = 0
            if rows:
                tree = await _tree(week, {u.id for _, u in rows}, session=session)
                for member, unit in rows:
                    figures = tree.figures(unit.id)
                    text = self.render("reminder/nudge.j2", member=member, unit=unit, week=week,
                                       today=today, figures=[figures[p] for p in PROGRAMMES])
                    added += await enqueue(keys[member.id], member.platform, member.user_id,
                                           reply_payload(Reply(text)), now=self.clock(),
                                           session=session)
            if self.silent_weeks:
                added += await self.name_silent(week, today, session=session)
            await session.commit()
        log.info("reminder %s: %d outbox row(s) added", week.label, added)
        return added

    async def name_silent(self, week: Week, today: date, *, session: AsyncSession) -> int:
        """To each coordinator of a commune, privately: its staffed hamlets that have not
        reported for `silent_weeks` weeks running (this one so far included)."""
        since = week.start - timedelta(weeks=self.silent_weeks - 1)
        recent = select(reported_entries(since, today).subquery().c.unit_id)
        hamlets = list(await session.exec(
            select(Unit).join(Member, Member.unit_id == Unit.id).where(
                Member.active, Member.role == "staff", Unit.kind == "hamlet",
                col(Unit.id).not_in(recent)).distinct().order_by(Unit.name)))
        by_parent: dict[int, list[Unit]] = {}
        for hamlet in hamlets:
            by_parent.setdefault(hamlet.parent_id, []).append(hamlet)
        coordinators = list(await session.exec(select(Member).where(
            Member.active, Member.role == "coordinator",
            col(Member.platform).in_(self.platforms), col(Member.unit_id).in_(list(by_parent)))))
        keys = {m.id: f"silent:{week.label}:{m.platform}:{m.user_id}" for m in coordinators}
        done = await existing_keys(list(keys.values()), session=session)
        last = {uid: day for uid, _, day in await session.exec(
            reported_entries(date(1900, 1, 1), today).where(
                col(Report.unit_id).in_([h.id for h in hamlets])))}
        added = 0
        for member in (m for m in coordinators if keys[m.id] not in done):
            silent = [(h, last.get(h.id)) for h in by_parent[member.unit_id]]
            text = self.render("reminder/silent.j2", member=member, weeks=self.silent_weeks,
                               silent=silent)
            added += await enqueue(keys[member.id], member.platform, member.user_id,
                                   reply_payload(Reply(text)), now=self.clock(), session=session)
        return added

    async def monthly(self, fire: datetime) -> int:
        """The month just ended (before `fire`'s month) to every active linked commune or
        city group and, privately, to every active coordinator; the coordinators of a top
        unit also get the month's XLSX."""
        month = Month.containing(fire.astimezone(self.tz).date()).previous()
        async with self.sessions() as session:
            if not await first_to_run(f"monthly:{month.label}", session=session):
                return 0
            added = await self.push_monthly(month, session=session)
            await session.commit()
        log.info("monthly %s: %d outbox row(s) added", month.label, added)
        return added

    async def push_monthly(self, month: Month, *, session: AsyncSession) -> int:
        groups = await session.exec(select(ChatLink.platform, ChatLink.chat_id, Unit).join(
            Unit, Unit.id == ChatLink.unit_id).where(
            ChatLink.active, col(ChatLink.platform).in_(self.platforms), Unit.kind != "hamlet"))
        people = await session.exec(select(Member.platform, Member.user_id, Unit).join(
            Unit, Unit.id == Member.unit_id).where(
            Member.active, Member.role == "coordinator", col(Member.platform).in_(self.platforms)))
        # (key, platform, chat, unit, with the XLSX)
        todo = [(f"monthly:{month.label}:{platform}:{chat}", platform, chat, unit, file)
                for rows, file in ((groups, False), (people, True))
                for platform, chat, unit in rows]
        done = await existing_keys([t[0] for t in todo], session=session)
        todo = [t for t in todo if t[0] not in done]
        if not todo:
            return 0
        units = {t[3].id: t[3] for t in todo}
        tree = await month_tree(list(units.values()) if len(units) <= SUBTREE_LIMIT else None,
                                month, month.end, deadline=self.deadline, tz=self.tz,
                                review_threshold=self.review_threshold, session=session)
        replies: dict[tuple[int, bool], Reply] = {}
        added = 0
        for key, platform, chat, unit, file in todo:
            file = file and unit.parent_id is None  # the top unit's coordinators
            if (unit.id, file) not in replies:
                document = await self._monthly_file(unit, month, session=session) if file else None
                replies[unit.id, file] = monthly_reply(tree.report(unit.id), self.render, document)
            added += await enqueue(key, platform, chat, reply_payload(replies[unit.id, file]),
                                   now=self.clock(), session=session)
        return added

    async def _monthly_file(self, unit: Unit, month: Month, *, session: AsyncSession) -> Document:
        data = await export_workbook(unit, month.year, today=month.end, tz=self.tz,
                                     session=session, render=self.render, deadline=self.deadline,
                                     month=month, review_threshold=self.review_threshold)
        return Document(monthly_file_name(unit, month), data)


async def _tree(week: Week, unit_ids: set[int], *, session: AsyncSession) -> Rollup:
    """Figures for the given units: their subtrees, or the whole tree when there are many."""
    roots = None
    if len(unit_ids) <= SUBTREE_LIMIT:
        roots = list(await session.exec(select(Unit).where(col(Unit.id).in_(unit_ids))))
    return await rollup(roots, week.end, session=session)


async def _board_units(unit_ids: set[int], *, session: AsyncSession) -> set[int]:
    """The units whose boards hold the given ones': a hamlet's commune (it is ranked there),
    any other unit itself."""
    rows = await session.exec(select(Unit.id, Unit.kind, Unit.parent_id)
                              .where(col(Unit.id).in_(unit_ids)))
    return {parent if kind == "hamlet" and parent is not None else uid
            for uid, kind, parent in rows}


def latest_fire(trigger: CronTrigger, now: datetime, window: timedelta) -> datetime | None:
    """The last time `trigger` fired in (now - window, now], if any."""
    fire, found = trigger.get_next_fire_time(None, now - window), None
    while fire is not None and fire <= now:
        found = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return found


class Scheduler:
    """One AsyncIOScheduler for every platform; `start` also catches up missed runs."""

    def __init__(self, jobs: Jobs, schedule: ScheduleSettings, tz: tzinfo,
                 clock: Callable[[], datetime]) -> None:
        self.jobs, self.clock = jobs, clock
        self.grace = timedelta(seconds=schedule.misfire_grace_seconds)
        self.triggers = {
            "leaderboard": CronTrigger.from_crontab(schedule.leaderboard_cron, timezone=tz),
            "reminder": CronTrigger.from_crontab(schedule.reminder_cron, timezone=tz),
            "monthly": CronTrigger.from_crontab(schedule.monthly_report, timezone=tz),
            "housekeeping": CronTrigger.from_crontab(schedule.housekeeping_cron, timezone=tz)}
        self.scheduler = AsyncIOScheduler(timezone=tz)

    async def run_due(self, name: str) -> int:
        """Run `name` for its latest scheduled time within the grace; 0 when none."""
        # a minute of slack: the scheduler calls a moment after the scheduled time
        fire = latest_fire(self.triggers[name], self.clock(), self.grace + timedelta(minutes=1))
        if fire is None:
            return 0
        return await getattr(self.jobs, name)(fire)

    async def catch_up(self) -> dict[str, int]:
        return {name: await self.run_due(name) for name in self.triggers}

    async def start(self) -> None:
        await self.catch_up()
        for name, trigger in self.triggers.items():
            self.scheduler.add_job(self.run_due, trigger, args=[name], id=name,
                                   misfire_grace_time=int(self.grace.total_seconds()) or None,
                                   coalesce=True, max_instances=1)
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
