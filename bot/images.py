"""Images (leaderboard charts) and files (XLSX exports) served from the bot's own web
server, for platforms that only take a photo by URL and have no file upload (Zalo).

Each one gets an unguessable URL (`{web.public_url}/img/<token>.png`, or
`{web.public_url}/file/<token>/<name>` for a file) that expires after `ttl`. The bytes live
in this process's memory, not in the database: Zalo downloads a photo while our sendPhoto
call waits for its answer, so an image is needed for seconds, from the instance that sent
it; a file link is opened by a person, within the hour. With several instances behind one
public URL, route `/img/` and `/file/` to the instance that published them (or run one); a
fetch that lands elsewhere gets 404, Zalo's sendPhoto fails, and the outbox retries the
reply (which publishes it again).
"""
from __future__ import annotations

import logging
import re
import secrets
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Callable
from urllib.parse import quote

from aiohttp import web

log = logging.getLogger(__name__)

ROUTE = "/img/{token}.png"
FILE_ROUTE = "/file/{token}/{name}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_TTL = timedelta(hours=1)
MAX_BYTES = 64 * 1024 * 1024  # oldest items are dropped beyond this


class ImageStore:
    def __init__(self, public_url: str, *, clock: Callable[[], datetime],
                 ttl: timedelta = DEFAULT_TTL, max_bytes: int = MAX_BYTES) -> None:
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self.ttl = ttl
        self.max_bytes = max_bytes
        # token → (bytes, content type, expiry, file name or "")
        self._items: OrderedDict[str, tuple[bytes, str, datetime, str]] = OrderedDict()
        self._bytes = 0

    @property
    def enabled(self) -> bool:
        """False without a public URL: nobody outside could fetch the image."""
        return bool(self.public_url)

    def add_routes(self, web_app: web.Application) -> None:
        web_app.router.add_get(ROUTE, self.serve)
        web_app.router.add_get(FILE_ROUTE, self.serve)

    def publish(self, png: bytes) -> str | None:
        """The URL the image can be fetched at until it expires; None when not enabled."""
        token = self._add(png, "image/png")
        return f"{self.public_url}/img/{token}.png" if token else None

    def publish_file(self, name: str, data: bytes) -> str | None:
        """The download URL of a file (an XLSX export) until it expires; None when not enabled.
        The file is served under this name only (another name in the URL gets 404)."""
        token = self._add(data, XLSX if name.endswith(".xlsx") else "application/octet-stream",
                          name)
        return f"{self.public_url}/file/{token}/{quote(name, safe='')}" if token else None

    def _add(self, data: bytes, content_type: str, name: str = "") -> str | None:
        if not self.enabled:
            return None
        self._expire()
        token = secrets.token_urlsafe(24)
        self._items[token] = (data, content_type, self.clock() + self.ttl, name)
        self._bytes += len(data)
        while self._bytes > self.max_bytes and len(self._items) > 1:
            self._drop(next(iter(self._items)))
        return token

    async def serve(self, request: web.Request) -> web.Response:
        self._expire()
        found = self._items.get(request.match_info["token"])
        if found is None or request.match_info.get("name", "") != found[3]:
            raise web.HTTPNotFound()
        data, content_type, _, name = found
        headers = {"Cache-Control": "private, max-age=3600"}
        if name:
            headers["Content-Disposition"] = attachment(name)
        return web.Response(body=data, content_type=content_type, headers=headers)

    def _expire(self) -> None:
        now = self.clock()
        for token in [t for t, (_, _, until, _) in self._items.items() if until <= now]:
            self._drop(token)

    def _drop(self, token: str) -> None:
        data = self._items.pop(token)[0]
        self._bytes -= len(data)


def attachment(name: str) -> str:
    """Content-Disposition for a download (RFC 6266): the exact name as RFC 5987
    `filename*`, and a plain ASCII `filename` for old clients, so no character of the name
    can end the quoted string or the header."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
