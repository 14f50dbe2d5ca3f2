"""The authorisation matrix, generated from the command table: every command × role × place.

Roles: nobody (has not joined), the staff member of LM-KV1, the coordinator of LM, the
admin of CT. Places, in this order: a private chat; a group linked to the person's own unit
(LM-KV1 for nobody); a group linked to another unit (Ô Môn); a group linked to nothing.
Each row of handlers/registry.py runs its sample in the four places one after another on one
fresh demo database. Where the row's roles and places refuse (`GATE`), the answer is the
refusal the row names; elsewhere the expected phrase is the handler's ("" means the bot stays
silent). Only an accepted report may write the ledger. tests/test_admin.py covers the
coordinators' tools unit by unit (own, below, sibling, above).
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.render import make_renderer
from handlers.access import GROUP, OWN_GROUP, PRIVATE, Command
from handlers.registry import COMMANDS
from models.members import ChatLink
from models.units import unit_by_code
from tests.conftest import Person, add_member
from tests.ledger_helpers import ledger_rows

HOME = {"none": "LM-KV1", "staff": "LM-KV1", "coordinator": "LM", "admin": "CT"}
OTHER, OTHER_NAME = "OM", "Phường Ô Môn"
PLACES = ("private", "g-own", "g-other", "g-unlinked")
ROLES = tuple(HOME)
GATE = "(refused by the table)"
RENDER = make_renderer()

NOT_MEMBER = "chưa tham gia nhóm cán bộ"
NOT_LINKED = "Nhóm này chưa được liên kết"
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
HAMLET_BOARD = "🏅 Hạng 1/4 ấp của Phường Long Mỹ"  # the hamlet's own summary
FAQ, CALC, CANCELLED = "Lương hưu khi đóng BHXH tự nguyện", "đóng 22% = 660.000 đ", "Đã bỏ qua"
LINKED = "Đã liên kết nhóm này với Khu vực 1 (Long Mỹ)"
LINK_TAKEN = "Nhóm này đang liên kết với Phường Ô Môn"
LEAVE = "Anh/chị chắc chứ?"
WEB_OFF = "Bảng theo dõi trên web chưa được bật"


def gate(row: Command, role: str, place: str) -> str | None:
    """The refusal the row calls for before its handler runs, or None: roles, then place."""
    if row.roles is not None:
        if role == "none":
            return RENDER("common/not_member.j2")
        if role not in row.roles:
            return RENDER(row.wrong_role, role=role)
    private = place == "private"
    if (PRIVATE if private else GROUP) in row.where:
        return None
    if private or OWN_GROUP not in row.where:
        return RENDER(row.wrong_place or "admin/only_private.j2")
    if place == "g-unlinked":
        return RENDER("common/group_not_linked.j2")
    if place == "g-other":
        return RENDER("reporting/wrong_group.j2", unit=SimpleNamespace(name=OTHER_NAME))
    return None


def same(phrase: str) -> tuple[str, str, str, str]:
    return (phrase,) * 4


def admitted(role: str) -> dict[str, tuple[str, tuple[str, str, str, str]]]:
    """For one role: command → its sample and the answers in (private, own group, other
    group, unlinked group) where the table lets it through; GATE where it refuses."""
    staff, coordinator = role == "staff", role in ("coordinator", "admin")
    report = (ACCEPTED, ACCEPTED, GATE, GATE) if staff else same(GATE)
    private_tool = lambda allowed: (allowed, GATE, GATE, GATE) if coordinator else same(GATE)  # noqa: E731
    return {
        "start": ("/start", same(WELCOME[role])),
        "thamgia": ("/thamgia AAAA-AAAA", ("Mã mời không đúng", GATE, GATE, GATE)),
        "dangky": ("/dangky 2", report),
        "bhyt": ("/bhyt 1", report),
        "huy": ("/huy", ("chưa có báo cáo nào để hủy",) * 2 + (GATE, GATE) if staff
                else same(GATE)),
        "boqua": ("/boqua", same(CANCELLED)),
        # a linked group shows its own unit to anyone; elsewhere members see their own
        "tiendo": ("/tiendo", (PROGRESS[role], PROGRESS["staff" if role == "none" else role],
                               OM_PROGRESS, PROGRESS[role])),
        "bxh": ("/bxh", {
            "none": (NOT_MEMBER, HAMLET_BOARD, OM_BOARD, NOT_MEMBER),
            "staff": ("gửi trong nhóm của xã/phường", HAMLET_BOARD, OM_BOARD, NOT_LINKED),
            "coordinator": ("Bảng xếp hạng Phường Long Mỹ",) * 2 + (OM_BOARD, NOT_LINKED),
            "admin": ("Bảng xếp hạng Thành phố Cần Thơ",) * 2 + (OM_BOARD, NOT_LINKED)}[role]),
        "hoi": ("/hoi lương hưu", same(FAQ)),
        "tinh": ("/tinh 3tr", same(CALC)),
        "lienket": ("/lienket LM-KV1", {"coordinator": (GATE, LINKED, LINK_TAKEN, LINKED),
                                        "admin": (GATE, LINKED, LINKED, LINKED)
                                        }.get(role, same(GATE))),
        "trogiup": ("/trogiup", same(HELP[role])),
        "xuat": ("/xuat", private_tool("Tệp Excel tiến độ")),
        "suachua": ("/suachua LM-KV1 bhxh 2 bổ sung", private_tool("Anh/chị xác nhận giúp nhé")),
        "lichsu": ("/lichsu", same(GATE) if role == "none" else (HISTORY[role], GATE, GATE, GATE)),
        "moi": ("/moi staff LM-KV2", private_tool("Mã mời cán bộ ấp của Khu vực 2")),
        "chuabaocao": ("/chuabaocao", private_tool(", tuần 23/11/2026 – 29/11/2026")),
        "baocaothang": ("/baocaothang", private_tool("📅 Báo cáo tháng 10/2026 – ")),
        "thanhvien": ("/thanhvien", private_tool("Thành viên của")),
        "roi": ("/roi", same(GATE if role == "none" else LEAVE)),
        # no web.public_url in these settings: members are told the dashboard is off
        "web": ("/web", same(GATE) if role == "none" else (WEB_OFF, GATE, GATE, GATE)),
    }


# Not commands for us: in a group the bot stays silent.
NOT_COMMANDS = {"trời hôm nay mưa to quá": ("câu này tôi chưa trả lời được", "", "", ""),
                "/tiendo@other_bot": ("", "", "", "")}


def expected(row: Command, role: str, answers: tuple[str, ...]) -> tuple[str, ...]:
    """The sample's answers with the table's refusals filled in; a GATE the table does not
    call for (or a refusal it calls for that the sample does not expect) fails here."""
    out = []
    for place, answer in zip(PLACES, answers):
        refusal = gate(row, role, place)
        assert (refusal is not None) == (answer == GATE), (row.name, role, place)
        out.append(refusal or answer)
    return tuple(out)


MATRIX = [(role, sample, expected(row, role, answers)) for role in ROLES for row in COMMANDS
          for sample, answers in [admitted(role)[row.name]]]
MATRIX += [(role, text, answers) for role in ROLES for text, answers in NOT_COMMANDS.items()]


def test_every_command_has_a_sample():
    assert sorted(row.name for row in COMMANDS) == sorted(admitted("none"))
    assert len({row.name for row in COMMANDS}) == len(COMMANDS)


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
