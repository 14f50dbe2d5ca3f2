"""Webhooks acknowledge an update only once it was handled (its transaction committed), take
at most `web.max_concurrent_updates` at once (503 past it, so the platform delivers again),
refuse wrong-typed Zalo bodies with 400 and no traceback, and cut off slow bodies. Polling
confirms a Telegram update only once it was handled."""
from __future__ import annotations

import asyncio
import json
import logging

import pytest

from bot.dispatch import DB_RETRY_DELAYS
from bot.zalo import WEBHOOK_PATH
from models.processed import processed
from tests.conftest import add_member
from tests.fakes.telegram_harness import chat, running_telegram, text_update, user
from tests.fakes.zalo_harness import PUBLIC_URL, SECRET, fake, running_zalo, text_event  # noqa: F401
from tests.ledger_helpers import ledger_sum
from tests.test_db_faults import fail_inserts

STAFF = user(4004, "Hoa")


def press(sender: dict) -> dict:
    """A press on a stale button: handled like any update, after answerCallbackQuery."""
    where = chat(sender["id"])
    return {"callback_query": {
        "id": "press-1", "from": sender, "chat_instance": "1", "data": "c:dead0000:1",
        "message": {"message_id": 1, "date": 1795658400, "chat": where,
                    "from": {"id": 777000, "is_bot": True, "first_name": "Hamlet"},
                    "text": "Chọn"}}}


async def test_telegram_webhook_answers_only_after_the_commit(demo):
    updates = [text_update(user(5000 + i, "Ấp"), chat(5000 + i), f"/dangky {i + 1}")
               for i in range(12)]
    async with running_telegram(demo, "webhook") as tg:
        async def post_then_look(update: dict) -> tuple[int, bool]:
            update = tg.fake.stamp(update)
            status = await tg.post_update(update)
            message = update["message"]
            async with demo.sessions() as session:
                done = await processed(f"telegram:{message['chat']['id']}:"
                                       f"{message['message_id']}", session=session)
            return status, done is not None

        results = await asyncio.gather(*(post_then_look(u) for u in updates))
    assert results == [(200, True)] * len(updates)


async def test_telegram_webhook_is_bounded_and_asks_for_redelivery(demo):
    demo.settings.web.max_concurrent_updates = 1
    await add_member(demo, "4004", "staff", "LM-KV1", platform="telegram")
    async with running_telegram(demo, "webhook") as tg:
        held = tg.fake.hold("answerCallbackQuery")
        first = asyncio.create_task(tg.post_update(tg.fake.stamp(press(STAFF))))
        await tg.fake.wait_for("answerCallbackQuery", 1)  # the first update is being handled
        report = tg.fake.stamp(text_update(STAFF, chat(4004), "/dangky 3"))
        assert await tg.post_update(report) == 503  # no slot: Telegram delivers it again
        assert not first.done()  # not acknowledged while its handling waits
        held.set()
        assert await first == 200
        assert await tg.post_update(report) == 200
    assert await ledger_sum(demo, "LM-KV1") == 3


async def test_telegram_polling_confirms_only_what_was_handled(demo, no_db_sleep):
    await add_member(demo, "4004", "staff", "LM-KV1", platform="telegram")
    fail_inserts(demo, times=len(DB_RETRY_DELAYS) + 1)  # the first try fails for good
    async with running_telegram(demo, "polling") as tg:
        await tg.send_update(text_update(STAFF, chat(4004), "/dangky 4"))
        await tg.handled_reaches(2)  # failed once, fetched again, handled
        await tg.fake.wait_until(lambda: tg.fake.unconfirmed == 0)
    assert await ledger_sum(demo, "LM-KV1") == 4


@pytest.fixture
def no_db_sleep(demo):
    async def sleep(seconds: float) -> None:
        pass
    demo.dispatcher.sleep = sleep


async def test_zalo_webhook_is_bounded(demo, fake, monkeypatch):  # noqa: F811
    demo.settings.web.max_concurrent_updates = 1
    await add_member(demo, "z-staff", "staff", "LM-KV1", platform="zalo")
    async with running_zalo(demo, fake, "webhook", monkeypatch):
        held = fake.hold("sendMessage")
        first = asyncio.create_task(fake.deliver(text_event("z-staff", "Hoa", "/dangky 2")))
        await wait_for_call(fake, "sendMessage")  # committed, its answer on the way
        assert await fake.deliver(text_event("z-other", "Lan", "/trogiup")) == 503
        assert not first.done()
        held.set()
        assert await first == 200
    assert await ledger_sum(demo, "LM-KV1") == 2


async def wait_for_call(fake, method: str) -> None:
    while not fake.sent(method):
        fake._changed.clear()
        await asyncio.wait_for(fake._changed.wait(), 5)


WRONG_TYPES = [
    {"chat": "u-1"},
    {"from": 5},
    {"message_id": ["m"]},
    {"text": {"a": 1}},
]


@pytest.mark.parametrize("change", WRONG_TYPES)
async def test_zalo_webhook_refuses_wrong_typed_fields(demo, fake, monkeypatch, caplog, change):  # noqa: F811
    event = text_event("u-1", "Lan", "/trogiup")
    event["message"].update(change)
    caplog.set_level(logging.DEBUG)
    async with running_zalo(demo, fake, "webhook", monkeypatch):
        assert await fake.deliver({"ok": True, "result": event}) == 400
    assert fake.sent() == []
    assert [r for r in caplog.records if r.exc_info] == []


@pytest.mark.parametrize("date", ["NaN", "inf", 1e300, -1e300, None, "hôm nay"])
async def test_zalo_unreadable_date_is_still_answered(demo, fake, monkeypatch, caplog, date):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    async with running_zalo(demo, fake, "webhook", monkeypatch) as zalo:
        texts = await zalo.deliver(text_event("u-1", "Lan", "/trogiup", date=date))
    assert texts and [r for r in caplog.records if r.exc_info] == []


async def test_zalo_polling_skips_a_malformed_event_and_goes_on(demo, fake, monkeypatch):  # noqa: F811
    bad = text_event("u-1", "Lan", "/trogiup")
    bad["message"]["chat"] = "u-1"
    async with running_zalo(demo, fake, "polling", monkeypatch) as zalo:
        fake.push(bad)
        assert await zalo.deliver(text_event("u-1", "Lan", "/trogiup"))


async def test_zalo_webhook_cuts_off_a_slow_body(demo, fake, monkeypatch):  # noqa: F811
    demo.settings.web.body_timeout_seconds = 0.2
    async with running_zalo(demo, fake, "webhook", monkeypatch):
        local = fake._local(PUBLIC_URL + WEBHOOK_PATH)
        host, port = local.split("/")[2].split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        body = json.dumps({"ok": True, "result": text_event("u-1", "Lan", "/trogiup")}).encode()
        writer.write(f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     f"\r\nX-Bot-Api-Secret-Token: {SECRET}\r\nContent-Length: {len(body)}"
                     "\r\n\r\n".encode() + body[:10])  # and the rest never comes
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
    assert status.startswith(b"HTTP/1.1 408")
    assert fake.sent() == []
