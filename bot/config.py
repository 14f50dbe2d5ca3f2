"""Settings: one validated object, built in main and passed down.

Values come from a TOML file (config.example.toml documents every key); with no file the
embedded defaults run the bot on a local SQLite file with the console channel. Secrets are
never in the file: the file names environment variables that hold them.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

# Values copied from documentation that must never reach production.
PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "your-token-here", "token", "secret",
                       "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11", "xxx"}


class ConfigError(Exception):
    """A bad configuration; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(_Section):
    url: str = "sqlite+aiosqlite:///hamletbot.db"
    # How a SQLite database is driven: "inline" calls sqlite3 on the event loop (long
    # statements and WAL checkpoints in a thread); "aiosqlite" hands every call to a thread.
    sqlite_driver: Literal["inline", "aiosqlite"] = "inline"

    @field_validator("url")
    @classmethod
    def _driver(cls, v: str) -> str:
        if not v.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return v


class BotSettings(_Section):
    timezone: str = "Asia/Ho_Chi_Minh"
    channels: list[Literal["console", "telegram", "zalo"]] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v

    @property
    def tz(self) -> ZoneInfo:
        """The local time zone: dates, weeks and schedules are reckoned in it."""
        return ZoneInfo(self.timezone)


class ReportingSettings(_Section):
    max_per_report: int = Field(500, ge=1, le=100_000)
    confirm_above: int = Field(50, ge=1)
    undo_hours: int = Field(48, ge=1, le=24 * 30)
    max_text_length: int = Field(1000, ge=50)
    # A hamlet's first report (or nil report) of a week counts as on time up to this local
    # weekday and time of the week.
    weekly_deadline: str = "fri 17:00"

    @field_validator("weekly_deadline")
    @classmethod
    def _deadline(cls, v: str) -> str:
        from models.completeness import Deadline
        Deadline.parse(v)  # raises ValueError on a bad spec
        return v

    @model_validator(mode="after")
    def _order(self) -> "ReportingSettings":
        if self.confirm_above > self.max_per_report:
            raise ValueError("confirm_above must not exceed max_per_report")
        return self


class LimitSettings(_Section):
    """Abuse limits. Per instance: each running instance counts on its own."""
    messages_per_minute: int = Field(20, ge=1, le=10_000)  # per user, over a sliding minute
    # wrong invite codes per user in an hour; stored in the database, so shared by instances
    join_attempts_per_hour: int = Field(5, ge=1, le=1000)


class ImportSettings(_Section):
    """Caps on `hamletbot ... import` files, checked before a row is read."""
    max_file_mb: int = Field(10, ge=1, le=1000)  # for XLSX: the unpacked size
    max_rows: int = Field(20_000, ge=1, le=1_000_000)  # non-empty rows below the header


class PlatformSettings(_Section):
    token_env: str
    mode: Literal["polling", "webhook"] = "polling"
    webhook_secret_env: str = ""
    base_url: str = ""

    def token(self) -> str | None:
        return _secret(self.token_env)

    def webhook_secret(self) -> str | None:
        return _secret(self.webhook_secret_env) if self.webhook_secret_env else None


class TelegramSettings(PlatformSettings):
    """Every key optional: a `[telegram]` table with only `base_url` keeps the other defaults."""
    token_env: str = "HAMLETBOT_TELEGRAM_TOKEN"
    webhook_secret_env: str = "HAMLETBOT_TELEGRAM_SECRET"


class ZaloSettings(PlatformSettings):
    token_env: str = "HAMLETBOT_ZALO_TOKEN"
    webhook_secret_env: str = "HAMLETBOT_ZALO_SECRET"
    base_url: str = "https://bot-api.zaloplatforms.com"


class WebSettings(_Section):
    """The aiohttp server for webhooks (and served images); only started when needed."""
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    # The HTTPS address the platforms reach this server at, e.g. https://bot.example.vn
    public_url: str = ""
    # Webhook requests handled at once (both platforms); past it the server answers 503 and
    # the platform delivers again later. Each request is answered after its transaction.
    max_concurrent_updates: int = Field(40, ge=1, le=10_000)
    # A connection must send its request headers (and a webhook its body) within these.
    header_timeout_seconds: float = Field(10.0, gt=0, le=300)
    body_timeout_seconds: float = Field(10.0, gt=0, le=300)
    # Signs the web dashboard's session cookies; unset, a random key per start (sessions
    # then end at a restart and are not shared between instances).
    session_secret_env: str = "HAMLETBOT_WEB_SECRET"

    def session_secret(self) -> str | None:
        return _secret(self.session_secret_env)

    @field_validator("public_url")
    @classmethod
    def _https(cls, v: str) -> str:
        if v and not v.startswith("https://"):
            raise ValueError("must start with https:// (platforms only call HTTPS webhooks)")
        return v.rstrip("/")


class InboxSettings(_Section):
    """The durable inbox (bot/inbox.py): messages acknowledged while the database was away
    wait in this journal file until it is back. One file per running instance."""
    path: str = "hamletbot-inbox.jsonl"


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


class ScheduleSettings(_Section):
    """Scheduled pushes: crontab lines in bot.timezone (minute hour day month weekday)."""
    leaderboard_cron: str = "30 7 * * mon"  # the week just ended
    reminder_cron: str = "0 16 * * fri"  # this week, to staff who reported nothing
    monthly_report: str = "0 8 1 * *"  # the month just ended, to groups and coordinators
    # With the reminder, each commune coordinator is told privately of its hamlets silent
    # this many weeks running (this one included); 0: never.
    silent_weeks: int = Field(2, ge=0, le=52)
    misfire_grace_seconds: int = Field(6 * 3600, ge=0)
    top_n: int = Field(5, ge=1, le=50)
    bottom_n: int = Field(5, ge=1, le=50)
    full_max: int = Field(12, ge=1, le=100)
    # Housekeeping: answers kept for redelivered messages, and stale choices, are deleted
    # once older than keep_answers_days (platforms redeliver within a day or so).
    housekeeping_cron: str = "0 3 * * *"
    keep_answers_days: int = Field(30, ge=2, le=3650)

    @field_validator("leaderboard_cron", "reminder_cron", "monthly_report", "housekeeping_cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        from apscheduler.triggers.cron import CronTrigger
        CronTrigger.from_crontab(v)  # raises ValueError on a bad line
        return v


class OfficialSettings(_Section):
    """BHXH's official figures (`hamletbot official import`, models/official.py)."""
    # A unit is flagged for review when its reported gain between its last two snapshots
    # differs from the official change by more than this share of that change.
    review_threshold: float = Field(0.2, ge=0, le=100)


class LeaderboardSettings(_Section):
    # What rankings compare with the target: the reported figure, or BHXH's official one
    # where a unit has it (the reported one otherwise).
    rank_by: Literal["reported", "official"] = "reported"


class SenderSettings(_Section):
    """The outbox sender (rate limits per platform are in bot/sender.py, from PLATFORMS.md)."""
    max_attempts: int = Field(8, ge=1, le=100)
    base_delay_seconds: float = Field(5.0, gt=0)
    max_delay_seconds: float = Field(3600.0, gt=0)
    send_timeout_seconds: float = Field(60.0, gt=0)
    poll_seconds: float = Field(2.0, gt=0)


class Settings(_Section):
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    bot: BotSettings = Field(default_factory=BotSettings)
    reporting: ReportingSettings = Field(default_factory=ReportingSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    imports: ImportSettings = Field(default_factory=ImportSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    zalo: ZaloSettings = Field(default_factory=ZaloSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    inbox: InboxSettings = Field(default_factory=InboxSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    sender: SenderSettings = Field(default_factory=SenderSettings)
    official: OfficialSettings = Field(default_factory=OfficialSettings)
    leaderboard: LeaderboardSettings = Field(default_factory=LeaderboardSettings)

    def active_channels(self) -> list[str]:
        """Configured channels, or: every platform that has a token, else the console."""
        if self.bot.channels:
            return list(self.bot.channels)
        found = [name for name in ("telegram", "zalo") if getattr(self, name).token()]
        return found or ["console"]

    def check_secrets(self) -> None:
        """Each channel in use needs its token; placeholders are refused."""
        for name in self.active_channels():
            if name == "console":
                continue
            platform: PlatformSettings = getattr(self, name)
            if not platform.token():
                raise ConfigError(f"{name}.token_env: environment variable "
                                  f"{platform.token_env} is not set")
            if platform.mode == "webhook" and not platform.webhook_secret():
                raise ConfigError(f"{name}.webhook_secret_env: environment variable "
                                  f"{platform.webhook_secret_env or '(unset)'} is not set")


def _secret(env_name: str) -> str | None:
    value = os.environ.get(env_name, "")
    if value.strip().lower() in PLACEHOLDER_SECRETS:
        if value:
            raise ConfigError(f"environment variable {env_name} holds an example "
                              "placeholder; put the real secret there")
        return None
    return value


def load_settings(path: Path | None) -> Settings:
    """Read and validate; errors name the bad key (e.g. `reporting.undo_hours`)."""
    data: dict = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"invalid configuration: {problems}") from None
