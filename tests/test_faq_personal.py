"""Personalised questions: the figure asked for, as of a date, in the reply; `hamletbot ask`
and `faq-eval --date`; clarifying choices that keep what the question said; small talk."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from bot.faq_cli import ask as ask_command, faq_eval
from handlers.faq import _answer, answer_question
from handlers.faq_slots import read_slots, slot_text
from tests.faq_fixtures import FAQ, POLICY, RENDER

PERSONAL = Path(__file__).resolve().parent / "faq_personal.jsonl"
VISIBLE = Path(__file__).resolve().parents[2] / "shared" / "faq_eval" / "visible.jsonl"
ROWS = [json.loads(line) for line in PERSONAL.read_text(encoding="utf-8").splitlines()]


def test_the_personalised_figure_is_right_given_the_answer():
    """Slots + computed answer, with the answer id given (the matcher is measured apart)."""
    wrong = [r["q"] for r in ROWS
             if r["expect"] not in _answer(r["answer"], r["q"], date.fromisoformat(r["date"]),
                                          POLICY, FAQ.catalogue, RENDER)[0].text]
    assert len(ROWS) >= 45 and 1 - len(wrong) / len(ROWS) >= 0.95, wrong


def test_the_personalised_figure_is_right_through_hoi():
    """The whole /hoi path: the matcher, the slots, the computed answer, on the row's date."""
    wrong = [r["q"] for r in ROWS
             if not any(r["expect"] in reply.text for reply in answer_question(
                 r["q"], date.fromisoformat(r["date"]), POLICY, FAQ, RENDER).replies)]
    assert 1 - len(wrong) / len(ROWS) >= 0.95, wrong


def test_slots_that_decide_skip_the_clarifying_question():
    done = answer_question("tui nam đóng 18 năm mức 2tr5 lãnh bao nhiêu một tháng",
                           date(2026, 11, 30), POLICY, FAQ, RENDER)
    assert done.answer == "huu_tri.muc_luong" and "1.075.000 đ" in done.replies[0].text


def test_a_clarifying_choice_keeps_the_slots_within_telegram_s_limit():
    slots = read_slots("chồng tui sinh 2/1966, nhà 4 người, thu nhập 3tr5, đóng 16 năm 6 tháng, "
                       "hộ cận nghèo, mất tháng 5/2026", date(2026, 11, 30))
    said = slot_text(slots, 64 - len("/hoi #traloi:rut_mot_lan.dieu_kien "))
    assert len(f"/hoi #traloi:rut_mot_lan.dieu_kien {said}".encode()) <= 64
    back = read_slots(slot_text(slots, 200), date(2026, 11, 30))
    assert back == slots.__class__(**{**slots.__dict__, "age": None, "period": back.period})


def test_a_picked_answer_uses_the_slots_it_carries():
    done = answer_question("#traloi:huu_tri.overview sinh 2/1966 dan ong", date(2026, 11, 30),
                           POLICY, FAQ, RENDER)
    assert done.answer == "huu_tri.tuoi" and "61 tuổi 9 tháng" in done.replies[0].text
    assert "tháng 11/2027" in done.replies[0].text and not done.logged


def test_small_talk_is_short_and_says_what_the_bot_does():
    for answer in ("smalltalk.chao", "smalltalk.cam_on"):
        [reply] = _answer(answer, "", date(2026, 11, 30), POLICY, FAQ.catalogue, RENDER)
        assert len(reply.text.splitlines()) <= 4 and "BHYT" in reply.text and not reply.choices


def test_ask_prints_the_answer_of_that_day():
    runner = CliRunner()
    may = runner.invoke(ask_command, ["--date", "2026-11-30", "ba tui mất tháng 5 được bao "
                                      "nhiêu tiền mai táng"])
    assert may.exit_code == 0 and "23.400.000 đ" in may.output and "25.300.000 đ" not in may.output
    assert "[Xem căn cứ] → /hoi #cancu:" in may.output
    july = runner.invoke(ask_command, ["--date", "2026-11-30", "má tui mất tháng 7 tiền mai táng"])
    assert "25.300.000 đ" in july.output
    bad = runner.invoke(ask_command, ["--date", "30/11/2026", "chào"])
    assert bad.exit_code != 0


def test_faq_eval_takes_a_date_and_checks_figures(tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text(PERSONAL.read_text(encoding="utf-8").splitlines()[14] + "\n", encoding="utf-8")
    result = CliRunner().invoke(faq_eval, ["--date", "2025-03-01", str(rows)])
    assert result.exit_code == 0, result.output
    assert "answers rendered on 2025-03-01: 1/1" in result.output
    assert result.output.splitlines()[-1].startswith("RESULT accuracy=")
    assert "figure right: " in result.output
