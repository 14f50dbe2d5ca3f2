"""End to end on Zalo against the fake Zalo server, by polling and by webhook: the shared
conversation table, numbered choices, duplicates, unsupported content, webhook secrets,
failed replies kept in the outbox, images by URL, and the token kept out of every log."""
from __future__ import annotations

import json
import logging

import pytest
from sqlmodel import func, select

from bot.logs import REDACTED
from models.ledger import Report
from models.outbox import Outbox
from models.processed import ProcessedMessage
from tests.channel_conversations import CONVERSATION
from tests.conftest import add_member, new_invite
from tests.fakes.zalo_harness import SECRET, fake, fixture, running_zalo, text_event  # noqa: F401

MODES = ["polling", "webhook"]
RESIDENT, COORDINATOR, STAFF = ("a1b2c3d4e5f60718293a", "Chị Lan"), ("c9d8e7f6a5b4c3d2e1f0", "Anh Minh"), \
    ("5e6f708192a3b4c5d6e7", "Chị Hoa")
GROUP = "g7c2e41b9a0d35f68e12"


async def setup_people(app) -> str:
    """The coordinator of LM and a staff member of LM-KV1 on Zalo; the table's {code}."""
    await add_member(app, COORDINATOR[0], "coordinator", "LM", name="Anh Minh", platform="zalo")
    await add_member(app, STAFF[0], "staff", "LM-KV1", name="Chị Hoa", platform="zalo")
    return await new_invite(app, "MT-MK")


async def count(app, model) -> int:
    async with app.sessions() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


@pytest.mark.parametrize("mode", MODES)
async def test_shared_conversation(demo, fake, mode, monkeypatch):
    code = await setup_people(demo)
    async with running_zalo(demo, fake, mode, monkeypatch) as zalo:
        for step in CONVERSATION:
            user_id, name = RESIDENT if step.who == "resident" else COORDINATOR
            # Zalo has no buttons: a choice is answered by typing its number.
            text = step.text.format(code=code)
            event = text_event(user_id, name, text, GROUP if step.chat == "group" else "")
            texts = await zalo.deliver(event)
            if step.expect:
                assert any(step.expect in t for t in texts), (step, texts)
            else:
                assert texts == [], (step, texts)
    methods = [c.method for c in fake.calls]
    assert methods[0] == "getMe"
    assert ("getUpdates" in methods) == (mode == "polling")
    assert all(c.token_ok for c in fake.calls)


@pytest.mark.parametrize("mode", MODES)
async def test_choices_are_a_numbered_list_answered_by_number(demo, fake, mode, monkeypatch):
    await setup_people(demo)
    async with running_zalo(demo, fake, mode, monkeypatch) as zalo:
        [shown] = await zalo.deliver(text_event(*STAFF, "/dangky 60"))
        assert "  1. Đúng, ghi nhận\n  2. Không, bỏ qua\n(Anh/chị trả lời bằng số thứ tự" in shown
        assert await zalo.deliver(text_event(*STAFF, "3")) == ["Anh/chị chọn một số từ 1 đến 2 nhé."]
        [done] = await zalo.deliver(text_event(*STAFF, "1"))
        assert "Đã ghi nhận 60" in done
        [stale] = await zalo.deliver(text_event(*STAFF, "1"))
        assert "đã hết hạn" in stale


async def test_a_choice_survives_a_restart(demo, fake, monkeypatch):
    await setup_people(demo)
    async with running_zalo(demo, fake, "webhook", monkeypatch) as zalo:
        await zalo.deliver(text_event(*STAFF, "/dangky 60"))
    async with running_zalo(demo, fake, "polling", monkeypatch) as zalo:
        [done] = await zalo.deliver(text_event(*STAFF, "1"))
    assert "Đã ghi nhận 60" in done


@pytest.mark.parametrize("mode", MODES)
async def test_duplicate_event_is_counted_once(demo, fake, mode, monkeypatch):
    await setup_people(demo)
    event = text_event(*STAFF, "/dangky 7")
    async with running_zalo(demo, fake, mode, monkeypatch) as zalo:
        first = await zalo.deliver(event)
        again = await zalo.deliver(event)
    assert first == again and "Đã ghi nhận 7" in first[0]
    async with demo.sessions() as session:
        reported = (await session.exec(select(Report).where(Report.kind == "report"))).all()
    assert [r.count for r in reported] == [7]


@pytest.mark.parametrize("name", ["private_text_wrapped", "private_text_flat"])
async def test_webhook_takes_wrapped_and_flat_bodies(demo, fake, name, monkeypatch):
    await add_member(demo, "6ede9afa66b88fe6d6a9", "staff", "LM-KV1", platform="zalo")
    async with running_zalo(demo, fake, "webhook", monkeypatch):
        assert await fake.deliver(fixture(name)) == 200
    [sent] = fake.sent()
    assert sent["chat_id"] == "6ede9afa66b88fe6d6a9" and "Đã ghi nhận 5" in sent["text"]


@pytest.mark.parametrize("secret", ["wrong-secret-value", ""])
async def test_bad_secret_is_refused_before_anything_is_stored(demo, fake, secret, monkeypatch):
    await setup_people(demo)
    async with running_zalo(demo, fake, "webhook", monkeypatch):
        status = await fake.deliver({"ok": True, "result": text_event(*STAFF, "/dangky 5")},
                                    secret=secret)
        # not even parsed: a body that is not JSON gets the same 403 without the secret
        garbage = await fake.deliver({}, secret=secret, raw=b"{not json")
    assert (status, garbage) == (403, 403)
    assert fake.sent() == [] and await count(demo, ProcessedMessage) == 0


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", json.dumps({"ok": True}).encode(),
                                 "\xff".encode("latin-1")])
async def test_malformed_webhook_body_is_400(demo, fake, raw, monkeypatch):
    async with running_zalo(demo, fake, "webhook", monkeypatch):
        assert await fake.deliver({}, raw=raw) == 400
    assert await count(demo, ProcessedMessage) == 0


@pytest.mark.parametrize("mode", MODES)
async def test_unsupported_content(demo, fake, mode, monkeypatch):
    """A sticker in a private chat gets a short hint; an image in a group and a
    `message.unsupported.received` event get nothing."""
    async with running_zalo(demo, fake, mode, monkeypatch) as zalo:
        sticker = await zalo.deliver(fixture("private_sticker")["result"])
        image = await zalo.deliver(fixture("group_image"))
        withheld = await zalo.deliver(fixture("private_unsupported")["result"])
    assert sticker == ["Hiện tôi chỉ đọc được tin nhắn chữ. Anh/chị gõ /trogiup để xem các lệnh nhé."]
    assert image == [] and withheld == []


@pytest.mark.parametrize("mode", MODES)
async def test_group_mention_and_reply_to_the_bot_are_answered(demo, fake, mode, monkeypatch):
    await setup_people(demo)
    async with running_zalo(demo, fake, mode, monkeypatch) as zalo:
        await zalo.deliver(text_event(*COORDINATOR, "/lienket LM", GROUP))
        mention = await zalo.deliver(fixture("group_text_mention"))
        reply = await zalo.deliver(fixture("group_reply_to_bot"))
        chatter = await zalo.deliver(fixture("group_text_chatter"))
    assert "Tiến độ Phường Long Mỹ" in mention[0] and "Tiến độ Phường Long Mỹ" in reply[0]
    assert chatter == []


@pytest.mark.parametrize("mode", MODES)
async def test_failed_send_after_commit_is_queued_not_lost(demo, fake, mode, monkeypatch):
    await setup_people(demo)
    fake.throttle("sendMessage")
    async with running_zalo(demo, fake, mode, monkeypatch) as zalo:
        await zalo.deliver(text_event(*STAFF, "/dangky 4"))
    async with demo.sessions() as session:
        [row] = (await session.exec(select(Outbox))).all()
        reports = (await session.exec(select(Report).where(Report.kind == "report"))).all()
    assert row.platform == "zalo" and row.chat_id == STAFF[0] and row.status == "pending"
    assert "Đã ghi nhận 4" in row.payload["text"] and "429" in row.last_error
    assert [r.count for r in reports] == [4]
    assert fake.token not in row.last_error


async def test_bad_request_on_send_is_queued_as_failed(demo, fake, monkeypatch):
    await setup_people(demo)
    fake.fail("sendMessage", 400, "Bad request: The chat_id must not be empty")
    async with running_zalo(demo, fake, "webhook", monkeypatch) as zalo:
        await zalo.deliver(text_event(*STAFF, "/dangky 4"))
    async with demo.sessions() as session:
        [row] = (await session.exec(select(Outbox))).all()
    assert row.status == "failed" and "error 400" in row.last_error


@pytest.mark.parametrize("mode", MODES)
async def test_token_never_logged(demo, fake, mode, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    code = await setup_people(demo)
    fake.throttle("sendMessage")
    fake.fail("sendMessage", 500, "Internal error", status=500)
    async with running_zalo(demo, fake, mode, monkeypatch) as zalo:
        for step in CONVERSATION:
            user_id, name = RESIDENT if step.who == "resident" else COORDINATOR
            await zalo.deliver(text_event(user_id, name, step.text.format(code=code),
                                          GROUP if step.chat == "group" else ""))
        if mode == "webhook":
            await fake.deliver({}, secret="nope-nope-nope")
    assert caplog.records, "nothing was logged: the test would prove nothing"
    secret_part = fake.token.split(":")[1]
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert secret_part not in text and SECRET not in text, record.name
        # and not because bot.logs redacted it: nothing here even tried to log the token
        assert REDACTED not in text, record.name
