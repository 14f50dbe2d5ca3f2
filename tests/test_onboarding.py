"""Joining with invite codes and linking groups."""
from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from models.attempts import JoinAttempt
from models.members import Invite, Member
from tests.conftest import Person, add_member, new_invite


async def test_join_with_code_then_report(stranger):
    code = await new_invite(stranger.app, "MT-MK")
    answer = await stranger.say(f"/thamgia {code.lower()}")
    assert "Anh/chị đã là cán bộ ấp của Ấp Mỹ Khánh" in answer
    assert "Đã ghi nhận 2" in await stranger.say("/dangky 2")


async def test_start_with_code_joins(stranger):
    code = await new_invite(stranger.app, "MT-MK", "coordinator")
    assert "ban chỉ đạo của Ấp Mỹ Khánh" in await stranger.say(f"/start {code}")


async def test_start_without_code_welcomes(stranger):
    assert "/thamgia MÃ-MỜI" in await stranger.say("/start")


@pytest.mark.parametrize("text,expected", [
    ("/thamgia", "gõ kèm mã mời"),
    ("/thamgia WRNG-CODE", "Mã mời không đúng"),
    ("/thamgia " + "A" * 300, "Mã mời không đúng"),
])
async def test_bad_codes(stranger, text, expected):
    assert expected in await stranger.say(text)


async def test_expired_code(stranger, clock):
    code = await new_invite(stranger.app, "MT-MK", days=1)
    clock.advance(days=1)
    assert "đã hết hạn" in await stranger.say(f"/thamgia {code}")


async def test_used_up_code(stranger, clock):
    code = await new_invite(stranger.app, "MT-MK", uses=1)
    await Person(stranger.app, clock, "u-first").say(f"/thamgia {code}")
    assert "đã được dùng hết lượt" in await stranger.say(f"/thamgia {code}")


async def test_join_in_group_is_refused_and_code_not_used(stranger):
    code = await new_invite(stranger.app, "MT-MK")
    assert "nhắn riêng" in await stranger.in_group("g1").say(f"/thamgia {code}")
    assert "đã là cán bộ ấp" in await stranger.say(f"/thamgia {code}")


async def test_codes_are_stored_hashed(stranger):
    code = await new_invite(stranger.app, "MT-MK")
    async with stranger.app.sessions() as session:
        hashes = [i.code_hash for i in await session.exec(select(Invite))]
    assert code not in hashes and all(len(h) == 64 for h in hashes)


async def test_already_member(staff):
    code = await new_invite(staff.app, "LM-KV1", uses=2)
    assert "đã là cán bộ ấp của Khu vực 1 (Long Mỹ) rồi" in await staff.say(f"/thamgia {code}")


async def test_moving_hamlet_keeps_history(staff):
    await staff.say("/dangky 5")
    code = await new_invite(staff.app, "LM-KV2")
    assert "Chuyển từ Khu vực 1 (Long Mỹ)" in await staff.say(f"/thamgia {code}")
    assert "Khu vực 2 (Long Mỹ)" in await staff.say("/dangky 1")
    async with staff.app.sessions() as session:
        members = list(await session.exec(select(Member).where(Member.user_id == "u-staff")))
    assert len(members) == 1


async def test_link_group(coordinator, staff):
    group = coordinator.in_group("g-lm")
    answer = await group.say("/lienket lm")
    assert "Đã liên kết nhóm này với Phường Long Mỹ" in answer
    assert "Nhóm sẽ nhận bảng xếp hạng hằng tuần" in answer
    answer = await staff.in_group("g-lm").say("/tiendo")
    assert "Tiến độ Phường Long Mỹ" in answer and "Khu vực 4 (Long Mỹ)" in answer


async def test_a_hamlet_group_is_promised_what_it_gets(coordinator):
    """A hamlet has no units to rank: its group is promised the hamlet's own weekly summary,
    which /bxh shows (tests/test_leaderboard.py) and the Monday push sends
    (tests/test_scheduler.py)."""
    answer = await coordinator.in_group("g-kv1").say("/lienket LM-KV1")
    assert "Đã liên kết nhóm này với Khu vực 1 (Long Mỹ)" in answer
    assert "Mỗi tuần nhóm sẽ nhận bản tóm tắt của Khu vực 1 (Long Mỹ)" in answer
    assert "thứ hạng trong các ấp của xã/phường" in answer and "/bxh" in answer
    assert "bảng xếp hạng hằng tuần" not in answer


@pytest.mark.parametrize("who,chat,text,expected", [
    ("coordinator", "private", "/lienket LM", "dùng trong nhóm chat"),
    ("coordinator", "group", "/lienket", "gõ kèm mã đơn vị"),
    ("coordinator", "group", "/lienket XX-99", 'Không có đơn vị nào mang mã "XX-99"'),
    ("coordinator", "group", "/lienket OM", "không thuộc đơn vị anh/chị phụ trách"),
    ("staff", "group", "/lienket LM-KV1", "Chỉ ban chỉ đạo"),
    ("stranger", "group", "/lienket LM", "chưa tham gia"),
])
async def test_link_refusals(people, who, chat, text, expected):
    person = people[who]
    if chat == "group":
        person = person.in_group("g-x")
    assert expected in await person.say(text)


async def test_admin_links_anywhere(demo, clock):
    await add_member(demo, "u-admin", "admin", "CT")
    assert "Phường Ô Môn" in await Person(demo, clock, "u-admin").in_group("g").say("/lienket OM")


# Guessing invite codes: wrong codes per user are counted in the database (JoinAttempt).
WRONG = ["/thamgia AAAA-AAAA", "/start BBBB-BBBB", "/thamgia CCCC-CCCC", "/thamgia " + "D" * 80,
         "/thamgia EEEE-EEEE"]
BLOCKED = "đã nhập sai mã mời 5 lần trong một giờ"


async def test_wrong_codes_block_even_a_right_code_until_the_hour_passes(stranger, clock):
    code = await new_invite(stranger.app, "MT-MK")
    for text in WRONG:
        assert "Mã mời không đúng" in await stranger.say(text)
        clock.advance(minutes=1)
    assert BLOCKED in await stranger.say("/thamgia FFFF-FFFF")
    answer = await stranger.say(f"/thamgia {code}")
    assert BLOCKED in answer and "sau khoảng 55 phút" in answer  # the first one lapses then
    assert BLOCKED in await stranger.say(f"/start {code}")
    clock.advance(minutes=55)
    assert "cán bộ ấp của Ấp Mỹ Khánh" in await stranger.say(f"/thamgia {code}")


async def test_the_count_survives_a_restart(settings, demo, clock):
    from bot.app import running_app
    for text in WRONG:
        await Person(demo, clock, "u-guess").say(text)
    code = await new_invite(demo, "MT-MK")
    async with running_app(settings, clock=clock) as again:  # another instance, same database
        assert BLOCKED in await Person(again, clock, "u-guess").say(f"/thamgia {code}")


async def test_one_users_wrong_codes_do_not_block_another(stranger, clock):
    code = await new_invite(stranger.app, "MT-MK")
    for text in WRONG:
        await stranger.say(text)
    other_platform = Person(stranger.app, clock, stranger.user_id, platform="telegram")
    assert "Mã mời không đúng" in await other_platform.say("/thamgia GGGG-GGGG")
    assert "cán bộ ấp" in await Person(stranger.app, clock, "u-other").say(f"/thamgia {code}")


async def test_expired_used_up_and_missing_codes_are_not_guesses(stranger, clock):
    expired = await new_invite(stranger.app, "MT-MK", days=1)
    clock.advance(days=1)
    for _ in range(6):
        assert "đã hết hạn" in await stranger.say(f"/thamgia {expired}")
        assert "gõ kèm mã mời" in await stranger.say("/thamgia")
    code = await new_invite(stranger.app, "MT-MK")
    assert "cán bộ ấp" in await stranger.say(f"/thamgia {code}")


async def test_a_redelivered_wrong_code_counts_once(stranger, clock):
    msg = stranger.message("/thamgia AAAA-AAAA")
    for _ in range(6):
        await stranger.deliver(msg)
    code = await new_invite(stranger.app, "MT-MK")
    assert "cán bộ ấp" in await stranger.say(f"/thamgia {code}")


async def test_wrong_codes_are_logged_without_the_code_or_the_user(stranger, caplog):
    caplog.set_level(logging.DEBUG)
    for text in WRONG:
        await stranger.say(text)
    await stranger.say("/thamgia ZZZZ-ZZZZ")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING
                and r.name == "handlers.onboarding"]
    assert len(warnings) == 6
    assert "wrong invite code from console user" in warnings[0].getMessage()
    assert "blocked after 5 wrong codes" in warnings[-1].getMessage()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(code in logged for code in ("AAAA", "BBBB", "DDDD", "ZZZZ", "thamgia"))
    # our own lines name no user (aiosqlite's DEBUG lines carry query parameters; bot/logs.py
    # keeps that library at WARNING)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("bot", "handlers"))]
    assert ours and not any(stranger.user_id in line for line in ours)


async def test_attempts_are_stored_without_the_code(stranger, clock):
    for text in WRONG:
        await stranger.say(text)
    clock.advance(hours=2)
    await stranger.say("/thamgia HHHH-HHHH")  # older attempts are dropped with this one
    async with stranger.app.sessions() as session:
        rows = list(await session.exec(select(JoinAttempt)))
    assert [(r.platform, r.user_id) for r in rows] == [("console", stranger.user_id)]
