"""A TCP proxy between the bot and PostgreSQL that a test takes down and brings back: while
down, every open connection is cut and new ones are closed at once, as when the database
server restarts or the network to it fails. No superuser rights needed."""
from __future__ import annotations

import asyncio

from sqlalchemy.engine import make_url


class DatabaseProxy:
    def __init__(self, url: str) -> None:
        self.upstream = make_url(url)
        self.up = True
        self.restored = asyncio.Event()
        self.restored.set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.url = ""

    async def start(self) -> "DatabaseProxy":
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = self.upstream.set(host="127.0.0.1", port=port).render_as_string(
            hide_password=False)
        return self

    def down(self) -> None:
        self.up = False
        self.restored.clear()
        for writer in list(self._writers):
            writer.transport.abort()

    def restore(self) -> None:
        self.up = True
        self.restored.set()

    async def close(self) -> None:
        self.down()
        self._server.close()
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(
                self.upstream.host or "127.0.0.1", self.upstream.port or 5432)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            self._writers -= {writer, up_writer}
            for w in (writer, up_writer):
                w.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.transport.abort()
