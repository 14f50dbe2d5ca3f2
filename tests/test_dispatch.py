"""The dispatcher: group rules, unknown commands, idempotency under races, help by role."""
from __future__ import annotations

import asyncio

import pytest

from tests.ledger_helpers import ledger_sum


async def test_group_chatter_is_ignored_and_not_stored(staff):
    group = staff.in_group("g1")
    assert await group.say("hôm nay trời đẹp quá") == ""
    assert await group.say("5") == ""


async def test_group_mention_and_reply_are_answered(staff):
    group = staff.in_group("g1")
    assert "Các lệnh của cán bộ ấp" in await group.say("@hamletbot trợ giúp",
                                                       addressed_to_bot=True)
    assert "chưa trả lời được" in await group.say("bot ơi giá lúa hôm nay", addressed_to_bot=True)


async def test_command_for_another_bot_is_ignored(staff):
    assert await staff.in_group("g1").say("/dangky@otherbot 5") == ""
    assert await ledger_sum(staff.app, "LM-KV1") == 0


@pytest.mark.parametrize("text,expected", [
    ("/dangki 5", "Có phải anh/chị muốn gõ /dangky?"),
    ("/tiendoo", "Có phải anh/chị muốn gõ /tiendo?"),
    ("/xyzzy", "Tôi không biết lệnh /xyzzy. Gõ /trogiup"),
])
async def test_unknown_command_suggests_nearest(staff, text, expected):
    assert expected in await staff.say(text)


async def test_free_text_in_private(stranger):
    assert await stranger.say("alo") != ""


async def test_bare_number_without_pending_choice(staff):
    assert "hết hạn" in await staff.say("2")


@pytest.mark.parametrize("who,expected", [
    ("stranger", "/thamgia MÃ-MỜI"),
    ("staff", "Các lệnh của cán bộ ấp"),
    ("coordinator", "Các lệnh của ban chỉ đạo"),
])
async def test_help_by_role(people, who, expected):
    person = people[who]
    assert expected in await person.say("/trogiup")
    assert expected in await person.say("/help")


async def test_concurrent_delivery_counts_once(staff):
    """The same update handled twice at once: one transaction wins, both answer the same."""
    msg = staff.message("/dangky 4")
    first, second = await asyncio.gather(staff.deliver(msg), staff.deliver(msg))
    assert [r.text for r in first] == [r.text for r in second]
    assert await ledger_sum(staff.app, "LM-KV1") == 4


async def test_many_distinct_messages_all_count(staff):
    for _ in range(20):
        await staff.say("/dangky 1")
    assert await ledger_sum(staff.app, "LM-KV1") == 20


async def test_redelivered_message_gets_its_file_again(coordinator):
    msg = coordinator.message("/xuat")
    first = await coordinator.deliver(msg)
    again = await coordinator.deliver(msg)
    assert first[-1].document is not None
    assert again[-1].document == first[-1].document


async def test_control_characters_are_dropped_before_anything_is_stored(staff):
    """PostgreSQL refuses NUL in text; no control character means anything in a chat."""
    answer = await staff.say("/dangky\x00 a\x00b\x07c")
    assert '"abc" không phải là số người' in answer
    assert "đóng" in await staff.say("đóng\x00 bhxh\x1b tự nguyện bao nhiêu một tháng")


async def test_offered_choices_keep_the_replys_image_and_document(staff):
    """Choices become short button ids; the rest of the reply goes out as it was."""
    from handlers.types import Choice, Document, Reply

    doc = Document("lm.xlsx", b"PK xlsx")
    reply = Reply("Chọn?", image=b"png", choices=(Choice("Đúng", "/a"),), document=doc)
    async with staff.app.sessions() as session:
        [offered] = await staff.app.dispatcher._offer_choices(
            staff.message("/tiendo"), [reply], session)
    assert (offered.text, offered.image, offered.document) == ("Chọn?", b"png", doc)
    assert offered.choices[0].label == "Đúng" and offered.choices[0].payload.startswith("c:")
