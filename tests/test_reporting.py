"""Reporting conversations: /dangky, /bhyt, /huy, edits, and every kind of bad input."""
from __future__ import annotations

import pytest
from sqlmodel import select

from models.ledger import Report
from tests.conftest import Person, add_member
from tests.ledger_helpers import ledger_rows, ledger_sum


async def test_report_counts_and_shows_hamlet_progress(staff):
    answer = await staff.say("/dangky 5")
    assert "Đã ghi nhận 5 BHXH tự nguyện cho Khu vực 1 (Long Mỹ)" in answer
    # demo baseline 401 of 453 for this hamlet, plus 5
    assert "BHXH tự nguyện: 406/453 (89,62%), còn thiếu 47" in answer
    assert await ledger_sum(staff.app, "LM-KV1") == 5


@pytest.mark.parametrize("text", ["/dangky 5 bhyt 3", "/đăngký 5 BHYT 3", "Đăng ký 5 bhyt 3",
                                  "dang ky 5 bhyt 3", "/dk@hamletbot 5 bhyt 3"])
async def test_report_spellings(staff, text):
    assert "Đã ghi nhận 5 BHXH tự nguyện và 3 BHYT hộ gia đình" in await staff.say(text)
    assert await ledger_sum(staff.app, "LM-KV1", "bhyt") == 3


@pytest.mark.parametrize("text,counts", [
    ("/dangky 5 người", (5, 0)), ("/dangky 3 bhxh", (3, 0)), ("/dangky 3 BHXH tự nguyện", (3, 0)),
    ("/dangky 5 người bhyt 3 hồ sơ", (5, 3)), ("/dangky 4 hs y tế 2", (4, 2)),
    ("/bhyt 2 người", (0, 2)), ("/bhyt 2 bhyt", (0, 2)), ("/dangky \uff15", (5, 0)),
    ("\u200f/dangky 5", (5, 0)), ("\ufeff/dangky 5\u200e", (5, 0)), ("/dang\u200bky 5", (5, 0)),
    ("\u202bđăng ký 5", (5, 0)), ("/dangky 3 bhyt", (0, 3)), ("/dangky 3 người bhyt", (0, 3)),
    ("/dangky 3 y tế", (0, 3)), ("/dangky 2 bhxh 4 bhyt", (2, 4)),
    ("/dangky 2 bhyt 4 bhxh", (4, 2)), ("/dangky 2 người tự nguyện 4 hồ sơ bhyt", (2, 4)),
])
async def test_report_with_words_and_marks(staff, text, counts):
    assert "Đã ghi nhận" in await staff.say(text)
    assert (await ledger_sum(staff.app, "LM-KV1"), await ledger_sum(staff.app, "LM-KV1", "bhyt")) == counts


async def test_bhyt_command(staff):
    assert "Đã ghi nhận 4 BHYT hộ gia đình" in await staff.say("/bhyt 4")
    assert await ledger_sum(staff.app, "LM-KV1", "bhyt") == 4
    assert await ledger_sum(staff.app, "LM-KV1", "bhxh_tn") == 0


BAD_REPORTS = [  # (text, a phrase of the expected answer)
    ("/dangky", "chưa ghi số người"),
    ("/dangky abc", '"abc" không phải là số người'),
    ("/dangky -3", "phải lớn hơn 0"),
    ("/dangky 5 bhyt 0", "phải lớn hơn 0"),  # a nil report is /dangky 0 alone
    ("/dangky 5.5", "phải là số nguyên"),
    ("/dangky 1e9", "cách viết số của máy tính"),
    ("/dangky 5 người 3", "chưa hiểu phần \"3\""),
    ("/dangky năm", "\"năm\" không phải là số người"),
    ("đăng ký 5 bhyt năm", "\"năm\" không phải là số người"),
    ("/dangky \u0661\u0662", "không phải là số người"),
    ("/dangky \u0967", "không phải là số người"),
    ("/dangky 501", "tối đa 500 người"),
    ("/dangky 99999999999999999999", "tối đa 500 người"),
    ("/dangky 5 7", 'chưa hiểu phần "7"'),
    ("/dangky bhyt", "chưa ghi số người"),
    ("/dangky 3 bhyt 4 bhyt", 'chưa hiểu phần "bhyt"'),
    ("/dangky x bhyt", '"x" không phải là số người'),
    ("/bhyt", "chưa ghi số người"),
    ("/bhyt x", '"x" không phải là số người'),
    ("/dangky " + "9" * 900, "tối đa 500 người"),
    ("/dangky " + "x" * 2000, "Tin nhắn dài quá"),
]


@pytest.mark.parametrize("text,expected", BAD_REPORTS)
async def test_bad_report_gets_clear_answer_and_stores_nothing(staff, text, expected):
    before = await ledger_rows(staff.app)
    assert expected in await staff.say(text)
    assert await ledger_rows(staff.app) == before


async def test_large_report_asks_to_confirm_then_counts_once(staff):
    replies = await staff.deliver(staff.message("/dangky 60"))
    assert "xác nhận" in replies[0].text
    assert [c.label for c in replies[0].choices] == ["Đúng, ghi nhận", "Không, bỏ qua"]
    assert await ledger_sum(staff.app, "LM-KV1") == 0
    assert "Đã ghi nhận 60" in await staff.say("1")
    assert "hết hạn" in await staff.say("1")  # the choice is used up
    assert await ledger_sum(staff.app, "LM-KV1") == 60


async def test_pressed_button_confirms_and_no_cancels(staff):
    replies = await staff.deliver(staff.message("/dangky 70"))
    no = replies[0].choices[1].payload
    assert "Đã bỏ qua" in await staff.say(no, is_choice=True)
    assert await ledger_sum(staff.app, "LM-KV1") == 0
    old_yes = replies[0].choices[0].payload
    assert "hết hạn" in await staff.say(old_yes, is_choice=True)


async def test_choice_number_out_of_range(staff):
    await staff.say("/dangky 60")
    assert "từ 1 đến 2" in await staff.say("3")


async def test_stranger_cannot_report(stranger):
    assert "chưa tham gia" in await stranger.say("/dangky 5")
    assert await ledger_rows(stranger.app) > 0  # only the demo baselines
    assert await ledger_sum(stranger.app, "LM-KV1") == 0


async def test_coordinator_cannot_report(coordinator):
    answer = await coordinator.say("/dangky 5")
    assert "ban chỉ đạo" in answer and "cán bộ ấp" in answer
    assert await ledger_sum(coordinator.app, "LM") == 0


async def test_report_in_unlinked_group_is_refused(staff):
    group = staff.in_group("g-unlinked")
    assert "chưa được liên kết" in await group.say("/dangky 5")
    assert await ledger_sum(staff.app, "LM-KV1") == 0


async def test_report_in_group_linked_to_another_unit(staff, demo, clock):
    await add_member(demo, "u-om", "coordinator", "OM", name="Chú Ba")
    await Person(demo, clock, "u-om").in_group("g-om").say("/lienket OM")
    assert "thuộc Phường Ô Môn" in await staff.in_group("g-om").say("/dangky 5")


async def test_report_in_linked_group_counts(staff, coordinator):
    await coordinator.in_group("g-lm").say("/lienket LM")
    assert "Đã ghi nhận 2" in await staff.in_group("g-lm").say("/dangky@hamletbot 2")
    assert await ledger_sum(staff.app, "LM-KV1") == 2


async def test_same_message_delivered_twice_counts_once(staff):
    msg = staff.message("/dangky 5")
    first = await staff.deliver(msg)
    second = await staff.deliver(msg)
    assert [r.text for r in first] == [r.text for r in second]
    assert await ledger_sum(staff.app, "LM-KV1") == 5


async def test_undo_last_report(staff, clock):
    await staff.say("/dangky 5")
    clock.advance(minutes=30)
    await staff.say("/dangky 3 bhyt 2")
    clock.advance(hours=3)
    [asked] = await staff.deliver(staff.message("/huy"))
    assert asked.text.splitlines()[:2] == [
        "Anh/chị muốn hủy báo cáo này?",
        "3 BHXH tự nguyện và 2 BHYT hộ gia đình cho Khu vực 1 (Long Mỹ), gửi lúc 09:30 "
        "ngày 25/11/2026."]
    assert [c.label for c in asked.choices] == ["Đúng, hủy báo cáo này", "Không, bỏ qua"]
    assert await ledger_sum(staff.app, "LM-KV1", "bhyt") == 2  # asking undoes nothing
    answer = await staff.say("1")
    assert "Đã hủy báo cáo ngày 25/11/2026: 3 BHXH tự nguyện và 2 BHYT hộ gia đình" in answer
    assert await ledger_sum(staff.app, "LM-KV1") == 5
    assert await ledger_sum(staff.app, "LM-KV1", "bhyt") == 0
    assert "Đã hủy" in await staff.undo()
    assert await ledger_sum(staff.app, "LM-KV1") == 0
    assert "chưa có báo cáo nào để hủy" in await staff.say("/huy")


async def test_undo_after_48_hours_is_refused(staff, clock):
    await staff.say("/dangky 5")
    clock.advance(hours=48, seconds=1)
    assert "đã quá 48 giờ" in await staff.say("/huy")
    assert await ledger_sum(staff.app, "LM-KV1") == 5


async def test_undo_within_48_hours(staff, clock):
    await staff.say("/dangky 5")
    clock.advance(hours=47, minutes=59)
    assert "Đã hủy" in await staff.undo()


async def test_undo_answered_no_keeps_the_report(staff):
    await staff.say("/dangky 5")
    assert "hủy báo cáo này" in await staff.say("/huy")
    assert await staff.say("2") == "Đã bỏ qua, báo cáo vẫn được giữ nguyên."
    assert await ledger_sum(staff.app, "LM-KV1") == 5
    assert "hết hạn" in await staff.say("1")  # the question is answered: no yes after a no


async def test_undo_question_left_unanswered_expires(staff, clock):
    await staff.say("/dangky 5")
    await staff.say("/huy")
    clock.advance(hours=24, seconds=1)
    assert "hết hạn" in await staff.say("1")
    assert await ledger_sum(staff.app, "LM-KV1") == 5


async def test_undo_yes_past_the_window_is_refused(staff, clock):
    await staff.say("/dangky 5")
    clock.advance(hours=47)
    assert "hủy báo cáo này" in await staff.say("/huy")
    clock.advance(hours=2)
    assert "đã quá 48 giờ" in await staff.say("1")
    assert await ledger_sum(staff.app, "LM-KV1") == 5


async def test_typed_yes_payload_only_asks(staff):
    """Only the yes to the question undoes: the payload typed by hand asks again."""
    await staff.say("/dangky 5")
    async with staff.app.sessions() as session:
        [report] = (await session.exec(select(Report).where(Report.kind == "report"))).all()
    assert "hủy báo cáo này" in await staff.say(f"/huy {report.id} xacnhan")
    assert await ledger_sum(staff.app, "LM-KV1") == 5


async def test_undo_skips_nil_reports(staff):
    await staff.say("/dangky 5")
    await staff.say("/dangky 0")
    assert "5 BHXH tự nguyện cho" in await staff.say("/huy")  # the nil is not undone
    assert "Đã hủy" in await staff.say("1")
    assert await ledger_sum(staff.app, "LM-KV1") == 0
    assert await ledger_sum(staff.app, "LM-KV1", kinds=("nil",)) == 0
    assert "chưa có báo cáo nào để hủy" in await staff.say("/huy")


async def test_undo_yes_after_an_edit_undoes_the_report_as_it_stands(staff):
    original = staff.message("/dangky 5")
    await staff.deliver(original)
    assert "5 BHXH tự nguyện cho" in await staff.say("/huy")
    await staff.edit(original, "/dangky 7")
    assert "7 BHXH tự nguyện" in await staff.say("1")
    assert await ledger_sum(staff.app, "LM-KV1") == 0


async def test_undo_yes_to_a_report_undone_elsewhere_says_so(staff, coordinator):
    await coordinator.in_group("g-lm").say("/lienket LM")
    await staff.say("/dangky 5")
    group = staff.in_group("g-lm")
    assert "hủy báo cáo này" in await staff.say("/huy")  # asked in private
    assert "hủy báo cáo này" in await group.say("/huy")  # and in the group
    assert "Đã hủy" in await group.say("1", addressed_to_bot=True)  # a reply to the bot
    assert await staff.say("1") == "Báo cáo này đã được hủy rồi, không cần hủy lại."
    assert await ledger_sum(staff.app, "LM-KV1") == 0


async def test_undo_by_stranger(stranger):
    assert "chưa tham gia" in await stranger.say("/huy")


async def test_edit_corrects_report_once(staff):
    original = staff.message("/dangky 5")
    await staff.deliver(original)
    answer = await staff.edit(original, "/dangky 7")
    assert "Đã sửa báo cáo (trước: 5 BHXH tự nguyện): nay là 7 BHXH tự nguyện" in answer
    assert await staff.edit(original, "/dangky 7") == answer  # the same edit redelivered
    assert await ledger_sum(staff.app, "LM-KV1") == 7
    await staff.edit(original, "/dangky 2", edit_id="2")  # a second, different edit
    assert await ledger_sum(staff.app, "LM-KV1") == 2


async def test_bad_edit_keeps_the_count(staff):
    original = staff.message("/dangky 5")
    await staff.deliver(original)
    assert "phải lớn hơn 0" in await staff.edit(original, "/dangky -1")
    assert "vẫn giữ nguyên" in await staff.edit(original, "cảm ơn", edit_id="2")
    assert await ledger_sum(staff.app, "LM-KV1") == 5


async def test_edit_of_other_message_is_silent(staff):
    original = staff.message("/tiendo")
    await staff.deliver(original)
    assert await staff.edit(original, "/tiendo ") == ""


async def test_undo_after_edit_reverses_the_corrected_figure(staff):
    original = staff.message("/dangky 5")
    await staff.deliver(original)
    await staff.edit(original, "/dangky 7")
    assert "7 BHXH tự nguyện" in await staff.undo()
    assert await ledger_sum(staff.app, "LM-KV1") == 0


async def test_edit_of_a_confirmed_report_corrects_it(staff):
    original = staff.message("/dangky 60")
    await staff.deliver(original)
    assert "Đã ghi nhận 60" in await staff.say("1")
    assert "sửa báo cáo thành 61" in await staff.edit(original, "/dangky 61")
    assert "Đã sửa báo cáo (trước: 60 BHXH tự nguyện): nay là 61" in await staff.say("1")
    assert await ledger_sum(staff.app, "LM-KV1") == 61  # not 121


async def test_edit_above_confirm_limit_asks_first(staff):
    original = staff.message("/dangky 5")
    await staff.deliver(original)
    assert "xác nhận" in await staff.edit(original, "/dangky 400")
    assert await ledger_sum(staff.app, "LM-KV1") == 5
    assert "Đã bỏ qua" in await staff.say("2")
    assert "tối đa 500" in await staff.edit(original, "/dangky 600", edit_id="2")
    assert await ledger_sum(staff.app, "LM-KV1") == 5


async def test_edit_after_the_window_points_to_correction(staff, clock):
    original = staff.message("/dangky 5")
    await staff.deliver(original)
    before = await ledger_rows(staff.app)
    clock.advance(days=40)
    answer = await staff.edit(original, "/dangky 400")
    assert "đã quá 48 giờ" in answer and "/suachua" in answer
    assert await ledger_rows(staff.app) == before


async def test_edit_keeps_the_window_of_the_first_report(staff, clock):
    original = staff.message("/dangky 5")
    await staff.deliver(original)
    clock.advance(hours=47)
    await staff.edit(original, "/dangky 6")
    clock.advance(hours=2)  # 49 hours after the report, 2 after its edit
    assert "đã quá 48 giờ" in await staff.edit(original, "/dangky 7", edit_id="2")
    assert "đã quá 48 giờ" in await staff.say("/huy")
    assert await ledger_sum(staff.app, "LM-KV1") == 6


async def test_edit_of_an_undone_report_does_not_bring_it_back(staff):
    original = staff.message("/dangky 5")
    await staff.deliver(original)
    await staff.undo()
    assert "đã được hủy" in await staff.edit(original, "/dangky 6")
    assert await ledger_sum(staff.app, "LM-KV1") == 0


@pytest.mark.parametrize("first", ["/tiendo", "/dangky -1", "chào bot"])
async def test_edit_of_a_message_that_never_counted_records_nothing(staff, first):
    original = staff.message(first)
    await staff.deliver(original)
    before = await ledger_rows(staff.app)
    assert "chưa được ghi nhận là báo cáo" in await staff.edit(original, "/dangky 9")
    assert await ledger_rows(staff.app) == before
