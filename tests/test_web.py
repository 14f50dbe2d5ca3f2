"""The web server: /healthz, /metrics, and the body cap every webhook sits behind."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.db import make_engine, make_sessions, migrate
from bot.web import MAX_BODY_BYTES, add_health_routes, make_web_app
from models.outbox import enqueue


@pytest.fixture
async def client(staff):
    running = {"telegram": True, "zalo": True}
    web_app = make_web_app()
    add_health_routes(web_app, staff.app, lambda: running)

    async def echo_length(request: web.Request) -> web.Response:
        return web.json_response({"bytes": len(await request.read())})

    web_app.router.add_post("/echo", echo_length)
    async with TestClient(TestServer(web_app, host="127.0.0.1")) as client:
        client.running = running
        yield client


async def test_healthz(client):
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok",
                                     "channels": {"telegram": "started", "zalo": "started"}}
    client.running["zalo"] = False
    response = await client.get("/healthz")
    assert response.status == 503
    assert (await response.json())["channels"]["zalo"] == "stopped"


async def test_healthz_when_the_database_is_gone(client, staff):
    gone = make_engine("sqlite+aiosqlite:////nonexistent/dir/hamletbot.db")
    staff.app.sessions = make_sessions(gone)
    response = await client.get("/healthz")
    assert response.status == 503
    assert (await response.json())["database"] == "unwritable (OperationalError)"
    await gone.dispose()


async def test_healthz_when_the_database_can_be_read_but_not_written(client, staff, tmp_path):
    path = tmp_path / "ro.db"
    writable = make_engine(f"sqlite+aiosqlite:///{path}")
    await migrate(writable)
    await writable.dispose()
    read_only = make_engine(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
    staff.app.sessions = make_sessions(read_only)
    response = await client.get("/healthz")
    assert response.status == 503
    assert (await response.json())["database"] == "unwritable (OperationalError)"
    await read_only.dispose()


@pytest.mark.skipif(bool(os.environ.get("HAMLETBOT_TEST_DATABASE_URL")),
                    reason="a SQLite file")
async def test_sqlite_file_deleted_while_running_fails_writes_and_health(client, staff):
    async def no_sleep(seconds: float) -> None:
        pass

    staff.app.dispatcher.sleep = no_sleep
    assert "Đã ghi nhận 2" in await staff.say("/dangky 2")
    path = Path(staff.app.engine.url.database)
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    with pytest.raises(OperationalError, match="is gone"):  # never "Đã ghi nhận" into nowhere
        await staff.say("/dangky 5")
    assert not path.exists()  # and no empty database made in its place
    assert (await client.get("/healthz")).status == 503


async def test_metrics_count_messages_and_outbox(client, staff):
    await staff.say("/dangky 2")
    await staff.say("/dangky 2")  # a second, different message
    msg = staff.message("/tiendo")
    await staff.deliver(msg)
    await staff.deliver(msg)  # redelivered
    async with staff.app.sessions() as session:
        await enqueue("k1", "telegram", "42", {"text": "x"}, now=staff.clock(), session=session)
        await session.commit()
    text = await (await client.get("/metrics")).text()
    assert 'hamletbot_messages_total{command="dangky",outcome="answered"} 2.0' in text
    assert 'hamletbot_messages_total{command="",outcome="duplicate"} 1.0' in text
    assert 'hamletbot_outbox_rows{platform="telegram",status="pending"} 1.0' in text


async def test_oversized_body_is_refused(client):
    assert (await client.post("/echo", data=b"x" * 1000)).status == 200
    assert (await client.post("/echo", data=b"x" * (MAX_BODY_BYTES + 1))).status == 413


async def test_a_connection_that_never_finishes_its_headers_is_closed(staff):
    from bot.config import WebSettings
    from bot.web import start_web
    from tests.fakes.bot_process import free_port

    settings = WebSettings(port=free_port(), header_timeout_seconds=0.2)
    runner = await start_web(make_web_app(settings), settings)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", settings.port)
        writer.write(b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\n")  # and no more
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the server
        writer.close()
    finally:
        await runner.cleanup()
