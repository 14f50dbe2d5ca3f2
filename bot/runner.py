"""`hamletbot run`: the app, its channels and the web server, until SIGINT/SIGTERM."""
from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from pathlib import Path

from aiohttp import web

from bot.app import App, running_app
from bot.channels import Channel
from bot.config import Settings
from bot.dashboard import add_dashboard
from bot.delivery import DeliveryPolicy
from bot.inbox import Inbox, durable_handler
from bot.scheduler import Jobs, Scheduler
from bot.sender import Sender
from bot.web import add_health_routes, make_web_app, start_web

log = logging.getLogger(__name__)

# Each platform module exposes `create(app, web_app) -> Channel`; imported only when used,
# so a console-only run never loads python-telegram-bot.
CHANNEL_MODULES = {"telegram": "bot.telegram", "zalo": "bot.zalo"}


def make_channel(name: str, app: App, web_app: web.Application) -> Channel:
    return importlib.import_module(CHANNEL_MODULES[name]).create(app, web_app)


def delivery_policy(app: App, platforms: list[str]) -> DeliveryPolicy:
    """The one policy for failed sends, shared by live replies and the sender."""
    return DeliveryPolicy(sessions=app.sessions, render=app.render,
                          settings=app.settings.sender, clock=app.clock, platforms=platforms)


def make_pushes(app: App, channels: dict[str, Channel],
                policy: DeliveryPolicy | None = None) -> tuple[Scheduler, Sender]:
    """The scheduler (jobs write the outbox) and the sender (drains it) for these channels."""
    settings = app.settings
    jobs = Jobs(sessions=app.sessions, render=app.render, layout=app.boards, tz=app.tz,
                deadline=app.tools.rules.deadline, silent_weeks=settings.schedule.silent_weeks,
                platforms=list(channels), clock=app.clock, keep_answers_days=settings.schedule.keep_answers_days,
                review_threshold=app.tools.rules.review_threshold)
    scheduler = Scheduler(jobs, settings.schedule, app.tz, app.clock)
    sender = Sender(channels, sessions=app.sessions, render=app.render,
                    settings=settings.sender, clock=app.clock, metrics=app.metrics,
                    policy=policy or delivery_policy(app, list(channels)))
    return scheduler, sender


async def run_bot(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_app(settings) as app:
        web_app = make_web_app(settings.web)
        names = [n for n in settings.active_channels() if n != "console"]
        channels = [make_channel(name, app, web_app) for name in names]
        started: list[Channel] = []
        policy = delivery_policy(app, names)
        inbox = Inbox(Path(settings.inbox.path))
        await inbox.open()
        add_health_routes(web_app, app, lambda: {c.name: c in started for c in channels},
                          inbox)
        add_dashboard(web_app, app)
        web_runner = await start_web(web_app, settings.web)
        replaying = asyncio.create_task(inbox.run())
        try:
            for channel in channels:
                await channel.start(durable_handler(inbox, channel, app, policy))
                started.append(channel)
                log.info("channel %s started", channel.name)
            scheduler, sender = make_pushes(app, {c.name: c for c in started}, policy)
            await scheduler.start()
            delivering = asyncio.create_task(sender.run(stop))
            await stop.wait()
            log.info("stopping")
            scheduler.stop()
            await delivering
        finally:
            for channel in reversed(started):
                await channel.stop()
            replaying.cancel()
            await asyncio.gather(replaying, return_exceptions=True)
            await web_runner.cleanup()
            await inbox.close()
