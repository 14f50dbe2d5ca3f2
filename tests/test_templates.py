"""Every template renders with sample data: a typo in a template fails CI, not a user."""
from __future__ import annotations

import re
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from babel.numbers import format_decimal, format_percent
from hypothesis import given, strategies as st

from bot.render import LOCALE, TEMPLATES_DIR, make_environment, make_renderer, num, pct, vnd
from models.completeness import Completeness, Silent
from models.progress import Progress
from models.rollup import UnitInfo
from models.weeks import Week

# The FAQ and calculator templates need the dated policy figures; their own tests render
# each one on both sides of every change date (tests/test_faq_templates.py, test_calculator.py).
ELSEWHERE = ("faq/", "calc/", "leaderboard/", "reminder/", "outbox/",  # + test_leaderboard.py
             "web/",  # every page and message: tests/test_dashboard*.py
             "monthly/")  # tests/test_monthly.py

unit = SimpleNamespace(name="Khu vực 1 (Long Mỹ)", code="LM-KV1", id=1, kind="commune")
ROWS = [Progress("bhxh_tn", 1215, 1509), Progress("bhyt", 52000, 50000)]
SAMPLE = dict(
    done={}, official={}, week=Week(date(2026, 11, 23)), when="this",
    span=(date(2026, 11, 23), date(2026, 11, 25)), total=Completeness(12, 9, 7), more=3,
    deadline=datetime(2026, 11, 27, 17, 0), at=datetime(2026, 11, 25, 9, 30),
    silent=[Silent(UnitInfo(3, "LM-KV3", "Khu vực 3", "hamlet", 1), ["Chị Tâm"], None)],
    unit=unit, counts={"bhxh_tn": 5, "bhyt": 3}, rows=ROWS, before={"bhxh_tn": 4},
    day=date(2026, 11, 25), today=date(2026, 11, 25), year=2026, bad="abc", cap=500,
    command="dangky", role="staff", moved_from=None, hours=48, undo_hours=48, typed="dangki",
    edit=False,
    nearest="dangky", limit=1000, count=2, code="XX-1", in_group=False, seconds=60,
    commands=["thamgia", "dangky", "tiendo", "lichsu", "roi", "hoi"],
    member=SimpleNamespace(role="staff"), children=[(unit, ROWS)],
    # coordinators' tools (templates/admin/, templates/export/)
    report=True, example="LM-KV1", home=unit, programme="bhxh_tn", amount=-3, achieved=406,
    reason="báo trùng ngày 20/11", too_long=False, min_length=3, max_length=200, many=False,
    person="Chị Lan", own=False, entry_kind="correction", uses=1, expires=date(2026, 12, 9), kind="hamlet",
    months=range(1, 13), file="tien-do-LM-2026.xlsx", url="https://bot.example/file/t/x.xlsx",
    minutes=60, members=[dict(id=3, name="Chị Lan", role="staff", unit_name=unit.name)],
    entries=[dict(at=datetime(2026, 11, 25, 9, 5), timed=True, kind="correction",
                  kind_label="Sửa số liệu",
                  programme="bhxh_tn", count=-3, unit_name="", who="Anh Minh",
                  note="báo trùng"),
             dict(at=date(2026, 9, 30), timed=False, kind="baseline",
                  kind_label="Số liệu ban đầu",
                  programme="bhyt", count=401, unit_name=unit.name, who=None, note=None)],
)
VARIANTS = [
    {},
    dict(role="coordinator", member=None, in_group=True, nearest=None, before={},
         rows=[Progress("bhxh_tn", 3, None), Progress("bhyt", 0, 10)], children=[],
         report=False, home=None, amount=5, too_long=True, many=True, own=True, kind="city", entry_kind="baseline",
         url=None, members=[], entries=[], edit=True),
    dict(role="admin", moved_from=unit, counts={"bhyt": 1}, programme="bhyt", kind="commune"),
    dict(total=Completeness(), silent=[], done={1: Completeness(12, 9, 7)}),
    dict(silent=[Silent(UnitInfo(2, "LM-KV2", "Khu vực 2", "hamlet", 1), ["Anh Bình"],
                        date(2026, 11, 18))], more=0),
]


def templates() -> list[str]:
    names = sorted(str(p.relative_to(TEMPLATES_DIR)) for p in TEMPLATES_DIR.rglob("*.j2"))
    return [n for n in names if not n.startswith(ELSEWHERE) and not n.startswith("_")]


@pytest.mark.parametrize("name", templates())
@pytest.mark.parametrize("variant", range(len(VARIANTS)))
def test_template_renders(name, variant):
    text = make_renderer()(name, **{**SAMPLE, **VARIANTS[variant]})
    assert text and "{{" not in text and "None" not in text


def test_progress_line_uses_vietnamese_numbers():
    text = make_renderer()("progress/unit.j2", **SAMPLE)
    assert "BHXH tự nguyện: 1.215/1.509 (80,52%), còn thiếu 294" in text
    assert "BHYT hộ gia đình: 52.000/50.000 (104,00%), đã đạt chỉ tiêu" in text


@pytest.mark.parametrize("value,expected", [(1215, "1.215"), (0, "0"), (1234567, "1.234.567")])
def test_num(value, expected):
    assert num(value) == expected


@given(st.one_of(st.integers(-10**15, 10**15), st.floats(-1e9, 1e9, allow_nan=False)))
def test_num_prints_what_babel_prints(value):
    assert num(value) == format_decimal(value, locale=LOCALE)


@given(st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.integers(-10**9, 10**9),
                 st.fractions(0, 10**4).map(float), st.sampled_from([0.00005, 0.125, 0.999995])))
def test_pct_prints_what_babel_prints(ratio):
    assert pct(ratio) == format_percent(ratio, format="#,##0.00%", locale=LOCALE)


def test_templates_are_not_checked_for_changes_outside_dev():
    assert not make_environment().auto_reload


def test_pct_and_vnd():
    assert pct(1215 / 1509) == "80,52%"
    assert pct(None) == "–"
    assert vnd(3_000_000) == "3.000.000 đ"


def test_no_line_loses_its_newline_before_endfor():
    """trim_blocks eats the newline after a block tag: a line of text ending in one
    ('… {% endif %}') right before '{% endfor %}' runs into the next item; add a blank line."""
    for path in TEMPLATES_DIR.rglob("*.j2"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for line, following in zip(lines, lines[1:]):
            text = re.sub(r"{%.*?%}", "", line).strip()
            assert not (text and line.rstrip().endswith("%}")
                        and following.lstrip().startswith("{% endfor")), f"{path.name}: {line}"
