"""`hamletbot push leaderboard` (a manual push, or a preview) and `hamletbot outbox status`."""
from __future__ import annotations

import asyncio
from pathlib import Path

import click
from sqlmodel import select

from bot.app import running_app
from bot.cli_settings import settings_of, unit_or_fail
from bot.scheduler import Jobs
from models.leaderboard import Week
from models.members import ChatLink
from models.weeks import week_just_ended


@click.group()
def push() -> None:
    """Push a scheduled message now."""


@push.command("leaderboard")
@click.option("--unit", "unit_code", required=True, help="Unit code, e.g. LM.")
@click.option("--week", "week_label", help="ISO week, e.g. 2026-W47. Default: the week just ended.")
@click.option("--dry-run", is_flag=True, help="Only print the message; queue nothing.")
@click.pass_context
def push_leaderboard(ctx: click.Context, unit_code: str, week_label: str | None,
                     dry_run: bool) -> None:
    """Queue the unit's leaderboard for every group linked to it (the sender of a running
    bot delivers it); with --dry-run, print it here instead."""
    settings = settings_of(ctx)

    async def main() -> None:
        async with running_app(settings) as app, app.sessions() as session:
            unit = await unit_or_fail(unit_code, session=session)
            today = app.clock().astimezone(app.tz).date()
            try:
                week = Week.parse(week_label) if week_label else week_just_ended(today)
            except ValueError as exc:
                raise click.ClickException(str(exc)) from None
            jobs = Jobs(sessions=app.sessions, render=app.render, layout=app.boards,
                        tz=app.tz, platforms=[], clock=app.clock,
                        deadline=app.tools.rules.deadline)
            if dry_run:
                reply = await jobs.preview(unit.id, week, today, session=session)
                click.echo(reply.text)
                chart = "none"
                if reply.image:  # saved in the current directory, so it can be opened
                    path = Path.cwd() / f"leaderboard-{unit.code}-{week.label}.png"
                    path.write_bytes(reply.image)
                    chart = str(path)
                click.echo(f"\n[chart: {chart}; week {week.label}; dry run, nothing queued]")
                return
            links = list(await session.exec(select(ChatLink).where(
                ChatLink.unit_id == unit.id, ChatLink.active)))
            added = await jobs.push(links, week, today, session=session)
            await session.commit()
            click.echo(f"Queued {added} message(s) for {len(links)} linked group(s) of "
                       f"{unit.code}, week {week.label} (already queued: {len(links) - added}).")

    asyncio.run(main())


@click.group()
def outbox() -> None:
    """The queue of outgoing messages."""


@outbox.command("status")
@click.pass_context
def outbox_status_command(ctx: click.Context) -> None:
    """Counts per platform and status, the oldest pending message, the latest failures."""
    from models.outbox import outbox_status

    settings = settings_of(ctx)

    async def main() -> dict:
        async with running_app(settings) as app, app.sessions() as session:
            return await outbox_status(session=session)

    report = asyncio.run(main())
    if not report["counts"]:
        click.echo("The outbox is empty.")
    for (platform, status), count in sorted(report["counts"].items()):
        click.echo(f"{platform:10} {status:8} {count}")
    if report["oldest_pending"]:
        click.echo(f"oldest pending since {report['oldest_pending']:%Y-%m-%d %H:%M} UTC")
    if report["failed"]:
        click.echo("\nlatest failed (key, chat, attempts, last error):")
        for row in report["failed"]:
            click.echo(f"  {row.key}  {row.platform}:{row.chat_id}  {row.attempts}  "
                       f"{row.last_error or ''}")
