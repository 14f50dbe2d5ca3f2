"""Replies where people are, through real python-telegram-bot against the fake Bot API:
an answer in a group replies to the message and stays in its forum topic; forwarded
messages and anonymous admins never report; the bot added to or removed from a group."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from models.members import ChatLink
from tests.conftest import add_member
from tests.fakes.telegram_harness import running_telegram
from tests.ledger_helpers import ledger_sum

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"


def fixture(name: str) -> dict:
    update = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    update.pop("update_id")  # the fake numbers updates itself
    return update


async def link(app, chat_id: str, unit: str = "LM") -> None:
    from models.units import unit_by_code
    async with app.sessions() as session:
        found = await unit_by_code(unit, session=session)
        session.add(ChatLink(platform="telegram", chat_id=chat_id, unit_id=found.id))
        await session.commit()


async def link_active(app, chat_id: str) -> bool:
    async with app.sessions() as session:
        row = (await session.exec(select(ChatLink).where(ChatLink.chat_id == chat_id))).one()
        return row.active


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_mention_in_a_forum_topic_is_answered_there_as_a_reply(demo, mode):
    await link(demo, "-1003003")
    async with running_telegram(demo, mode) as tg:
        [sent] = await tg.deliver(fixture("forum_topic_mention"))
    assert sent.params["message_thread_id"] == 40
    assert sent.params["reply_parameters"] == {"message_id": 51,
                                               "allow_sending_without_reply": True}
    assert "Long Mỹ" in sent.params["text"]


async def test_private_answers_are_not_replies(demo):
    async with running_telegram(demo, "polling") as tg:
        [sent] = await tg.deliver({"message": {
            "message_id": 5, "date": 1795658400, "chat": {"id": 1001, "type": "private"},
            "from": {"id": 1001, "is_bot": False, "first_name": "Lan"}, "text": "/trogiup",
            "entities": [{"type": "bot_command", "offset": 0, "length": 8}]}})
    assert "reply_parameters" not in sent.params and "message_thread_id" not in sent.params


async def test_forwarded_report_is_never_counted(demo):
    await add_member(demo, "4004", "staff", "LM-KV1", name="Chị Hoa", platform="telegram")
    async with running_telegram(demo, "webhook") as tg:
        [sent] = await tg.deliver(fixture("forwarded_command"))
    assert "chuyển tiếp" in sent.params["text"]
    assert await ledger_sum(demo, "LM-KV1") == 0


async def test_anonymous_admin_is_asked_to_send_as_themselves(demo):
    await link(demo, "-1003003")
    async with running_telegram(demo, "polling") as tg:
        [sent] = await tg.deliver(fixture("anonymous_admin"))
    assert "ẩn danh" in sent.params["text"]
    assert sent.params["reply_parameters"]["message_id"] == 53
    assert await ledger_sum(demo, "LM-KV1") == 0


@pytest.mark.parametrize("gone", ["bot_removed", "bot_kicked"])
async def test_bot_removed_from_a_linked_group_deactivates_its_link(demo, gone):
    await link(demo, "-3003")
    async with running_telegram(demo, "polling") as tg:
        await tg.deliver(fixture("bot_promoted"), messages=0)  # still there: no event
        assert await link_active(demo, "-3003")
        assert await tg.deliver(fixture(gone)) == []
    assert not await link_active(demo, "-3003")
    assert "my_chat_member" in tg.fake.sent("getUpdates")[0].params["allowed_updates"]


async def test_bot_added_explains_lienket(demo):
    async with running_telegram(demo, "webhook") as tg:
        [sent] = await tg.deliver(fixture("bot_added"))
    assert "/lienket" in sent.params["text"] and sent.params["chat_id"] == "-3003"
