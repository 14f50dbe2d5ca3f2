"""`hamletbot token create|list|revoke`: admins' tokens for the JSON feed (/api/v1/...).

A token is shown once and stored only hashed; a revoked token, or one whose admin left or
is no longer an admin, opens nothing.
"""
from __future__ import annotations

import asyncio

import click

from bot.app import running_app
from bot.cli_settings import settings_of
from models.members import member_of
from models.web_access import create_token, list_tokens, revoke_token


def _run(ctx: click.Context, work):
    async def main():
        async with running_app(settings_of(ctx)) as app, app.sessions() as session:
            result = await work(app, session)
            await session.commit()
            return result

    return asyncio.run(main())


@click.group()
def token() -> None:
    """API tokens for the JSON feed (Authorization: Bearer TOKEN); admins only."""


@token.command("create")
@click.option("--admin", "who", required=True,
              help="The admin who owns it, as PLATFORM:USER_ID, e.g. telegram:123456789.")
@click.option("--label", required=True, help="What it is for, e.g. 'city data portal'.")
@click.pass_context
def token_create(ctx: click.Context, who: str, label: str) -> None:
    """Create a token; it is printed once and stored only hashed."""
    platform, _, user_id = who.partition(":")

    async def work(app, session):
        member = await member_of(platform, user_id, session=session)
        if member is None or not member.active or member.role != "admin":
            raise click.ClickException(f"{who} is not an active admin")
        return await create_token(member, label[:100], now=app.clock(), session=session)

    secret = _run(ctx, work)
    click.echo(f"API token for {who} ({label[:100]}), shown once:\n{secret}")
    click.echo("Use it as: Authorization: Bearer <token>")


@token.command("list")
@click.pass_context
def token_list(ctx: click.Context) -> None:
    """Every token: id, owner, label, created, revoked."""
    async def work(app, session):
        return await list_tokens(session=session)

    for row, member in _run(ctx, work):
        state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
        click.echo(f"{row.id}\t{member.platform}:{member.user_id}\t{row.label}\t"
                   f"created {row.created_at:%Y-%m-%d %H:%M}\t{state}")


@token.command("revoke")
@click.argument("token_id", type=int)
@click.pass_context
def token_revoke(ctx: click.Context, token_id: int) -> None:
    """Revoke the token with this id (see `hamletbot token list`)."""
    async def work(app, session):
        return await revoke_token(token_id, now=app.clock(), session=session)

    if not _run(ctx, work):
        raise click.ClickException(f"no active token with id {token_id}")
    click.echo(f"Revoked token {token_id}.")
