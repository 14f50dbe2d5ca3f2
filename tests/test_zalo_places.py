"""Issue 16's channel items on Zalo, through the real Zalo channel against the fake Zalo
server (payload fixtures in tests/fixtures/zalo): reports in unit and programme words and
in plain words, invisible format marks before the slash, mentions in a group, and answers
without a reply or topic placement (Zalo's sendMessage has neither).

Not here, because the Zalo Bot Platform has no such thing (PLATFORMS.md A.3, A.4, A.7): a
forwarded-message marker, sending as the group (anonymous admins), and events for the bot
added to or removed from a group.
"""
from __future__ import annotations

import pytest
from sqlmodel import select

from bot.zalo_payloads import unwrap
from models.members import ChatLink
from models.outbox import Outbox
from tests.conftest import add_member
from tests.fakes.zalo_harness import fake, fixture, running_zalo  # noqa: F401
from tests.ledger_helpers import ledger_sum

MODES = ["polling", "webhook"]
STAFF = "5e6f708192a3b4c5d6e7"  # the sender of the private_* and group_mention_report fixtures
GROUP = "g7c2e41b9a0d35f68e12"


@pytest.fixture
async def staff(demo):
    await add_member(demo, STAFF, "staff", "LM-KV1", name="Chị Hoa", platform="zalo")


async def link_group(app, unit: str = "LM") -> None:
    from models.units import unit_by_code
    async with app.sessions() as session:
        found = await unit_by_code(unit, session=session)
        session.add(ChatLink(platform="zalo", chat_id=GROUP, unit_id=found.id))
        await session.commit()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name,answer,bhxh,bhyt", [
    ("private_unit_words", "Đã ghi nhận 5 BHXH tự nguyện", 5, 0),  # /dangky 5 người
    ("private_programme_words", "Đã ghi nhận 3 BHXH tự nguyện và 2 BHYT", 3, 2),
    ("private_format_marks", "Đã ghi nhận 4 BHXH tự nguyện", 4, 0),  # U+200F … U+200E
    ("private_bom_command", "Đã ghi nhận 2 BHYT", 0, 2),  # U+FEFF before /bhyt
])
async def test_report_commands_as_people_type_them(demo, fake, staff, mode, monkeypatch,
                                                   name, answer, bhxh, bhyt):
    async with running_zalo(demo, fake, mode, monkeypatch) as zalo:
        [sent] = await zalo.deliver(unwrap(fixture(name)))
    assert answer in sent
    assert await ledger_sum(demo, "LM-KV1") == bhxh
    assert await ledger_sum(demo, "LM-KV1", "bhyt") == bhyt


@pytest.mark.parametrize("mode", MODES)
async def test_report_in_words_is_proposed_and_recorded_after_the_number_1(
        demo, fake, staff, mode, monkeypatch):
    async with running_zalo(demo, fake, mode, monkeypatch) as zalo:
        [proposed] = await zalo.deliver(fixture("private_words_report"))
        assert proposed.startswith("Ghi nhận 3 BHXH tự nguyện cho Khu vực 1 (Long Mỹ)?")
        assert "  1. Đúng, ghi nhận" in proposed
        assert await ledger_sum(demo, "LM-KV1") == 0
        event = fixture("private_words_report")
        event["message"].update(text="1", message_id="3a7c1e9b5d2f4a6c8e99")
        [recorded] = await zalo.deliver(event)
    assert "Đã ghi nhận 3 BHXH tự nguyện" in recorded
    assert await ledger_sum(demo, "LM-KV1") == 3


@pytest.mark.parametrize("mode", MODES)
async def test_mentions_in_a_linked_group(demo, fake, staff, mode, monkeypatch):
    """A mention of the bot is answered (a report by its staff counts, a greeting is
    greeted); a mention of someone else is chatter."""
    await link_group(demo)
    async with running_zalo(demo, fake, mode, monkeypatch) as zalo:
        [report] = await zalo.deliver(fixture("group_mention_report"))
        [greeting] = await zalo.deliver(fixture("group_mention_greeting"))
        other = await zalo.deliver(fixture("group_mention_other"))
    assert "Đã ghi nhận 2 BHXH tự nguyện" in report
    assert "Chào" in greeting or "chào" in greeting
    assert other == []
    assert await ledger_sum(demo, "LM-KV1") == 2


@pytest.mark.parametrize("mode", MODES)
async def test_group_answers_go_to_the_chat_without_reply_placement(demo, fake, staff, mode,
                                                                    monkeypatch):
    """The answer to a group message belongs under it (the queued reply keeps that, as on
    Telegram), but Zalo's sendMessage takes only chat_id and text: a plain message."""
    await link_group(demo)
    fake.throttle("sendMessage")
    async with running_zalo(demo, fake, mode, monkeypatch) as zalo:
        await zalo.deliver(fixture("group_text_mention"))
        await zalo.deliver(fixture("group_reply_to_bot"))
    async with demo.sessions() as session:
        [queued] = (await session.exec(select(Outbox))).all()
    assert queued.payload["reply_to"] == "5f1e2d3c4b5a69788796"
    [sent] = fake.sent()[1:]  # the first was refused (429) and queued
    assert sent == {"chat_id": GROUP, "text": sent["text"]} and "Tiến độ" in sent["text"]
