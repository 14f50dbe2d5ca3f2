"""The one aiohttp server: webhooks of every platform (and, later, health, metrics, images).

Channels add their routes to the application before it starts; each webhook checks its
platform's secret header before reading the body, and bodies are capped in size.
"""
from __future__ import annotations

import logging

from aiohttp import web

from bot.config import WebSettings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # an update is a few KB; refuse anything near a megabyte


def make_web_app() -> web.Application:
    return web.Application(client_max_size=MAX_BODY_BYTES)


async def start_web(app: web.Application, settings: WebSettings) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)  # access logs would carry webhook paths
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    log.info("web server listening on %s:%d", settings.host, settings.port)
    return runner
