"""The `hamletbot` command line: run the bot, try it on the console, import data, make invites."""
from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import click

from bot.app import running_app
from bot.cli_settings import settings_of, unit_or_fail
from bot.config import ConfigError
from bot.faq_cli import ask, faq_eval, make_faq_group
from bot.faq_train import faq_train
from bot.push_cli import outbox, push
from bot.token_cli import token


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              help="Config file (TOML). Default: $HAMLETBOT_CONFIG, then ./config.toml, "
                   "then built-in defaults (SQLite file, console).")
@click.pass_context
def cli(ctx: click.Context, config: Path | None) -> None:
    """hamletbot: reporting, progress and benefit answers for hamlet outreach."""
    ctx.obj = config


@cli.command()
@click.option("--demo", is_flag=True, help="Load the demo data (once) and sign in as a demo user.")
@click.option("--as", "who", type=click.Choice(["staff", "coordinator", "admin", "resident"]),
              default="staff", show_default=True,
              help="Which demo user to be (with --demo); a resident has no role.")
@click.pass_context
def console(ctx: click.Context, demo: bool, who: str) -> None:
    """Talk to the bot in this terminal (or through a pipe), no token needed."""
    from bot.console import ConsoleChannel
    from bot.delivery import message_handler
    from bot.demo import (DEMO_TRY, DEMO_USERS, demo_invite, demo_member, load_demo,
                          load_demo_history)

    settings = settings_of(ctx)

    async def main() -> None:
        async with running_app(settings) as app:
            user_id, name = "console-user", "Người dùng console"
            if demo:
                async with app.sessions() as session:
                    now = app.clock()
                    loaded = await load_demo(now.astimezone(app.tz).date(), session=session)
                    if loaded:
                        await load_demo_history(now, app.tz, session=session)
                    member = await demo_member(who, session=session)
                    code = await demo_invite(now, session=session)
                    await session.commit()
                user_id, name = DEMO_USERS[who][:2]
                where = f", {DEMO_USERS[who][3]}" if DEMO_USERS[who][3] else ""
                click.echo(("Loaded the demo data. " if loaded else "") +
                           f"You are {name} ({who}{where}). Try {DEMO_TRY[who]}; "
                           f"an unused invite code for /thamgia: {code}\n", err=True)
            channel = ConsoleChannel(user_id=user_id, display_name=name, clock=app.clock)
            # One trusted local user: no flood limit (a pipe may send many lines at once),
            # and log lines below errors would interleave with the conversation.
            logging.getLogger().setLevel(logging.ERROR)
            await channel.start(message_handler(channel, app, limited=False))

    asyncio.run(main())


@cli.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the bot on the configured channels (the console when no token is set)."""
    from bot.runner import run_bot

    settings = settings_of(ctx)
    if settings.active_channels() == ["console"]:
        ctx.invoke(console)
        return
    try:
        asyncio.run(run_bot(settings))
    except ConfigError as exc:  # found at start-up (e.g. the inbox file is in use)
        raise click.ClickException(str(exc)) from None


def _import_command(kind: str) -> click.Command:
    @click.command(name="import",
                   help=f"Import {kind} from a CSV or XLSX file: all rows or none.")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.pass_context
    def command(ctx: click.Context, file: Path, **extra: str) -> None:
        from bot.importer import IMPORTERS, ImportFailed, read_rows

        settings = settings_of(ctx)

        async def main() -> int:
            rows = read_rows(file, kind, settings.imports)  # capped: refused before the DB
            async with running_app(settings) as app, app.sessions() as session:
                with click.progressbar(length=len(rows.rows), label=f"Importing {kind}",
                                       file=sys.stderr) as bar:
                    count = await IMPORTERS[kind](rows, session=session,
                                                  tick=lambda: bar.update(1), **extra)
                await session.commit()
                return count

        try:
            count = asyncio.run(main())
        except ImportFailed as exc:
            for line in exc.errors:
                click.echo(line, err=True)
            raise click.ClickException(str(exc)) from None
        click.echo(f"Imported {count} {kind} row(s) from {file}.")

    if kind == "official":  # who imported the snapshots is kept with them
        command = click.option("--by", default=getpass.getuser, show_default="the OS user",
                               help="Who imports (a name kept with the snapshots).")(command)
    return command


for _kind, _help in (("units", "Units: code,name,kind,parent_code (CSV or XLSX)."),
                     ("targets", "Targets: unit_code,programme,year,value (CSV or XLSX)."),
                     ("baselines", "Counts achieved before the bot: "
                                   "unit_code,programme,date,count (CSV or XLSX)."),
                     ("official", "BHXH's official participants: "
                                  "unit_code,programme,as_of,participants (CSV or XLSX)."),
                     ("population", "Units' populations and health insurance coverage "
                                    "targets (whole %): unit_code,population,coverage_target "
                                    "(CSV or XLSX).")):
    _group = click.Group(name=_kind, help=_help)
    _group.add_command(_import_command(_kind))
    cli.add_command(_group)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(["units", "targets", "baselines", "official",
                                           "population"]),
              help="Which import the file is for. Default: from the file name "
                   "(units.xlsx, targets.csv, ...).")
def template(file: Path, kind: str | None) -> None:
    """Write an import template (header and an example) as XLSX, or CSV for other names."""
    from bot.import_template import write_template
    from bot.importer import COLUMNS

    kind = kind or next((k for k in COLUMNS if file.name.lower().startswith(k)), None)
    if kind is None:
        raise click.ClickException("name the file units.xlsx, targets.xlsx, baselines.xlsx, "
                                   "official.xlsx or population.xlsx, or give --kind")
    write_template(file, kind)
    click.echo(f"Wrote a {kind} template to {file}: fill in the rows below the header "
               f"(replace the example) and run: hamletbot {kind} import {file}")


@cli.command()
@click.option("--unit", "unit_code", required=True, help="Unit code, e.g. LM: the unit and "
              "every unit under it.")
@click.option("--year", type=click.IntRange(2000, 2100),
              help="Calendar year. Default: this year (figures as of today).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Output file. Default: tien-do-<UNIT>-<YEAR>.xlsx here.")
@click.pass_context
def export(ctx: click.Context, unit_code: str, year: int | None, out: Path | None) -> None:
    """Export a unit's progress and ledger as XLSX (the file /xuat sends)."""
    from handlers.export import export_workbook, file_name

    settings = settings_of(ctx)

    async def main() -> Path:
        async with running_app(settings) as app, app.sessions() as session:
            unit = await unit_or_fail(unit_code, session=session)
            today = app.clock().astimezone(app.tz).date()
            wanted = year or today.year
            data = await export_workbook(unit, wanted, today=today, tz=app.tz,
                                         session=session, render=app.render,
                                         deadline=app.tools.rules.deadline)
            path = out or Path(file_name(unit, wanted))
            path.write_bytes(data)
            return path

    click.echo(f"Wrote {asyncio.run(main())}")


@asynccontextmanager
async def _faq_session(ctx: click.Context):
    async with running_app(settings_of(ctx)) as app, app.sessions() as session:
        yield session


cli.add_command(faq_eval)
cli.add_command(ask)
cli.add_command(faq_train)
cli.add_command(make_faq_group(_faq_session))


@cli.group()
def invite() -> None:
    """Invite codes for staff and coordinators."""


@invite.command("create")
@click.option("--unit", "unit_code", required=True, help="Unit code, e.g. LM-KV1.")
@click.option("--role", type=click.Choice(["staff", "coordinator", "admin"]), required=True,
              help="staff: a hamlet's reporter; coordinator: a unit's steering group; "
                   "admin: everywhere (the city's IT or BHXH office).")
@click.option("--days", type=click.IntRange(1, 90), default=14, show_default=True,
              help="Days until the code expires.")
@click.option("--uses", type=click.IntRange(1, 500), default=1, show_default=True,
              help="How many people may join with it.")
@click.pass_context
def invite_create(ctx: click.Context, unit_code: str, role: str, days: int, uses: int) -> None:
    """Create an invite code; it is shown once and stored only hashed."""
    from handlers.onboarding import create_invite

    settings = settings_of(ctx)

    async def main() -> str:
        async with running_app(settings) as app, app.sessions() as session:
            unit = await unit_or_fail(unit_code, session=session)
            if role == "staff" and unit.kind != "hamlet":
                raise click.ClickException("staff invites are for hamlets; "
                                           f"{unit.code} is a {unit.kind}")
            code = await create_invite(unit, role, now=app.clock(), days=days, uses=uses,
                                       session=session)
            await session.commit()
            return code

    code = asyncio.run(main())
    click.echo(f"Invite for {role} of {unit_code.upper()} (valid {days} days, {uses} use(s)): {code}")
    click.echo(f"They join by sending the bot: /thamgia {code}")


@cli.group()
def zalo() -> None:
    """Zalo Bot Platform: point Zalo's webhook at this bot."""


@zalo.command("set-webhook")
@click.option("--delete", is_flag=True, help="Remove the webhook instead (to use polling).")
@click.pass_context
def zalo_set_webhook(ctx: click.Context, delete: bool) -> None:
    """Register {web.public_url}/zalo/webhook with the secret from zalo.webhook_secret_env."""
    from bot.channels import PlatformError
    from bot.zalo import set_webhook

    try:
        click.echo(asyncio.run(set_webhook(settings_of(ctx), delete=delete)))
    except (ConfigError, PlatformError) as exc:
        raise click.ClickException(str(exc)) from None


@cli.group()
def telegram() -> None:
    """Telegram: point Telegram's webhook at this bot."""


@telegram.command("set-webhook")
@click.pass_context
def telegram_set_webhook(ctx: click.Context) -> None:
    """Register {web.public_url}/telegram/webhook with the secret from telegram.webhook_secret_env."""
    from bot.channels import PlatformError
    from bot.telegram import set_webhook

    try:
        click.echo(f"Telegram webhook set: {asyncio.run(set_webhook(settings_of(ctx)))}")
    except (ConfigError, PlatformError) as exc:
        raise click.ClickException(str(exc)) from None


cli.add_command(push)
cli.add_command(outbox)
cli.add_command(token)


def main() -> None:
    cli(prog_name="hamletbot")
