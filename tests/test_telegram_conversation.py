"""End to end through real python-telegram-bot, in polling and in webhook mode: the shared
conversation table, a button press, group commands, duplicates, migration, webhook secrets,
failed replies kept in the outbox, and the token kept out of every log line."""
from __future__ import annotations

import json
import logging

import pytest
from sqlmodel import func, select

from bot.logs import QUIET
from models.ledger import Report
from models.members import ChatLink
from models.outbox import Outbox
from models.processed import ProcessedMessage
from tests.channel_conversations import CONVERSATION, Step
from tests.conftest import add_member, new_invite
from tests.fakes.telegram_harness import (SECRET, TOKEN, TelegramHarness, chat, press_update,
                                          running_telegram, text_update, user)

MODES = ["polling", "webhook"]
RESIDENT, COORDINATOR = user(1001, "Lan"), user(2002, "Minh")
GROUP = chat(-3003)
STAFF = user(4004, "Hoa")


async def setup_people(app) -> str:
    """The coordinator of LM on Telegram; a fresh staff invite for MT-MK (the table's {code})."""
    await add_member(app, "2002", "coordinator", "LM", name="Anh Minh", platform="telegram")
    await add_member(app, "4004", "staff", "LM-KV1", name="Chị Hoa", platform="telegram")
    return await new_invite(app, "MT-MK")


async def play(tg: TelegramHarness, step: Step, code: str) -> list[str]:
    sender = RESIDENT if step.who == "resident" else COORDINATOR
    where = GROUP if step.chat == "group" else chat(sender["id"])
    if step.action == "choose":
        shown = [c for c in tg.fake.sent() if "reply_markup" in c.params
                 and c.params["chat_id"] == str(where["id"])][-1]
        update = press_update(sender, shown, int(step.text))
    else:
        update = text_update(sender, where, step.text.format(code=code))
    return [c.params.get("text") or c.params.get("caption", "") for c in await tg.deliver(update)]


@pytest.mark.parametrize("mode", MODES)
async def test_shared_conversation(demo, mode):
    code = await setup_people(demo)
    async with running_telegram(demo, mode) as tg:
        for step in CONVERSATION:
            texts = await play(tg, step, code)
            if step.expect:
                assert any(step.expect in t for t in texts), (step, texts)
            else:
                assert texts == [], (step, texts)
    methods = [c.method for c in tg.fake.calls]
    assert methods[0] == "getMe"
    assert ("getUpdates" in methods) == (mode == "polling")


@pytest.mark.parametrize("mode", MODES)
async def test_button_press_is_answered_and_keyboard_removed(demo, mode):
    await setup_people(demo)
    hoa = chat(4004)
    async with running_telegram(demo, mode) as tg:
        [shown] = await tg.deliver(text_update(STAFF, hoa, "/dangky 60"))
        buttons = shown.params["reply_markup"]["inline_keyboard"]
        assert [len(row) for row in buttons] == [1, 1]
        assert buttons[0][0]["callback_data"].startswith("c:")
        [done] = await tg.deliver(press_update(STAFF, shown, 1))
    assert "Đã ghi nhận 60" in done.params["text"]
    methods = [c.method for c in tg.fake.calls]
    assert methods.index("answerCallbackQuery") < methods.index("editMessageReplyMarkup")
    assert tg.fake.sent("editMessageReplyMarkup")[0].params["chat_id"] == "4004"


@pytest.mark.parametrize("mode", MODES)
async def test_group_commands_for_us_and_for_another_bot(demo, mode):
    await setup_people(demo)
    async with running_telegram(demo, mode) as tg:
        await tg.deliver(text_update(COORDINATOR, GROUP, "/lienket@hamlet_bot LM"))
        [progress] = await tg.deliver(text_update(COORDINATOR, GROUP, "/tiendo@hamlet_bot"))
        assert "Tiến độ Phường Long Mỹ" in progress.params["text"]
        assert await tg.deliver(text_update(COORDINATOR, GROUP, "/tiendo@other_bot")) == []
        assert await tg.deliver(text_update(COORDINATOR, GROUP, "tiendo")) == []
        reply_to_bot = {"message_id": 1, "date": 1, "chat": GROUP, "text": "…",
                        "from": {"id": 777000, "is_bot": True, "first_name": "Hamlet"}}
        answered = await tg.deliver(text_update(COORDINATOR, GROUP, "/tiendo",
                                                reply_to_message=reply_to_bot))
        assert answered and "Tiến độ" in answered[0].params["text"]


@pytest.mark.parametrize("mode", MODES)
async def test_duplicate_update_is_counted_once(demo, mode):
    await setup_people(demo)
    update = text_update(STAFF, chat(4004), "/dangky 5")
    async with running_telegram(demo, mode) as tg:
        stamped = tg.fake.stamp(update)
        first = await tg.deliver(stamped)
        # webhook: Telegram resends the same update; polling: the same message arrives again
        # (e.g. fetched again after a crash before the offset was confirmed)
        again = await tg.deliver(stamped if mode == "webhook" else update)
    assert first[0].params["text"] == again[0].params["text"]
    async with demo.sessions() as session:
        reports = (await session.exec(select(func.count()).select_from(Report).where(
            Report.kind == "report", Report.message_ref.like("telegram:4004:%")))).one()
    assert reports == 1


async def test_group_migration_keeps_the_link(demo):
    await setup_people(demo)
    supergroup = chat(-1003003, "supergroup")
    async with running_telegram(demo, "polling") as tg:
        await tg.deliver(text_update(COORDINATOR, GROUP, "/lienket LM"))
        await tg.send_update({"message": {"message_id": 7, "date": 1, "chat": GROUP,
                                          "from": COORDINATOR, "migrate_to_chat_id": -1003003}})
        await tg.send_update({"message": {"message_id": 1, "date": 1, "chat": supergroup,
                                          "from": COORDINATOR, "migrate_from_chat_id": -3003}})
        [progress] = await tg.deliver(text_update(COORDINATOR, supergroup, "/tiendo"))
    assert "Tiến độ Phường Long Mỹ" in progress.params["text"]
    async with demo.sessions() as session:
        ids = (await session.exec(select(ChatLink.chat_id))).all()
    assert ids == ["-1003003"]


@pytest.mark.parametrize("headers, status", [
    ({}, 403),
    ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, 403),
    ({"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"}, 403),
    ({"X-Telegram-Bot-Api-Secret-Token": SECRET}, 400),  # right secret, body not JSON
])
async def test_webhook_rejects_before_anything_is_stored(demo, headers, status):
    await setup_people(demo)
    update = text_update(STAFF, chat(4004), "/dangky 5")
    async with running_telegram(demo, "webhook") as tg:
        calls = len(tg.fake.calls)
        body = b"{not json" if status == 400 else json.dumps({"update_id": 1, **update}).encode()
        assert await tg.post(body, {"Content-Type": "application/json", **headers}) == status
        # the channel still works, and the rejected update left nothing behind
        await tg.deliver(text_update(STAFF, chat(4004), "/tiendo"))
    assert [c.method for c in tg.fake.calls[calls:]] == ["sendMessage"]
    async with demo.sessions() as session:
        reports = (await session.exec(select(Report).where(Report.kind == "report"))).all()
        keys = (await session.exec(select(ProcessedMessage.key))).all()
    assert reports == [] and len(keys) == 1  # only the /tiendo sent afterwards


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("code, description, parameters, status", [
    (502, "Bad Gateway", None, "pending"),
    (500, "Internal Server Error", None, "pending"),
    (429, "Too Many Requests: retry after 7", {"retry_after": 7}, "pending"),
    (403, "Forbidden: bot was blocked by the user", None, "failed"),
])
async def test_failed_reply_after_commit_is_queued(demo, mode, code, description, parameters,
                                                   status):
    await setup_people(demo)
    async with running_telegram(demo, mode) as tg:
        tg.fake.fail("sendMessage", code, description, parameters)
        await tg.deliver(text_update(STAFF, chat(4004), "/dangky 5"))
    async with demo.sessions() as session:
        [row] = (await session.exec(select(Outbox))).all()
        reports = (await session.exec(select(Report).where(Report.kind == "report"))).all()
    assert (row.platform, row.chat_id, row.status) == ("telegram", "4004", status)
    assert "Đã ghi nhận 5" in row.payload["text"]
    assert len(reports) == 1  # the report is committed; only its answer waits
    assert TOKEN not in (row.last_error or "")


async def test_token_never_in_logs(demo, caplog):
    caplog.set_level(logging.DEBUG)  # everything, every logger (httpx logs URLs at INFO)
    for name in QUIET:  # also those that an earlier `hamletbot` run in this process quieted
        caplog.set_level(logging.DEBUG, logger=name)
    code = await setup_people(demo)
    async with running_telegram(demo, "polling") as tg:
        tg.fake.fail("sendMessage", 502, "Bad Gateway")  # an error path logs too
        for step in CONVERSATION:
            await play(tg, step, code)
    assert len(caplog.records) > 50  # the scan had material (no PTB Updater lines since we poll)
    assert any("/bot" in r.getMessage() for r in caplog.records)  # URLs were logged...
    assert TOKEN not in caplog.text  # ...without the token
    assert TOKEN.split(":")[1] not in caplog.text
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("mode", MODES)
async def test_someone_elses_button_is_refused_and_their_keyboard_stays(demo, mode):
    await setup_people(demo)
    async with running_telegram(demo, mode) as tg:
        await tg.deliver(text_update(COORDINATOR, GROUP, "/lienket LM"))
        [shown] = await tg.deliver(text_update(STAFF, GROUP, "/dangky 60"))
        [refused] = await tg.deliver(press_update(COORDINATOR, shown, 1))
        assert "dành cho người đã gửi lệnh" in refused.params["text"]
        assert tg.fake.sent("editMessageReplyMarkup") == []
        [done] = await tg.deliver(press_update(STAFF, shown, 1))
    assert "Đã ghi nhận 60" in done.params["text"]
    assert len(tg.fake.sent("editMessageReplyMarkup")) == 1


@pytest.mark.parametrize("mode", MODES)
async def test_two_edits_within_one_second_both_count(demo, mode):
    await setup_people(demo)
    sent = text_update(STAFF, chat(4004), "/dangky 5")
    original = sent["message"]

    def edited(text: str) -> dict:
        return {"edited_message": {**original, "text": text, "edit_date": original["date"] + 1}}

    async with running_telegram(demo, mode) as tg:
        await tg.deliver(sent)
        await tg.deliver(edited("/dangky 6"))
        [second] = await tg.deliver(edited("/dangky 7"))
    assert "(trước: 6 BHXH tự nguyện): nay là 7" in second.params["text"]
    async with demo.sessions() as session:
        counted = (await session.exec(select(func.sum(Report.count)).where(
            Report.message_ref == f"telegram:4004:{original['message_id']}"))).one()
    assert counted == 7
