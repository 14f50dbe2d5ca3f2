"""The authorisation matrix: every command × role × place → the answer.

Roles: nobody (has not joined), the staff member of LM-KV1, the coordinator of LM, the
admin of CT. Places, in this order: a private chat; a group linked to the person's own unit
(LM-KV1 for nobody); a group linked to another unit (Ô Môn); a group linked to nothing.
Each row runs the four places one after another on one fresh demo database; an expected
phrase of "" means the bot stays silent. Only an accepted report may write the ledger.
tests/test_admin.py covers the coordinators' tools unit by unit (own, below, sibling, above).
"""
from __future__ import annotations

import pytest

from models.members import ChatLink
from models.units import unit_by_code
from tests.conftest import Person, add_member
from tests.ledger_helpers import ledger_rows

HOME = {"none": "LM-KV1", "staff": "LM-KV1", "coordinator": "LM", "admin": "CT"}
OTHER = "OM"
PLACES = ("private", "g-own", "g-other", "g-unlinked")
ROLES = tuple(HOME)

NOT_MEMBER = "chưa tham gia nhóm cán bộ"
NOT_STAFF = "báo cáo số người đăng ký do cán bộ ấp gửi"
WRONG_GROUP = "Nhóm này thuộc Phường Ô Môn, không phải đơn vị của anh/chị"
NOT_LINKED = "Nhóm này chưa được liên kết"
NOT_COORDINATOR = "dành cho ban chỉ đạo và quản trị viên"
ONLY_PRIVATE = "chỉ dùng trong tin nhắn riêng"
ACCEPTED = "Đã ghi nhận"  # the only answer that writes the ledger
WELCOME = {"none": "(mã do ban chỉ đạo xã cấp)", "staff": "đang là cán bộ ấp của Khu vực 1",
           "coordinator": "đang là ban chỉ đạo của Phường Long Mỹ",
           "admin": "đang là quản trị viên của Thành phố Cần Thơ"}
HELP = {"none": "Cán bộ ấp có mã mời", "staff": "Các lệnh của cán bộ ấp",
        "coordinator": "Các lệnh của ban chỉ đạo", "admin": "Các lệnh của quản trị viên"}
PROGRESS = {"none": NOT_MEMBER, "staff": "Tiến độ Khu vực 1", "coordinator": "Tiến độ Phường Long Mỹ",
            "admin": "Tiến độ Thành phố Cần Thơ"}
HISTORY = {"staff": "lần ghi gần nhất của Khu vực 1",
           "coordinator": "lần ghi gần nhất của Phường Long Mỹ",
           "admin": "lần ghi gần nhất của Thành phố Cần Thơ"}
OM_PROGRESS, OM_BOARD = "Tiến độ Phường Ô Môn", "Bảng xếp hạng Phường Ô Môn"
HAMLET_BOARD = "không có đơn vị trực thuộc để xếp hạng"
FAQ, CALC, CANCELLED = "Lương hưu khi đóng BHXH tự nguyện", "đóng 22% = 660.000 đ", "Đã bỏ qua"
LINKED = "Đã liên kết nhóm này với Khu vực 1 (Long Mỹ)"
LINK_TAKEN = "Nhóm này đang liên kết với Phường Ô Môn"
LEAVE = "Anh/chị chắc chứ?"


def same(phrase: str) -> tuple[str, str, str, str]:
    return (phrase,) * 4


def member_only(role: str, allowed: tuple[str, str, str, str]) -> tuple[str, str, str, str]:
    return same(NOT_MEMBER) if role == "none" else allowed


def coordinators(role: str, allowed: str, *, private: bool) -> tuple[str, str, str, str]:
    """Coordinators' and admins' tools; `private` ones refuse every group."""
    if role in ("none", "staff"):
        return same(NOT_MEMBER if role == "none" else NOT_COORDINATOR)
    return (allowed, *(ONLY_PRIVATE,) * 3) if private else same(allowed)


def expectations(role: str) -> dict[str, tuple[str, str, str, str]]:
    """For one role: command → answers in (private, own group, other group, unlinked group)."""
    staff = role == "staff"
    reporter = {"none": same(NOT_MEMBER), "coordinator": same(NOT_STAFF),
                "admin": same(NOT_STAFF)}
    return {
        "/start": same(WELCOME[role]),
        "/thamgia AAAA-AAAA": ("Mã mời không đúng", *("nhắn riêng cho bot: /thamgia",) * 3),
        "/dangky 2": (ACCEPTED, ACCEPTED, WRONG_GROUP, NOT_LINKED) if staff else reporter[role],
        "/bhyt 1": (ACCEPTED, ACCEPTED, WRONG_GROUP, NOT_LINKED) if staff else reporter[role],
        "/huy": ("chưa có báo cáo nào để hủy",) * 2 + (WRONG_GROUP, NOT_LINKED) if staff
        else reporter[role],
        "/boqua": same(CANCELLED),
        # a linked group shows its own unit to anyone; elsewhere members see their own
        "/tiendo": (PROGRESS[role], PROGRESS["staff" if role == "none" else role], OM_PROGRESS,
                    PROGRESS[role]),
        "/bxh": {"none": (NOT_MEMBER, HAMLET_BOARD, OM_BOARD, NOT_MEMBER),
                 "staff": ("gửi trong nhóm của xã/phường", HAMLET_BOARD, OM_BOARD, NOT_LINKED),
                 "coordinator": ("Bảng xếp hạng Phường Long Mỹ",) * 2 + (OM_BOARD, NOT_LINKED),
                 "admin": ("Bảng xếp hạng Thành phố Cần Thơ",) * 2 + (OM_BOARD, NOT_LINKED),
                 }[role],
        "/hoi lương hưu": same(FAQ),
        "/tinh 3tr": same(CALC),
        "/lienket LM-KV1": {"none": same(NOT_MEMBER),
                            "staff": ("dùng trong nhóm chat", *("Chỉ ban chỉ đạo mới",) * 3),
                            "coordinator": ("dùng trong nhóm chat", LINKED, LINK_TAKEN, LINKED),
                            "admin": ("dùng trong nhóm chat", LINKED, LINKED, LINKED)}[role],
        "/trogiup": same(HELP[role]),
        "/xuat": coordinators(role, "Tệp Excel tiến độ", private=True),
        "/suachua LM-KV1 bhxh 2 bổ sung": coordinators(role, "Anh/chị xác nhận giúp nhé",
                                                       private=True),
        "/lichsu": member_only(role, (HISTORY.get(role, ""), *(ONLY_PRIVATE,) * 3)),
        "/moi staff LM-KV2": coordinators(role, "Mã mời cán bộ ấp của Khu vực 2", private=True),
        "/thanhvien": coordinators(role, "Thành viên của", private=True),
        "/roi": member_only(role, same(LEAVE)),
        # not commands for us: in a group the bot stays silent
        "trời hôm nay mưa to quá": ("câu này tôi chưa trả lời được", "", "", ""),
        "/tiendo@other_bot": ("", "", "", ""),
    }


MATRIX = [(role, command, answers) for role in ROLES
          for command, answers in expectations(role).items()]


def case_id(row) -> str:
    role, command, _ = row
    first = command.split()[0]
    return f"{first.lstrip('/') if first.startswith('/') else 'chatter'}-{role}"


@pytest.fixture
async def groups(demo):
    """g-own is linked to each role's home unit, made per test; g-other to Ô Môn."""
    async with demo.sessions() as session:
        other = await unit_by_code(OTHER, session=session)
        session.add(ChatLink(platform="console", chat_id="g-other", unit_id=other.id))
        await session.commit()
    return demo


@pytest.mark.parametrize("role,command,answers", MATRIX, ids=[case_id(r) for r in MATRIX])
async def test_command_role_place(groups, clock, role, command, answers):
    app = groups
    async with app.sessions() as session:
        home = await unit_by_code(HOME[role], session=session)
        session.add(ChatLink(platform="console", chat_id="g-own", unit_id=home.id))
        await session.commit()
    if role != "none":
        await add_member(app, "u-matrix", role, HOME[role])
    person = Person(app, clock, "u-matrix")
    for place, expected in zip(PLACES, answers):
        where = person if place == "private" else person.in_group(place)
        before = await ledger_rows(app)
        answer = await where.say(command)
        if expected:
            assert expected in answer, (place, answer)
        else:
            assert answer == "", (place, answer)
        written = await ledger_rows(app) - before
        assert written == (1 if expected == ACCEPTED else 0), (place, written)
