"""The one aiohttp server: webhooks of every platform (and, later, health, metrics, images).

Channels add their routes to the application before it starts; each webhook checks its
platform's secret header before reading the body, and bodies are capped in size.
"""
from __future__ import annotations

import asyncio
import logging

from typing import Callable

from aiohttp import web
from sqlalchemy import text

from bot.app import App
from bot.config import WebSettings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # an update is a few KB; refuse anything near a megabyte
HEALTH_TIMEOUT = 2.0


def make_web_app() -> web.Application:
    return web.Application(client_max_size=MAX_BODY_BYTES)


async def start_web(app: web.Application, settings: WebSettings) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)  # access logs would carry webhook paths
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    log.info("web server listening on %s:%d", settings.host, settings.port)
    return runner


def add_health_routes(web_app: web.Application, app: App,
                      channels: Callable[[], dict[str, bool]]) -> None:
    """`/healthz` (database reachable, channels started) and `/metrics` (Prometheus)."""

    async def healthz(request: web.Request) -> web.Response:
        try:
            async with app.sessions() as session:
                await asyncio.wait_for(session.exec(text("SELECT 1")), HEALTH_TIMEOUT)
            database = "ok"
        except Exception as exc:  # any failure means unhealthy; say which kind
            database = f"unreachable ({type(exc).__name__})"
        running = channels()
        healthy = database == "ok" and all(running.values())
        body = {"status": "ok" if healthy else "unhealthy", "database": database,
                "channels": {name: "started" if up else "stopped" for name, up in running.items()}}
        return web.json_response(body, status=200 if healthy else 503)

    async def metrics(request: web.Request) -> web.Response:
        async with app.sessions() as session:
            body = await app.dispatcher.metrics.render(session=session)
        return web.Response(body=body, content_type="text/plain", charset="utf-8")

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)
