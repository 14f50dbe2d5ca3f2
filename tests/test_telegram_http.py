"""bot/telegram_http.py: PTB's transport on aiohttp sends what PTB's httpx transport sends,
and maps timeouts and connection failures to PTB's errors."""
from __future__ import annotations

import socket

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

from bot.telegram_http import AiohttpRequest
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_harness import TOKEN
from tests.test_telegram import fake  # noqa: F401  (the fake Bot API, a fixture)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Đúng", callback_data="c:ab12:1")]])


async def _calls(fake: FakeTelegram, request, updates_request) -> list:
    fake.forget()
    async with Bot(TOKEN, base_url=fake.base_url, request=request,
                   get_updates_request=updates_request) as bot:
        await bot.send_message(1001, "Đã ghi nhận 5 người tham gia BHXH tự nguyện ✅",
                               reply_markup=KEYBOARD,
                               reply_parameters=ReplyParameters(11, allow_sending_without_reply=True),
                               message_thread_id=7)
        await bot.send_document(1001, b"PK\x03\x04 xlsx", filename="tien-do.xlsx",
                                caption="Tệp Excel")
        await bot.send_photo(1001, b"\x89PNG\r\n\x1a\n0000", caption="Bảng xếp hạng")
        await bot.get_updates(offset=3, timeout=0, allowed_updates=["message"])
    return [(c.method, c.params, c.files) for c in fake.calls if c.method != "getMe"]


async def test_sends_what_httpx_sends(fake):
    ours = await _calls(fake, AiohttpRequest(), AiohttpRequest())
    ptb = await _calls(fake, HTTPXRequest(), HTTPXRequest())
    assert [method for method, _, _ in ours] == ["sendMessage", "sendDocument", "sendPhoto",
                                                 "getUpdates"]
    assert ours == ptb
    assert ours[1][2] == {"document": b"PK\x03\x04 xlsx"}


async def test_an_upload_is_multipart_with_its_file_name_and_type():
    seen = {}

    async def serve(request: web.Request) -> web.Response:
        if request.path.endswith("/getMe"):
            return web.json_response({"ok": True, "result": {
                "id": 777000, "is_bot": True, "first_name": "Hamlet", "username": "hamlet_bot"}})
        form = await request.post()
        seen.update(type=request.content_type, caption=form["caption"], document=(
            form["document"].filename, form["document"].content_type,
            form["document"].file.read()))
        return web.json_response({"ok": True, "result": {
            "message_id": 1, "date": 0, "chat": {"id": 1001, "type": "private"}}})

    app = web.Application()
    app.router.add_post("/{path:.*}", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        async with Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest(),
                       get_updates_request=AiohttpRequest()) as bot:
            await bot.send_document(1001, b"PK xlsx", filename="tien-do.xlsx",
                                    caption="Tệp Excel")
    finally:
        await runner.cleanup()
    assert seen == {"type": "multipart/form-data", "caption": "Tệp Excel",
                    "document": ("tien-do.xlsx", XLSX_TYPE, b"PK xlsx")}


async def test_a_slow_answer_times_out(fake):
    release = fake.hold("sendMessage")
    request = AiohttpRequest(read=0.2)
    try:
        async with Bot(TOKEN, base_url=fake.base_url, request=request) as bot:
            with pytest.raises(TimedOut):
                await bot.send_message(1001, "Xin chào")
    finally:
        release.set()


def _closed_port() -> str:
    with socket.socket() as closed:  # a free port, then nobody on it
        closed.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{closed.getsockname()[1]}/bot"


# nobody listening; a base_url without a host (aiohttp's error text is the whole URL)
@pytest.mark.parametrize("base_url", [_closed_port, lambda: "http:///bot"])
async def test_a_failed_connection_is_a_network_error_without_the_token(base_url):
    request = AiohttpRequest(connect=1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"{base_url()}{TOKEN}/getMe")
    finally:
        await request.shutdown()
    assert not isinstance(raised.value, TimedOut)
    assert TOKEN not in str(raised.value)


async def test_it_can_start_again_after_shutting_down(fake):
    request = AiohttpRequest()
    for _ in range(2):
        async with Bot(TOKEN, base_url=fake.base_url, request=request,
                       get_updates_request=AiohttpRequest()) as bot:
            assert (await bot.get_me()).username == "hamlet_bot"
    with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps our RuntimeError
        await request.post(f"{fake.base_url}{TOKEN}/getMe")


async def test_https_proxy_and_no_proxy_from_the_environment(fake, monkeypatch):
    """The fake server stands in for a forward proxy: a Bot API host that does not resolve
    is reached through it, and a host in NO_PROXY is not."""
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{fake.port}")
    monkeypatch.setenv("NO_PROXY", "direct.invalid")
    async with Bot(TOKEN, base_url="http://api.telegram.invalid/bot", request=AiohttpRequest(),
                   get_updates_request=AiohttpRequest()) as bot:
        assert (await bot.get_me()).username == "hamlet_bot"
    with pytest.raises(NetworkError):
        async with Bot(TOKEN, base_url="http://direct.invalid/bot", request=AiohttpRequest(),
                       get_updates_request=AiohttpRequest()):
            pass
