"""Property tests: whatever text arrives, no exception escapes and every answer is ours.

Random unicode, huge numbers, control and zero-width characters, right-to-left marks,
very long lines and commands for other bots go through the parser and through the real
dispatcher and database.
"""
from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings, strategies as st

from handlers.commands import parse
from handlers.counts import parse_counts
from tests.ledger_helpers import ledger_rows

WEIRD = st.sampled_from(["\u200b", "\u200f", "\u202e", "\ufeff", "\x00", "\x1b", "\r", "\t",
                         "đ", "Đ", "ă", "ư", "\u0301", "🙂", "@otherbot", "@hamletbot",
                         "/", "-", "+", ".", ",", "e9", "bhyt", "xacnhan", " "])
NUMBERS = st.integers(min_value=-10**30, max_value=10**30).map(str)
COMMANDS = st.sampled_from(["/dangky", "/dk", "/đăngký", "/bhyt", "/huy", "/tiendo", "/hoi",
                            "/tinh", "/thamgia", "/lienket", "/trogiup", "/start", "đăng ký",
                            "/dangky@otherbot", "/dangky@hamletbot", "/xyz", ""])
TEXTS = st.one_of(
    st.text(max_size=300),
    st.builds(lambda c, parts: c + " " + "".join(parts), COMMANDS,
              st.lists(st.one_of(WEIRD, NUMBERS, st.text(max_size=5)), max_size=12)),
    st.builds(lambda c, n: f"{c} {'9' * n}", COMMANDS, st.integers(0, 3000)),
)


@given(TEXTS)
def test_parser_never_raises(text):
    parsed = parse(text, "hamletbot")
    assert isinstance(parsed.name, str)
    counts = parse_counts(parsed.args, "bhxh_tn", 500)
    assert counts.error or all(0 < n <= 500 for n in counts.values.values())


_ids = itertools.count()


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS, group=st.booleans())
async def test_dispatcher_answers_everything_with_a_template(staff, text, group):
    person = staff.in_group("g-fuzz") if group else staff
    before = await ledger_rows(staff.app)
    replies = await person.deliver(person.message(text, message_id=f"fz{next(_ids)}"))
    for reply in replies:
        assert reply.text.strip()
        assert "Traceback" not in reply.text and "{{" not in reply.text
    accepted = any("Đã ghi nhận" in r.text or "Đã hủy" in r.text for r in replies)
    if not accepted:  # rejected input stores nothing in the ledger
        assert await ledger_rows(staff.app) == before
