"""Images (leaderboard charts) served from the bot's own web server, for platforms that
only take a photo by URL (Zalo's sendPhoto).

Each image gets an unguessable URL `{web.public_url}/img/<token>.png` that expires after
`ttl`. The bytes live in this process's memory, not in the database: Zalo downloads the
URL while our sendPhoto call waits for its answer, so the image is needed for seconds,
from the instance that sent it. With several instances behind one public URL, route
`/img/` to the instance that published it (or run one); a fetch that lands elsewhere gets
404, Zalo's sendPhoto fails, and the outbox retries the reply (which publishes it again).
"""
from __future__ import annotations

import logging
import secrets
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Callable

from aiohttp import web

log = logging.getLogger(__name__)

ROUTE = "/img/{token}.png"
DEFAULT_TTL = timedelta(hours=1)
MAX_BYTES = 64 * 1024 * 1024  # oldest images are dropped beyond this


class ImageStore:
    def __init__(self, public_url: str, *, clock: Callable[[], datetime],
                 ttl: timedelta = DEFAULT_TTL, max_bytes: int = MAX_BYTES) -> None:
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self.ttl = ttl
        self.max_bytes = max_bytes
        self._images: OrderedDict[str, tuple[bytes, datetime]] = OrderedDict()
        self._bytes = 0

    @property
    def enabled(self) -> bool:
        """False without a public URL: nobody outside could fetch the image."""
        return bool(self.public_url)

    def add_routes(self, web_app: web.Application) -> None:
        web_app.router.add_get(ROUTE, self.serve)

    def publish(self, png: bytes) -> str | None:
        """The URL the image can be fetched at until it expires; None when not enabled."""
        if not self.enabled:
            return None
        self._expire()
        token = secrets.token_urlsafe(24)
        self._images[token] = (png, self.clock() + self.ttl)
        self._bytes += len(png)
        while self._bytes > self.max_bytes and len(self._images) > 1:
            self._drop(next(iter(self._images)))
        return f"{self.public_url}/img/{token}.png"

    async def serve(self, request: web.Request) -> web.Response:
        self._expire()
        found = self._images.get(request.match_info["token"])
        if found is None:
            raise web.HTTPNotFound()
        return web.Response(body=found[0], content_type="image/png",
                            headers={"Cache-Control": "private, max-age=3600"})

    def _expire(self) -> None:
        now = self.clock()
        for token in [t for t, (_, until) in self._images.items() if until <= now]:
            self._drop(token)

    def _drop(self, token: str) -> None:
        png, _ = self._images.pop(token)
        self._bytes -= len(png)
