"""The one aiohttp server: webhooks of every platform, health, metrics, images and files.

Channels add their routes to the application before it starts. Each webhook checks its
platform's secret header before reading the body, then takes one of the server's update
slots (`update_slot`: when all are taken it answers 503 at once, so the platform delivers
again later instead of us queueing without bound) and reads the body within a deadline
(`read_body`). Bodies are capped in size; a connection that does not finish its request
headers in time is closed (aiohttp's keep-alive timer also runs before the first request).
"""
from __future__ import annotations

import asyncio
import logging
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

from aiohttp import web

from bot.app import App
from bot.config import WebSettings
from models.processed import ProcessedMessage

if TYPE_CHECKING:
    from bot.inbox import Inbox

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # an update is a few KB; refuse anything near a megabyte
HEALTH_TIMEOUT = 2.0
RETRY_AFTER_SECONDS = "5"


@dataclass
class UpdateSlots:
    """Webhook updates in flight on this server, and the most it takes at once."""
    limit: int
    body_timeout: float
    busy: int = 0


SLOTS = web.AppKey("update_slots", UpdateSlots)


async def write_probe(app: App) -> None:
    """Write a row and roll it back: a database that answers reads but refuses writes (a
    deleted or read-only SQLite file, a read-only PostgreSQL) is not healthy."""
    async with app.sessions() as session:
        session.add(ProcessedMessage(key=f"healthz:{secrets.token_hex(8)}", replies=[],
                                     created_at=app.clock()))
        await session.flush()
        await session.rollback()


def make_web_app(settings: WebSettings | None = None) -> web.Application:
    settings = settings or WebSettings()
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SLOTS] = UpdateSlots(settings.max_concurrent_updates, settings.body_timeout_seconds)
    return app


@contextmanager
def update_slot(request: web.Request) -> Iterator[None]:
    """Hold one update slot while the update is handled; 503 (with Retry-After) when none is
    free: the platform keeps the update and delivers it again (PLATFORMS.md B.5)."""
    slots = request.app[SLOTS]
    if slots.busy >= slots.limit:
        log.warning("webhook: %d updates in flight, the limit; answered 503", slots.busy)
        raise web.HTTPServiceUnavailable(headers={"Retry-After": RETRY_AFTER_SECONDS})
    slots.busy += 1
    try:
        yield
    finally:
        slots.busy -= 1


async def read_body(request: web.Request) -> bytes:
    """The request body, or 408 when the client sends it too slowly."""
    try:
        async with asyncio.timeout(request.app[SLOTS].body_timeout):
            return await request.read()
    except TimeoutError:
        raise web.HTTPRequestTimeout(headers={"Connection": "close"}) from None


async def start_web(app: web.Application, settings: WebSettings) -> web.AppRunner:
    # access logs would carry webhook paths; the keep-alive timeout also bounds how long a
    # connection may take to send its request headers (a slow-loris client is cut off)
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=settings.header_timeout_seconds,
                           lingering_time=settings.body_timeout_seconds)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    log.info("web server listening on %s:%d", settings.host, settings.port)
    return runner


def add_health_routes(web_app: web.Application, app: App,
                      channels: Callable[[], dict[str, bool]], inbox: Inbox | None = None) -> None:
    """`/healthz` (database writable, channels started) and `/metrics` (Prometheus)."""

    async def healthz(request: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(write_probe(app), HEALTH_TIMEOUT)
            database = "ok"
        except Exception as exc:  # any failure means unhealthy; say which kind
            database = f"unwritable ({type(exc).__name__})"
        running = channels()
        healthy = database == "ok" and all(running.values())
        body = {"status": "ok" if healthy else "unhealthy", "database": database,
                "channels": {name: "started" if up else "stopped" for name, up in running.items()}}
        if inbox is not None:
            body["inbox_waiting"] = inbox.waiting
        return web.json_response(body, status=200 if healthy else 503)

    async def metrics(request: web.Request) -> web.Response:
        async with app.sessions() as session:
            body = await app.metrics.render(session=session)
        return web.Response(body=body, content_type="text/plain", charset="utf-8")

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)
