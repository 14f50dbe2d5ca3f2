"""Coordinators' tools as conversations: /suachua, /lichsu, /moi, /thanhvien, /roi, and who
may do what where (the authorisation table)."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.importer import import_file
from models.ledger import Report
from models.members import Member, member_of
from tests.conftest import Person, add_member, new_invite
from tests.ledger_helpers import ledger_rows, ledger_sum


@pytest.fixture
async def admin(demo, clock) -> Person:
    await add_member(demo, "u-admin", "admin", "CT", name="Quản trị")
    return Person(demo, clock, "u-admin", name="Quản trị")


@pytest.fixture
async def cast(people, admin) -> dict[str, Person]:
    return {**people, "admin": admin}


# (role, command, expected: a phrase of the answer). The coordinator is at LM (a ward),
# the staff member at LM-KV1 (a hamlet of LM), the admin at CT (the city).
ALLOWED = {
    "/xuat": "Tệp Excel tiến độ",
    "/suachua": "xác nhận",
    "/lichsu": "lần ghi gần nhất",
    "/moi": "Mã mời",
    "/thanhvien": "Thành viên của",
}
OUTSIDE = "không thuộc đơn vị anh/chị phụ trách"
NOT_COORDINATOR = "dành cho ban chỉ đạo và quản trị viên"
NOT_MEMBER = "chưa tham gia nhóm cán bộ"
AUTHORISATION = [
    # a coordinator: their own unit and below, not a sibling or above
    ("coordinator", "own", "/xuat LM", ALLOWED["/xuat"]),
    ("coordinator", "below", "/xuat LM-KV2", ALLOWED["/xuat"]),
    ("coordinator", "sibling", "/xuat OM", OUTSIDE),
    ("coordinator", "above", "/xuat CT", OUTSIDE),
    ("coordinator", "own", "/suachua LM bhxh +2 bổ sung số sót", ALLOWED["/suachua"]),
    ("coordinator", "below", "/suachua LM-KV3 bhyt -1 báo trùng", ALLOWED["/suachua"]),
    ("coordinator", "sibling", "/suachua OM-TH bhxh 2 bổ sung", OUTSIDE),
    ("coordinator", "above", "/suachua CT bhxh 2 bổ sung", OUTSIDE),
    ("coordinator", "own", "/lichsu LM", ALLOWED["/lichsu"]),
    ("coordinator", "below", "/lichsu LM-KV1", ALLOWED["/lichsu"]),
    ("coordinator", "sibling", "/lichsu MT-MK", OUTSIDE),
    ("coordinator", "below", "/moi staff LM-KV2", ALLOWED["/moi"]),
    ("coordinator", "sibling", "/moi staff OM-TH", OUTSIDE),
    ("coordinator", "below", "/moi coordinator LM-KV2", ALLOWED["/moi"]),
    ("coordinator", "own", "/moi coordinator LM", "chỉ mời người cho các đơn vị trực thuộc"),  # a peer
    ("coordinator", "above", "/moi coordinator CT", OUTSIDE),
    ("coordinator", "own", "/thanhvien", ALLOWED["/thanhvien"]),
    ("coordinator", "sibling", "/thanhvien OM", OUTSIDE),
    # an admin: everywhere
    ("admin", "own", "/xuat", ALLOWED["/xuat"]),
    ("admin", "below", "/xuat OM", ALLOWED["/xuat"]),
    ("admin", "below", "/suachua MT-MK bhxh 3 bổ sung", ALLOWED["/suachua"]),
    ("admin", "below", "/lichsu OM-TH", ALLOWED["/lichsu"]),
    ("admin", "below", "/moi coordinator LM", ALLOWED["/moi"]),
    ("admin", "below", "/moi staff MT-MK", ALLOWED["/moi"]),
    ("admin", "below", "/thanhvien LM", ALLOWED["/thanhvien"]),
    # staff: their own hamlet's ledger only; no coordinators' tools
    ("staff", "own", "/lichsu", ALLOWED["/lichsu"]),
    ("staff", "own", "/lichsu LM-KV1", ALLOWED["/lichsu"]),
    ("staff", "above", "/lichsu LM", "chỉ xem được sổ ghi nhận của ấp mình"),
    ("staff", "sibling", "/lichsu LM-KV2", "chỉ xem được sổ ghi nhận của ấp mình"),
    ("staff", "own", "/xuat", NOT_COORDINATOR),
    ("staff", "own", "/suachua LM-KV1 bhxh 2 bổ sung", NOT_COORDINATOR),
    ("staff", "own", "/moi staff LM-KV1", NOT_COORDINATOR),
    ("staff", "own", "/thanhvien", NOT_COORDINATOR),
    ("staff", "sibling", "/roi 1", NOT_COORDINATOR),
    # somebody who has not joined
    ("stranger", "none", "/xuat", NOT_MEMBER),
    ("stranger", "none", "/suachua LM-KV1 bhxh 2 bổ sung", NOT_MEMBER),
    ("stranger", "none", "/lichsu LM-KV1", NOT_MEMBER),
    ("stranger", "none", "/moi staff LM-KV1", NOT_MEMBER),
    ("stranger", "none", "/thanhvien", NOT_MEMBER),
    ("stranger", "none", "/roi", NOT_MEMBER),
]


@pytest.mark.parametrize("role,relation,text,expected", AUTHORISATION)
async def test_authorisation(cast, role, relation, text, expected):
    before = await ledger_rows(cast[role].app)
    assert expected in await cast[role].say(text)
    assert await ledger_rows(cast[role].app) == before  # nothing written before a yes


@pytest.mark.parametrize("text", ["/xuat", "/moi staff LM-KV1", "/thanhvien", "/roi 1"])
async def test_private_only_commands_refused_in_groups(coordinator, text):
    assert "chỉ dùng trong tin nhắn riêng" in await coordinator.in_group("g-1").say(text)


async def test_unknown_unit(coordinator):
    assert 'Không tìm thấy đơn vị có mã "XX-9"' in await coordinator.say("/lichsu XX-9")


# --- /suachua -----------------------------------------------------------------------------

async def test_correction_confirmed_is_written_with_reason(coordinator):
    replies = await coordinator.deliver(coordinator.message(
        "/suachua lm-kv1 bhxh -3 báo trùng ngày 20/11"))
    assert "Sửa số liệu BHXH tự nguyện của Khu vực 1 (Long Mỹ): -3 (từ 401 thành 398)" \
        in replies[0].text
    assert [c.label for c in replies[0].choices] == ["Đúng, ghi nhận", "Không, bỏ qua"]
    assert await ledger_sum(coordinator.app, "LM-KV1", kinds=("correction",)) == 0
    answer = await coordinator.say("1")
    assert "Đã sửa BHXH tự nguyện của Khu vực 1 (Long Mỹ): -3, nay là 398" in answer
    assert "hết hạn" in await coordinator.say("1")  # written once
    async with coordinator.app.sessions() as session:
        [entry] = (await session.exec(select(Report).where(Report.kind == "correction"))).all()
        member = await member_of("console", "u-coord", session=session)
    assert (entry.count, entry.programme, entry.note) == (-3, "bhxh_tn", "báo trùng ngày 20/11")
    assert entry.member_id == member.id and entry.local_date.isoformat() == "2026-11-25"


async def test_correction_cancelled_writes_nothing(coordinator):
    replies = await coordinator.deliver(coordinator.message("/suachua LM-KV2 bhyt +4 sót 4 hộ"))
    before = await ledger_rows(coordinator.app)
    answer = await coordinator.say(replies[0].choices[1].payload, is_choice=True)
    assert answer == "Đã bỏ qua, không ghi nhận gì."
    assert await ledger_rows(coordinator.app) == before


BAD_CORRECTIONS = [
    ("/suachua", "Cách sửa số liệu"),
    ("/suachua LM-KV1", "Cách sửa số liệu"),
    ("/suachua LM-KV1 bhxh", "Cách sửa số liệu"),
    ("/suachua LM-KV1 bhxh -3", "ghi thêm lý do"),
    ("/suachua LM-KV1 bhxh -3 ừ", "ghi thêm lý do"),
    ("/suachua LM-KV1 bhxh -3 " + "dài " * 60, "Lý do dài quá"),
    ("/suachua LM-KV1 bhxh -3 gọi 0912345678 để hỏi", "dãy số dài"),
    ("/suachua LM-KV1 bhxh -3 CCCD 079123456789", "dãy số dài"),
    ("/suachua LM-KV1 lương -3 nhầm", '"lương" không phải chương trình'),
    ("/suachua LM-KV1 bhxh 0 nhầm", "số nguyên khác 0"),
    ("/suachua LM-KV1 bhxh 2,5 nhầm", "số nguyên khác 0"),
    ("/suachua LM-KV1 bhxh abc nhầm", '"abc" chưa đúng'),
    ("/suachua LM-KV1 bhxh +501 nhầm", "tối đa 500"),
    ("/suachua LM-KV1 bhxh -99999999999 nhầm", "tối đa 500"),
    ("/suachua LM-KV1 bhxh -500 nhầm", "thì thành số âm"),  # 401 achieved
    ("/suachua ZZ-1 bhxh -3 nhầm", 'Không tìm thấy đơn vị có mã "ZZ-1"'),
    ("/suachua OM-TH bhxh -3 nhầm", OUTSIDE),
]


@pytest.mark.parametrize("text,expected", BAD_CORRECTIONS)
async def test_bad_correction_gets_clear_answer_and_stores_nothing(coordinator, text, expected):
    before = await ledger_rows(coordinator.app)
    answer = await coordinator.say(text)
    assert expected in answer
    assert "0912345678" not in answer and "079123456789" not in answer
    assert await ledger_rows(coordinator.app) == before


async def test_typed_confirm_word_is_checked_again(coordinator):
    """The yes payload is the command again: a hand-typed one is validated like any other."""
    assert "dãy số dài" in await coordinator.say("/suachua LM-KV1 bhxh -3 xacnhan 0912345678")
    assert "Đã sửa" in await coordinator.say("/suachua LM-KV1 bhxh -3 xacnhan báo trùng")


# --- /lichsu ------------------------------------------------------------------------------

async def test_history_shows_who_and_when_newest_first(staff, coordinator, clock):
    await staff.say("/dangky 5 bhyt 2")
    clock.advance(hours=2)
    await coordinator.say("/suachua LM-KV1 bhxh -1 báo dư một người")
    await coordinator.say("1")
    answer = await staff.say("/lichsu")
    lines = answer.splitlines()
    assert lines[0] == "📒 5 lần ghi gần nhất của Khu vực 1 (Long Mỹ):"
    assert lines[1] == ("• 25/11/2026 11:00: Sửa số liệu BHXH tự nguyện -1, Anh Minh. "
                        "Lý do: báo dư một người")
    assert lines[2] == "• 25/11/2026 09:00: Báo cáo BHYT hộ gia đình +2, Chị Lan"
    assert "Số liệu ban đầu BHXH tự nguyện +401, nhập từ tệp" in answer
    commune = await coordinator.say("/lichsu")
    assert "Sửa số liệu BHXH tự nguyện -1 (Khu vực 1 (Long Mỹ)), Anh Minh" in commune
    assert len(commune.splitlines()) == 11  # the title and the last ten


async def test_history_shows_baselines_at_their_own_date(staff, coordinator, clock, tmp_path):
    """Starting figures imported after a report are listed at the date the import gives,
    among the entries by that date, not at the moment of the import."""
    await staff.say("/dangky 5")
    path = tmp_path / "baselines.csv"
    path.write_text("unit_code,programme,date,count\nLM-KV2,bhyt,2026-11-20,30\n")
    async with coordinator.app.sessions() as session:
        await import_file(path, "baselines", session=session)
        await session.commit()
    lines = (await coordinator.say("/lichsu LM")).splitlines()
    assert lines[1] == "• 25/11/2026 09:00: Báo cáo BHXH tự nguyện +5 (Khu vực 1 (Long Mỹ)), Chị Lan"
    assert lines[2] == ("• 20/11/2026: Số liệu ban đầu BHYT hộ gia đình +30 (Khu vực 2 (Long Mỹ)), "
                        "nhập từ tệp")
    assert all(line.startswith("• 30/09/2026: Số liệu ban đầu") for line in lines[3:]), lines


# --- /moi ---------------------------------------------------------------------------------

async def test_invite_for_a_hamlet_lets_a_new_staff_member_join(coordinator, demo, clock):
    answer = await coordinator.say("/moi staff LM-KV2")
    assert "Mã mời cán bộ ấp của Khu vực 2 (Long Mỹ)" in answer
    assert "đến hết ngày 09/12/2026" in answer
    code = answer.split("/thamgia ")[1].split()[0]
    newcomer = Person(demo, clock, "u-new", name="Anh Tư")
    assert "cán bộ ấp của Khu vực 2 (Long Mỹ)" in await newcomer.say(f"/thamgia {code}")
    assert "Đã ghi nhận 3" in await newcomer.say("/dangky 3")


@pytest.mark.parametrize("text,expected", [
    ("/moi", "Cách tạo mã mời"),
    ("/moi staff", "Cách tạo mã mời"),
    ("/moi boss LM-KV1", "Cách tạo mã mời"),
    ("/moi staff LM", "không phải là ấp"),
    ("/moi staff XX", "Không tìm thấy đơn vị"),
])
async def test_bad_invite(coordinator, text, expected):
    assert expected in await coordinator.say(text)


# --- /thanhvien and /roi ------------------------------------------------------------------

async def test_member_list_and_letting_a_member_go(staff, coordinator):
    listing = await coordinator.say("/thanhvien")
    async with staff.app.sessions() as session:
        lan = await member_of("console", "u-staff", session=session)
    assert f"{lan.id}. Chị Lan, cán bộ ấp, Khu vực 1 (Long Mỹ)" in listing
    await staff.say("/dangky 4")
    replies = await coordinator.deliver(coordinator.message(f"/roi {lan.id}"))
    assert "Chị Lan (cán bộ ấp, Khu vực 1 (Long Mỹ)) sẽ không dùng bot được nữa" \
        in replies[0].text
    assert [c.label for c in replies[0].choices] == ["Đúng, cho nghỉ", "Không, bỏ qua"]
    assert "Đã cho Chị Lan nghỉ" in await coordinator.say("1")
    assert NOT_MEMBER in await staff.say("/dangky 1")
    assert "Chị Lan" not in await coordinator.say("/thanhvien")
    assert await ledger_sum(staff.app, "LM-KV1") == 4  # the history stays


@pytest.mark.parametrize("name, stored", [
    ("Chị Lan\n99. Giả mạo, quản trị", "Chị Lan 99. Giả mạo, quản trị"),
    ("Lan\u202e\u200bnahT \t  Thị\r\nLan", "LannahT Thị Lan"),
    ("Lan 0912 345 678", "Lan ***"),
    ("A" * 300, "A" * 64),
])
async def test_display_names_are_one_clean_line(coordinator, demo, clock, name, stored):
    code = await new_invite(demo, "LM-KV2")
    await Person(demo, clock, "u-new", name=name).say(f"/thamgia {code}")
    async with demo.sessions() as session:
        assert (await member_of("console", "u-new", session=session)).display_name == stored
    listing = (await coordinator.say("/thanhvien")).splitlines()
    assert [line for line in listing if stored in line] and not any(
        line.startswith("99.") for line in listing)


async def test_let_go_by_name(staff, coordinator):
    await coordinator.say("/roi chi lan")
    assert "Đã cho Chị Lan nghỉ" in await coordinator.say("1")


@pytest.mark.parametrize("target", ["99", "Bà Năm"])
async def test_let_go_unknown(coordinator, target):
    assert "Không thấy ai là" in await coordinator.say(f"/roi {target}")


async def test_coordinator_cannot_let_go_outside_or_a_peer(coordinator, demo, clock):
    other = await add_member(demo, "u-om", "staff", "OM-TH", name="Chị Hoa")
    peer = await add_member(demo, "u-peer", "coordinator", "LM", name="Anh Ba")
    assert "Không thấy ai là" in await coordinator.say(f"/roi {other.id}")
    assert "không thuộc quyền của anh/chị" in await coordinator.say(f"/roi {peer.id}")


async def test_a_member_leaves(staff):
    replies = await staff.deliver(staff.message("/roi"))
    assert "Anh/chị sẽ rời khỏi Khu vực 1 (Long Mỹ)" in replies[0].text
    assert replies[0].choices[0].label == "Đúng, tôi rời khỏi"
    assert "Anh/chị đã rời khỏi Khu vực 1 (Long Mỹ)" in await staff.say("1")
    assert NOT_MEMBER in await staff.say("/tiendo")


async def test_a_member_who_moves_keeps_their_history(staff, coordinator, demo):
    await staff.say("/dangky 6")
    code = (await coordinator.say("/moi staff LM-KV3")).split("/thamgia ")[1].split()[0]
    assert "Chuyển từ Khu vực 1 (Long Mỹ)" in await staff.say(f"/thamgia {code}")
    await staff.say("/dangky 2")
    assert await ledger_sum(demo, "LM-KV1") == 6 and await ledger_sum(demo, "LM-KV3") == 2
    assert "Báo cáo BHXH tự nguyện +6, Chị Lan" in await coordinator.say("/lichsu LM-KV1")
    async with demo.sessions() as session:
        member = await member_of("console", "u-staff", session=session)
        mine = (await session.exec(select(Report.count).where(
            Report.member_id == member.id))).all()
    assert sorted(mine) == [2, 6]
    assert isinstance(member, Member) and member.active


# --- hostile input ------------------------------------------------------------------------

ADMIN_COMMANDS = st.sampled_from(["/suachua LM-KV1 bhxh", "/suachua LM-KV1", "/suachua",
                                  "/xuat", "/lichsu", "/moi staff", "/moi", "/thanhvien",
                                  "/roi", "/sửachữa", "/lịchsử"])
ARGS = st.lists(st.one_of(st.sampled_from(["\u200b", "\x00", "²", "٣", "-", "+", "LM-KV1",
                                           "bhyt", "xacnhan", "0912345678", "🙂", " "]),
                          st.integers(-10**12, 10**12).map(str), st.text(max_size=6)),
                max_size=8)
_fuzz_ids = itertools.count()


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=ADMIN_COMMANDS, args=ARGS, group=st.booleans())
async def test_coordinators_commands_answer_anything(coordinator, command, args, group):
    person = coordinator.in_group("g-fuzz") if group else coordinator
    before = await ledger_rows(coordinator.app)
    text = f"{command} {' '.join(args)}"
    replies = await person.deliver(person.message(text, message_id=f"fa{next(_fuzz_ids)}"))
    assert replies and all(r.text.strip() and "{{" not in r.text for r in replies)
    if not any("Đã sửa" in r.text for r in replies):
        assert await ledger_rows(coordinator.app) == before


async def test_members_are_listed_in_the_order_of_their_numbers(cast):
    # members of several hamlets, joined in an order unlike their units' names
    for user_id, code in (("u-b", "LM-KV3"), ("u-c", "LM-KV1"), ("u-d", "LM-KV2")):
        await add_member(cast["admin"].app, user_id, "staff", code, name=f"Cán bộ {user_id}")
    lines = [line for line in (await cast["admin"].say("/thanhvien LM")).splitlines()
             if line[:1].isdigit()]
    numbers = [int(line.split(".")[0]) for line in lines]
    assert len(numbers) >= 4 and numbers == sorted(numbers)


async def test_export_of_a_year_without_data_says_so(coordinator):
    replies = await coordinator.deliver(coordinator.message("/xuat 2025"))
    assert "chưa có số liệu nào cho năm 2025" in replies[0].text
    assert replies[0].document is None


async def test_history_shows_a_nil_report_without_a_programme(staff, coordinator):
    await staff.say("/dangky 0")
    line = next(x for x in (await coordinator.say("/lichsu LM-KV1")).splitlines()
                if "không có người mới" in x)
    assert "BHXH" not in line and " 0," not in line and "Chị Lan" in line
