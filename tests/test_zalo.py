"""The Zalo channel piece by piece, against the fake Zalo server: events → Incoming (a table of
JSON fixtures), API answers → shared errors, the polling loop (idle polls, back-off),
long texts, images by URL, and `hamletbot zalo set-webhook`."""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from datetime import timedelta

import aiohttp
import pytest
from click.testing import CliRunner

from bot.channels import Misconfigured, RetryableError
from bot.choices import numbered
from bot.cli import cli
from bot.config import ConfigError, Settings
from bot.images import ImageStore
from bot.zalo import (BACKOFF_CAP, IDLE_PAUSE, TEXT_LIMIT, ZaloChannel, ZaloClient, backoff,
                      set_webhook)
from bot.zalo_payloads import ZaloBot, to_incoming, unwrap
from handlers.types import Choice, Document, Incoming, Reply
from tests.conftest import START, FakeClock
from tests.fakes.zalo_api import ME, FakeZalo
from tests.fakes.zalo_harness import PUBLIC_URL, SECRET, fake, fixture  # noqa: F401

BOT = ZaloBot(ME["id"], (ME["display_name"], ME["account_name"]))
PNG = b"\x89PNG\r\n\x1a\n" + b"chart" * 100


# --- events → Incoming ----------------------------------------------------------------------
@pytest.mark.parametrize("name,expected", [
    ("private_text_wrapped", dict(chat_kind="private", text="/dangky 5", user_id="6ede9afa66b88fe6d6a9",
                                  chat_id="6ede9afa66b88fe6d6a9", message_id="2d758cb5e222177a4e35",
                                  display_name="Chị Lan", addressed_to_bot=False)),
    ("private_text_flat", dict(chat_kind="private", message_id="2d758cb5e222177a4e36",
                               reply_to="")),
    ("private_text_seconds", dict(text="/tiendo", display_name="Chị Lan")),
    ("group_text_mention", dict(chat_kind="group", chat_id="g7c2e41b9a0d35f68e12",
                                user_id="8a1f2c3d4e5f60718293", text="@Bot Ấp tiến độ",
                                addressed_to_bot=True, bot_username="Bot Ấp",
                                reply_to="5f1e2d3c4b5a69788796", thread_id="", forwarded=False,
                                anonymous=False, event="")),
    ("group_reply_to_bot", dict(chat_kind="group", text="tiến độ", addressed_to_bot=True)),
    ("group_text_chatter", dict(chat_kind="group", addressed_to_bot=False)),
    ("private_sticker", dict(chat_kind="private", text="")),
    ("group_image", dict(chat_kind="group", text="")),
    ("private_unsupported", None),
])
def test_event_to_incoming(name, expected):
    event = unwrap(fixture(name))
    msg = to_incoming(event, BOT, FakeClock())
    if expected is None:
        assert msg is None
        return
    assert isinstance(msg, Incoming) and msg.platform == "zalo"
    assert {k: getattr(msg, k) for k in expected} == expected
    assert msg.time == START  # `date` in milliseconds, or in seconds, is the same instant
    assert msg.key == f"zalo:{msg.chat_id}:{msg.message_id}"


@pytest.mark.parametrize("body", [None, [], {}, {"ok": True}, {"ok": True, "result": {}},
                                  {"event_name": "message.text.received"},
                                  {"event_name": "x", "message": "text"}])
def test_not_an_event(body):
    assert unwrap(body) is None


def test_message_from_a_bot_and_without_ids_are_dropped():
    event = unwrap(fixture("private_text_flat"))
    assert to_incoming({**event, "message": {**event["message"], "from": {"id": "x", "is_bot": True}}},
                       BOT, FakeClock()) is None
    assert to_incoming({**event, "message": {**event["message"], "message_id": ""}},
                       BOT, FakeClock()) is None


# --- API answers → shared errors ------------------------------------------------------------
@pytest.mark.parametrize("status,code,kind", [
    (200, 401, Misconfigured), (401, 401, Misconfigured), (200, 400, Misconfigured),
    (404, 404, Misconfigured), (429, 429, RetryableError), (200, 429, RetryableError),
    (500, 500, RetryableError), (502, 0, RetryableError), (200, 403, RetryableError),
    (408, 408, RetryableError),
])
async def test_errors_map_onto_the_shared_exceptions(fake, status, code, kind):
    fake.fail("sendMessage", code, "Something", status=status)
    async with aiohttp.ClientSession() as session:
        client = ZaloClient(fake.token, fake.url, session)
        with pytest.raises(kind) as caught:
            await client.send_message("u1", "xin chào")
    assert fake.token not in str(caught.value) and "sendMessage" in str(caught.value)


async def test_retry_after_is_honoured_when_given(fake):
    fake.fail("sendMessage", 429, "Quota exceeded", status=429, headers={"Retry-After": "7"})
    async with aiohttp.ClientSession() as session:
        with pytest.raises(RetryableError) as caught:
            await ZaloClient(fake.token, fake.url, session).send_message("u1", "x")
    assert caught.value.retry_after == 7


async def test_unreachable_and_slow_servers_are_retryable_without_the_token(fake):
    async with aiohttp.ClientSession() as session:
        gone = ZaloClient(fake.token, "http://127.0.0.1:9", session)
        with pytest.raises(RetryableError) as refused:
            await gone.send_message("u1", "x")
        slow = ZaloClient(fake.token, fake.url, session, timeout=0.05)
        with pytest.raises(RetryableError) as timed_out:
            await slow.call("getUpdates", timeout=0.05)  # the fake holds an idle poll
    assert fake.token not in str(refused.value) and "ClientConnectorError" in str(refused.value)
    assert "zalo getUpdates: timed out" in str(timed_out.value)


@pytest.mark.parametrize("idle_status", [408, 200])
async def test_idle_poll_is_empty_not_an_error(idle_status):
    zalo = FakeZalo(idle_status=idle_status)
    await zalo.start()
    try:
        async with aiohttp.ClientSession() as session:
            assert await ZaloClient(zalo.token, zalo.url, session).get_update(timeout=0) is None
    finally:
        await zalo.stop()


async def test_wrong_token_is_misconfigured(fake):
    async with aiohttp.ClientSession() as session:
        with pytest.raises(Misconfigured):
            await ZaloClient("1:wrong", fake.url, session).get_me()


# --- the polling loop -------------------------------------------------------------------------
class Sleeps:
    """An injected sleep: records the delays and never really waits."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


def channel_for(fake, sleeps, **extra) -> ZaloChannel:
    values = dict(token=fake.token, base_url=fake.url, mode="polling",
                  images=ImageStore("", clock=FakeClock()), clock=FakeClock(), sleep=sleeps,
                  rand=lambda: 1.0)
    return ZaloChannel(**{**values, **extra})


async def test_failed_polls_back_off_then_recover(fake, caplog):
    sleeps, seen = Sleeps(), []
    fake.fail("getUpdates", 500, "Internal error", status=500, times=3)
    fake.throttle("getUpdates")
    fake.push(unwrap(fixture("private_text_flat")))
    channel = channel_for(fake, sleeps)

    async def on_message(msg):
        seen.append(msg)
    await channel.start(on_message)
    try:
        await fake.drained()
    finally:
        await channel.stop()
    assert sleeps.delays == [1.0, 2.0, 4.0, 8.0]
    assert [m.message_id for m in seen] == ["2d758cb5e222177a4e36"]
    assert [c.method for c in fake.calls[:2]] == ["getMe", "deleteWebhook"]


def test_backoff_is_jittered_and_capped():
    assert backoff(1, lambda: 0.0) == 0.5 and backoff(1, lambda: 1.0) == 1.0
    assert backoff(30, lambda: 1.0) == BACKOFF_CAP
    assert all(0.5 * 2 ** (n - 1) <= backoff(n, lambda: 0.3) <= 2 ** (n - 1) for n in range(1, 6))


async def test_idle_polls_neither_spin_nor_warn(caplog):
    """A server that answers an idle poll at once (timeout ignored): pause, no warning."""
    zalo = FakeZalo()
    await zalo.start()
    sleeps, seen = Sleeps(), asyncio.Event()
    channel = channel_for(zalo, sleeps, poll_timeout=0)

    async def on_message(msg):
        seen.set()

    original = sleeps.__call__

    async def sleep_then_push(seconds):
        await original(seconds)
        if len(sleeps.delays) == 3:
            zalo.push(unwrap(fixture("private_text_flat")))
    channel.sleep = sleep_then_push
    caplog.set_level(logging.WARNING, logger="bot.zalo")
    try:
        await channel.start(on_message)
        await asyncio.wait_for(seen.wait(), 5)
    finally:
        await channel.stop()
        await zalo.stop()
    assert sleeps.delays[:3] == [IDLE_PAUSE] * 3
    assert not [r for r in caplog.records if r.name == "bot.zalo"]


async def test_bad_token_stops_start(fake):
    channel = channel_for(fake, Sleeps(), token="1:wrong")
    with pytest.raises(Misconfigured):
        await channel.start(lambda msg: None)
    assert channel._session is None


# --- sending ------------------------------------------------------------------------------------
async def started(channel: ZaloChannel):
    await channel.start(lambda msg: asyncio.sleep(0))
    return channel


async def test_long_text_is_split_at_the_limit(fake):
    line = "Ấp Mỹ Khánh: 12 BHXH tự nguyện, 30 BHYT hộ gia đình. " * 3
    channel = await started(channel_for(fake, Sleeps(), mode="webhook", secret=SECRET))
    try:
        await channel.send("u1", Reply("\n".join([line] * 40)))
    finally:
        await channel.stop()
    parts = [p["text"] for p in fake.sent()]
    assert len(parts) == 4 and all(len(p) <= TEXT_LIMIT for p in parts)
    assert "\n".join(parts).split("\n") == [line] * 40


async def test_reply_placement_is_dropped(fake, caplog):
    """Zalo's sendMessage/sendPhoto take no reply or topic parameter: a Reply's reply_to and
    thread_id are left out and the answer still goes to the chat, without a warning."""
    clock = FakeClock()
    async with served_store(clock, minutes=10) as (images, local):
        fake.route_public(PUBLIC_URL, local)
        channel = await started(channel_for(fake, Sleeps(), mode="webhook", secret=SECRET,
                                            images=images))
        try:
            await channel.send("g1", Reply("Tiến độ", reply_to="5f1e2d3c", thread_id="40"))
            await channel.send("g1", Reply("Bảng", PNG, reply_to="5f1e2d3c", thread_id="40"))
        finally:
            await channel.stop()
    assert fake.sent() == [{"chat_id": "g1", "text": "Tiến độ"}]
    assert set(fake.sent("sendPhoto")[0]) == {"chat_id", "photo", "caption"}
    assert "WARNING" not in caplog.text


@asynccontextmanager
async def served_store(clock: FakeClock, minutes: int):
    """An ImageStore behind its own web server on loopback; yields it and its local URL."""
    from aiohttp import web
    images = ImageStore(PUBLIC_URL, clock=clock, ttl=timedelta(minutes=minutes))
    web_app = web.Application()
    images.add_routes(web_app)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield images, f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_image_goes_out_by_an_expiring_url(fake):
    clock = FakeClock()
    async with served_store(clock, minutes=10) as (images, local):
        fake.route_public(PUBLIC_URL, local)
        await _image_goes_out(fake, clock, images, local)


async def _image_goes_out(fake, clock, images, local):
    channel = await started(channel_for(fake, Sleeps(), mode="webhook", secret=SECRET,
                                        images=images))
    try:
        await channel.send("g1", Reply("Bảng xếp hạng tuần", PNG))
        [photo] = fake.sent("sendPhoto")
        assert photo["caption"] == "Bảng xếp hạng tuần" and fake.sent() == []
        assert photo["photo"].startswith(f"{PUBLIC_URL}/img/") and photo["photo"].endswith(".png")
        assert fake.photos == [(200, PNG)]
        clock.advance(minutes=11)
        async with aiohttp.ClientSession() as session:
            async with session.get(photo["photo"].replace(PUBLIC_URL, local)) as resp:
                assert resp.status == 404
            async with session.get(f"{local}/img/guessed.png") as resp:
                assert resp.status == 404
    finally:
        await channel.stop()


async def test_without_public_url_the_text_goes_alone(fake, caplog):
    channel = await started(channel_for(fake, Sleeps(), mode="webhook", secret=SECRET))
    try:
        await channel.send("g1", Reply("Bảng xếp hạng tuần", PNG))
    finally:
        await channel.stop()
    assert fake.sent("sendPhoto") == [] and fake.sent()[0]["text"] == "Bảng xếp hạng tuần"
    assert "web.public_url is not set" in caplog.text


def test_image_store_drops_the_oldest_beyond_its_size():
    store = ImageStore(PUBLIC_URL, clock=FakeClock(), max_bytes=len(PNG) * 2)
    urls = [store.publish(PNG) for _ in range(3)]
    assert len(set(urls)) == 3 and len(store._items) == 2
    assert ImageStore("", clock=FakeClock()).publish(PNG) is None


def test_numbered_choices():
    reply = Reply("Anh/chị xác nhận giúp nhé?", choices=(Choice("Đúng", "/a"), Choice("Không", "/b")))
    assert numbered(reply, "(gợi ý)") == "Anh/chị xác nhận giúp nhé?\n  1. Đúng\n  2. Không\n(gợi ý)"
    assert numbered(Reply("Chỉ chữ"), "(gợi ý)") == "Chỉ chữ"


# --- hamletbot zalo set-webhook --------------------------------------------------------------
def zalo_settings(fake, public_url: str = PUBLIC_URL) -> Settings:
    return Settings.model_validate({"zalo": {"token_env": "HAMLETBOT_ZALO_TOKEN",
                                             "webhook_secret_env": "HAMLETBOT_ZALO_SECRET",
                                             "base_url": fake.url, "mode": "webhook"},
                                    "web": {"public_url": public_url}})


async def test_set_webhook_and_delete(fake, monkeypatch):
    monkeypatch.setenv("HAMLETBOT_ZALO_TOKEN", fake.token)
    monkeypatch.setenv("HAMLETBOT_ZALO_SECRET", SECRET)
    said = await set_webhook(zalo_settings(fake))
    assert fake.webhook == {"url": f"{PUBLIC_URL}/zalo/webhook", "secret": SECRET}
    assert f"{PUBLIC_URL}/zalo/webhook" in said and fake.token not in said
    await set_webhook(zalo_settings(fake), delete=True)
    assert fake.webhook["url"] == ""


@pytest.mark.parametrize("public_url,secret", [("", SECRET), (PUBLIC_URL, "short")])
async def test_set_webhook_refuses_what_zalo_would(fake, monkeypatch, public_url, secret):
    monkeypatch.setenv("HAMLETBOT_ZALO_TOKEN", fake.token)
    monkeypatch.setenv("HAMLETBOT_ZALO_SECRET", secret)
    with pytest.raises(ConfigError):
        await set_webhook(zalo_settings(fake, public_url))
    assert fake.sent("setWebhook") == []


def test_cli_zalo_set_webhook_help_and_missing_token(monkeypatch):
    monkeypatch.delenv("HAMLETBOT_ZALO_TOKEN", raising=False)
    runner = CliRunner()
    for args in (["zalo", "--help"], ["zalo", "set-webhook", "--help"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0 and "Usage:" in result.output, args
    result = runner.invoke(cli, ["zalo", "set-webhook"])
    assert result.exit_code == 1 and "HAMLETBOT_ZALO_TOKEN" in result.output


async def test_a_document_goes_out_as_an_expiring_link(fake):
    clock = FakeClock()
    async with served_store(clock, minutes=60) as (images, local):
        await _document_goes_out(fake, clock, images, local)


async def _document_goes_out(fake, clock, images, local):
    data = b"PK\x03\x04 xlsx bytes"
    channel = await started(channel_for(fake, Sleeps(), mode="webhook", secret=SECRET,
                                        images=images))
    try:
        await channel.send("u1", Reply("Tệp Excel tiến độ", document=Document("lm.xlsx", data)))
        [text, link] = [m["text"] for m in fake.sent()]
        assert text == "Tệp Excel tiến độ"
        url = link.split("tại: ")[1].split()[0]
        assert url.startswith(f"{PUBLIC_URL}/file/") and url.endswith("/lm.xlsx")
        assert "trong 60 phút" in link
        async with aiohttp.ClientSession() as session:
            async with session.get(url.replace(PUBLIC_URL, local)) as resp:
                assert resp.status == 200 and await resp.read() == data
                assert "attachment" in resp.headers["Content-Disposition"]
            clock.advance(minutes=61)
            async with session.get(url.replace(PUBLIC_URL, local)) as resp:
                assert resp.status == 404
    finally:
        await channel.stop()


async def test_without_public_url_a_document_is_explained(fake, caplog):
    channel = await started(channel_for(fake, Sleeps(), mode="webhook", secret=SECRET))
    try:
        await channel.send("u1", Reply("Tệp Excel", document=Document("lm.xlsx", b"x")))
    finally:
        await channel.stop()
    assert "máy chủ chưa có địa chỉ công khai" in fake.sent()[-1]["text"]
    assert "cannot be linked" in caplog.text
