"""What every `hamletbot` subcommand shares: the settings named on the command line, and a
unit looked up by code. Its own module, so bot/cli.py and the command groups it adds
(bot/push_cli.py) both import it and not each other."""
from __future__ import annotations

import os
from pathlib import Path

import click

from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure
from models.units import Unit, unit_by_code

DEFAULT_CONFIG = Path("config.toml")


def load(config: Path | None) -> Settings:
    """--config, else $HAMLETBOT_CONFIG, else ./config.toml if present, else the defaults."""
    path = config or (Path(os.environ["HAMLETBOT_CONFIG"]) if os.environ.get("HAMLETBOT_CONFIG")
                      else DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    try:
        settings = load_settings(path)
        settings.check_secrets()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    configure(settings.logging)
    return settings


def settings_of(ctx: click.Context) -> Settings:
    """The settings of the `--config` given to `hamletbot` (the root command)."""
    return load(ctx.find_root().obj)


async def unit_or_fail(code: str, *, session) -> Unit:
    """The unit with this code (any case), or a clear error naming the code."""
    unit = await unit_by_code(code.upper(), session=session)
    if unit is None:
        raise click.ClickException(f"no unit with code {code}")
    return unit
