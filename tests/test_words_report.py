"""Staff reporting in plain words: the recogniser's table, the residents' questions it must
leave alone, and the conversation (proposed, recorded after a yes, nothing after a no)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from handlers.words_report import recognise
from tests.conftest import Person
from tests.ledger_helpers import ledger_sum

X, Y = "bhxh_tn", "bhyt"
# (how staff say it, what it reports)
WAYS = [
    ("bao 3 nguoi", {X: 3}), ("báo cáo 3 người", {X: 3}), ("Báo cáo 3 người", {X: 3}),
    ("hôm nay ấp tui được 3 người đăng ký", {X: 3}), ("bao cao 3 nguoi", {X: 3}),
    ("báo 5 người", {X: 5}), ("báo 5", {X: 5}), ("báo cáo 12", {X: 12}),
    ("ghi nhận 4 người", {X: 4}), ("ghi nhan 4 nguoi", {X: 4}), ("ghi 2 người", {X: 2}),
    ("đăng ký 3 người", {X: 3}), ("dang ky 3 nguoi", {X: 3}), ("3 người đăng ký", {X: 3}),
    ("3 nguoi dang ky", {X: 3}), ("hôm nay 3 người", {X: 3}), ("hom nay 3 nguoi", {X: 3}),
    ("được 7 người", {X: 7}), ("duoc 7 nguoi", {X: 7}), ("thêm 2 người", {X: 2}),
    ("them 2 nguoi", {X: 2}), ("vừa được 4 người", {X: 4}), ("có 3 người đăng ký", {X: 3}),
    ("có thêm 6 người tham gia", {X: 6}), ("3 hồ sơ", {X: 3}), ("3 hs", {X: 3}),
    ("nộp 3 hồ sơ", {X: 3}), ("báo cáo 3 hồ sơ bhxh", {X: 3}), ("bao 3 bhxh", {X: 3}),
    ("báo cáo 3 người bhxh tự nguyện", {X: 3}), ("3 người tự nguyện", {X: 3}),
    ("được 3 người đóng bhxh tự nguyện", {X: 3}), ("bhxh 3 người", {X: 3}),
    ("bhxh tự nguyện 4", {X: 4}), ("BHXH TN 4 người", {X: 4}), ("tự nguyện 5 người", {X: 5}),
    ("báo 3 bhyt", {Y: 3}), ("bao cao 3 nguoi bhyt", {Y: 3}), ("3 người bhyt", {Y: 3}),
    ("bhyt 3 người", {Y: 3}), ("3 người y tế", {Y: 3}), ("báo cáo 3 người y tế", {Y: 3}),
    ("được 2 hồ sơ bảo hiểm y tế", {Y: 2}), ("bhyt hộ gia đình 6", {Y: 6}),
    ("hôm nay ấp mình có 4 người đăng ký bhyt", {Y: 4}), ("bhyt 8", {Y: 8}),
    ("báo cáo 3 bhxh 2 bhyt", {X: 3, Y: 2}), ("3 người bhxh, 2 người bhyt", {X: 3, Y: 2}),
    ("bhxh 3 bhyt 2", {X: 3, Y: 2}), ("báo 5 tự nguyện 4 y tế", {X: 5, Y: 4}),
    ("hôm nay được 3 tự nguyện và 1 y tế", {X: 3, Y: 1}), ("báo cáo: 3 người.", {X: 3}),
    ("3người đăng ký", {X: 3}), ("Báo cáo hôm nay 10 người", {X: 10}),
    ("ấp 3 báo cáo 5 người", {X: 5}), ("chốt 9 người", {X: 9}), ("tổng kết 4 hồ sơ", {X: 4}),
    ("dk 3 nguoi", {X: 3}), ("báo cáo được 15 người đăng ký bhxh", {X: 15}),
    ("tui báo 3 người nha", {X: 3}), ("em báo cáo 6 người ạ", {X: 6}),
    ("bên em có 2 người tham gia bhyt", {Y: 2}), ("báo ３ người", {X: 3}),
    ("\u200fbáo 3 người", {X: 3}),
]


def test_table_has_at_least_60_ways():
    assert len(WAYS) >= 60


def test_recognition_rate_of_the_table():
    wrong = [(text, recognise(text)) for text, want in WAYS if recognise(text) != want]
    rate = 1 - len(wrong) / len(WAYS)
    print(f"recognised {len(WAYS) - len(wrong)}/{len(WAYS)} = {rate:.1%}; wrong: {wrong}")
    assert rate >= 0.95, wrong


NOT_REPORTS = [
    "đóng bhxh tự nguyện 3 năm được gì?", "tôi 45 tuổi đóng được không", "mức đóng 1 tháng",
    "nhà tôi 5 người mua bhyt bao nhiêu tiền", "bhyt hộ gia đình người thứ 2 giảm bao nhiêu",
    "có 3 người trong hộ thì đóng thế nào", "đăng ký ở đâu", "báo cáo thế nào",
    "thu nhập 3tr5 đóng bao nhiêu", "sinh năm 1980", "đóng 20 năm được lương hưu không",
    "bao 3 nguoi ?", "gọi 0912345678", "tuần 47", "100000 người",
    # Southern ways of asking the price, with no question mark and no "bao"
    "nhà tui 4 người mua BHYT hết nhiêu", "nha toi 4 nguoi mua bhyt het nhieu",
    "3 người mua bhyt hả", "nhà 5 người giá bhyt",
]


@pytest.mark.parametrize("text", NOT_REPORTS)
def test_questions_are_not_reports(text):
    assert recognise(text) is None


def test_no_resident_question_of_the_eval_set_is_a_report():
    """A check, not training: the residents' visible FAQ questions."""
    path = Path(__file__).parents[2] / "shared" / "faq_eval" / "visible.jsonl"
    if not path.exists():
        pytest.skip("no shared eval set here")
    questions = [json.loads(line)["q"] for line in path.read_text().splitlines() if line.strip()]
    assert [q for q in questions if recognise(q)] == []


async def test_staff_report_in_words_is_proposed_then_recorded_after_yes(staff: Person):
    replies = await staff.deliver(staff.message("hôm nay ấp tui được 3 người đăng ký"))
    assert "Ghi nhận 3 BHXH tự nguyện cho Khu vực 1 (Long Mỹ)?" in replies[0].text
    assert [c.label for c in replies[0].choices] == ["Đúng, ghi nhận", "Không, bỏ qua"]
    assert await ledger_sum(staff.app, "LM-KV1") == 0
    assert "Đã ghi nhận 3 BHXH tự nguyện" in await staff.say("1")
    assert await ledger_sum(staff.app, "LM-KV1") == 3


async def test_staff_report_in_words_button_and_no(staff: Person):
    replies = await staff.deliver(staff.message("báo cáo 2 người y tế"))
    assert "Ghi nhận 2 BHYT hộ gia đình" in replies[0].text
    assert "Đã bỏ qua" in await staff.say(replies[0].choices[1].payload, is_choice=True)
    replies = await staff.deliver(staff.message("bao 3 nguoi"))
    assert "Đã ghi nhận 3" in await staff.say(replies[0].choices[0].payload, is_choice=True)
    assert (await ledger_sum(staff.app, "LM-KV1"), await ledger_sum(staff.app, "LM-KV1", "bhyt")) == (3, 0)


async def test_resident_with_a_number_gets_the_faq(stranger: Person):
    answer = await stranger.say("bao 3 nguoi")
    assert "Ghi nhận" not in answer
    answer = await stranger.say("nhà tôi 3 người mua bhyt hộ gia đình bao nhiêu tiền")
    assert "Ghi nhận" not in answer and "BHYT" in answer


async def test_staff_question_still_answered(staff: Person):
    answer = await staff.say("bhyt hộ gia đình 3 người đóng bao nhiêu?")
    assert "Ghi nhận" not in answer and "BHYT" in answer
