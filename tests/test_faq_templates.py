"""Every FAQ topic rendered on both sides of each change date, with the figures in force."""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from handlers.faq import ask
from models.faq import FaqLog
from sqlmodel import select
from tests.faq_fixtures import POLICY, context, db_session, incoming

TOPICS = ["thai_san", "huu_tri", "tu_tuat", "muc_dong", "phuong_thuc", "dieu_kien",
          "bhyt_hgd", "dang_ky", "rut_mot_lan", "the_bhyt"]
CHANGES = [d for d in POLICY.change_dates() if d > date(2025, 7, 1)] + [date(2025, 7, 1)]
DAYS = sorted({d for c in CHANGES for d in (c - timedelta(days=1), c)} - {date(2025, 6, 30)})
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


async def answer(day: date, question: str):
    async with db_session() as session:
        ctx = context(session, day, "hoi", question)
        replies = await ask(incoming(f"/hoi {question}", ctx.now), ctx)
        logs = (await session.exec(select(FaqLog))).all()
        return replies, logs


@pytest.mark.parametrize("topic", TOPICS)
@pytest.mark.parametrize("day", DAYS, ids=str)
async def test_every_topic_renders_with_a_dated_basis(topic, day):
    [reply] = (await answer(day, f"#chude:{topic}"))[0]
    last = reply.text.splitlines()[-1]
    assert last.startswith("Căn cứ: ") and "Áp dụng từ ngày " in last
    assert "{{" not in reply.text and "None" not in reply.text


@pytest.mark.parametrize("day, topic, present, absent", [
    (date(2026, 6, 30), "tu_tuat", "23.400.000 đ", "25.300.000 đ"),
    (date(2026, 7, 1), "tu_tuat", "25.300.000 đ", "23.400.000 đ"),
    (date(2026, 6, 30), "bhyt_hgd", "105.300 đ", "113.850 đ"),
    (date(2026, 7, 1), "bhyt_hgd", "113.850 đ", "105.300 đ"),
    (date(2026, 6, 30), "muc_dong", "10.296.000 đ", "11.132.000 đ"),
    (date(2026, 7, 1), "muc_dong", "11.132.000 đ", "10.296.000 đ"),
    (date(2026, 12, 31), "muc_dong", "330.000 đ", "484.000 đ"),
    (date(2027, 1, 1), "muc_dong", "đại lý thu", "484.000 đ"),
    (date(2025, 12, 31), "huu_tri", "nữ 56 tuổi 8 tháng", "nữ 57 tuổi"),
    (date(2026, 1, 1), "huu_tri", "nữ 57 tuổi", "56 tuổi"),
    (date(2026, 10, 15), "thai_san", "2.000.000 đ", "None"),
    (date(2026, 10, 15), "huu_tri", "45%", "None"),
    (date(2026, 10, 15), "the_bhyt", "30 ngày", "None"),
    (date(2026, 10, 15), "dang_ky", "1900 9068", "None"),
    (date(2026, 10, 15), "phuong_thuc", "đại lý thu", "60 tháng"),
    (date(2026, 10, 15), "bhyt_hgd", "đại lý thu", "80%"),
])
async def test_figures_follow_the_date(day, topic, present, absent):
    [reply] = (await answer(day, f"#chude:{topic}"))[0]
    assert present in reply.text and absent not in reply.text


async def test_question_is_answered_and_logged_without_digits():
    replies, logs = await answer(date(2026, 10, 15), "vợ tui sanh con thứ 2, gọi 0909123456 hông?")
    assert "2.000.000 đ" in replies[0].text
    [log] = logs
    assert log.topic == "thai_san" and "0909" not in log.question and "#" in log.question


async def test_off_topic_gets_the_fallback_and_hotline():
    replies, logs = await answer(date(2026, 10, 15), "kết quả xổ số miền tây")
    assert "1900 9068" in replies[0].text and not replies[0].choices
    assert logs[0].topic is None


async def test_empty_question_gets_an_example():
    replies, logs = await answer(date(2026, 10, 15), "  ")
    assert "/hoi" in replies[0].text and logs == []


async def test_close_topics_ask_with_choices():
    replies, _ = await answer(date(2026, 10, 15), "thai sản và lương hưu")
    [reply] = replies
    assert len(reply.choices) >= 2
    assert all(c.payload.startswith("/hoi #chude:") for c in reply.choices)


def test_no_figure_literals_in_faq_or_calc_templates():
    figure = re.compile(r"\d[\d.,]*\s*(%|đ\b|triệu|tháng|năm|ngày|tuổi)|\d{1,3}(\.\d{3})+")
    for path in [*TEMPLATES.glob("faq/*.j2"), *TEMPLATES.glob("calc/*.j2")]:
        text = re.sub(r"/tinh [^\n]*", "", path.read_text(encoding="utf-8"))  # usage examples
        assert not figure.search(text), f"{path.name}: {figure.search(text).group(0)}"


async def test_unmatched_report_counts_most_asked_first():
    from models.faq_queries import unmatched_report
    async with db_session() as session:
        for q, topic in [("gia lua", None), ("gia lua", None), ("xo so", None),
                         ("thai san", "thai_san")]:
            session.add(FaqLog(question=q, topic=topic, score=0.1))
        await session.flush()
        assert await unmatched_report(session=session, limit=5) == [("gia lua", 2), ("xo so", 1)]
