"""python-telegram-bot's HTTP transport on aiohttp instead of httpx.

PTB makes every Bot API call through a `telegram.request.BaseRequest`, an interface it
documents for other HTTP libraries. Its default, HTTPXRequest, spends most of a
sendMessage's CPU in httpx, httpcore, h11 and anyio (URL and header models, cookie jars,
the pool's checks of every connection): on the bot's busiest path, a reply per message,
that was as much CPU as our whole dispatcher. aiohttp, already the library of our web
server and of the Zalo channel, makes the same request for a fraction of it.

PTB still builds every request and reads every answer (errors, retry_after, migrations);
this class only moves bytes. Requests are sent as httpx sends them: form-encoded, or
multipart when they carry a file.
"""
from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass_environment

import aiohttp
import certifi
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB's own defaults (HTTPXRequest), in seconds
READ, WRITE, CONNECT, POOL, MEDIA_WRITE = 5.0, 5.0, 5.0, 1.0, 20.0


class AiohttpRequest(BaseRequest):
    """A BaseRequest on one aiohttp ClientSession with at most `pool_size` connections.

    The timeouts keep PTB's meaning where aiohttp has one: `connect` bounds the TCP
    connect, `pool` + `connect` the wait for a connection, `read` each wait for the
    answer's bytes. aiohttp has no write timeout: `write` (or `media_write` for an
    upload) bounds, together with the others, the whole call, so a stalled upload ends."""

    __slots__ = ("_pool_size", "_read", "_write", "_connect", "_pool", "_media_write",
                 "_session", "_proxies")

    def __init__(self, *, pool_size: int = 1, read: float | None = READ,
                 write: float | None = WRITE, connect: float | None = CONNECT,
                 pool: float | None = POOL, media_write: float | None = MEDIA_WRITE) -> None:
        self._pool_size = pool_size
        self._read, self._write, self._connect = read, write, connect
        self._pool, self._media_write = pool, media_write
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read  # getUpdates adds its long-poll timeout to this

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # certifi's CA bundle, as httpx uses: no reliance on the system's store
            tls = ssl.create_default_context(cafile=certifi.where())
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ssl=tls),
                headers={"User-Agent": self.USER_AGENT})
            self._proxies = {}

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=BaseRequest.DEFAULT_NONE,
                         write_timeout=BaseRequest.DEFAULT_NONE,
                         connect_timeout=BaseRequest.DEFAULT_NONE,
                         pool_timeout=BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data is not None else None
        read = self._read if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        connect = self._connect if connect_timeout is BaseRequest.DEFAULT_NONE else connect_timeout
        pool = self._pool if pool_timeout is BaseRequest.DEFAULT_NONE else pool_timeout
        write = ((self._media_write if files else self._write)
                 if write_timeout is BaseRequest.DEFAULT_NONE else write_timeout)
        parts = (pool, connect, write, read)
        timeout = aiohttp.ClientTimeout(
            total=None if None in parts else sum(parts),
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect, sock_read=read)
        try:
            async with self._session.request(method, url, data=_body(request_data, files),
                                             timeout=timeout, proxy=self._proxy(url)) as response:
                return response.status, await response.read()
        except asyncio.TimeoutError as exc:  # aiohttp's timeouts are TimeoutErrors
            raise TimedOut(f"aiohttp: {type(exc).__name__}") from exc
        except aiohttp.ClientError as exc:  # the URL holds the token: never in the text
            text = str(exc).replace(url, "<Bot API URL>")
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {text}") from exc

    def _proxy(self, url: str) -> str | None:
        """HTTPS_PROXY / HTTP_PROXY and NO_PROXY, as httpx honours them (an HTTP proxy;
        aiohttp has no SOCKS), read once per host: aiohttp's trust_env would read them,
        and ~/.netrc, on every request."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            found = getproxies()
            bypass = "no" in found and proxy_bypass_environment(key[1], found)
            self._proxies[key] = None if bypass else found.get(key[0])
        return self._proxies[key]


def _body(request_data: RequestData | None, files: dict | None) -> dict | aiohttp.FormData | None:
    """Form fields as PTB encodes them (nested values as JSON text); a file makes it
    multipart, each part as PTB names it: (filename, content, mimetype)."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not files:
        return fields
    form = aiohttp.FormData(fields)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
