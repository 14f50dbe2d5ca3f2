"""Leaderboards: figures on a hand-computed ledger, ties, units without targets, layout, /bxh."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.render import make_renderer
from handlers.leaderboard import BoardSettings, board_reply, hamlet_view, view
from models.leaderboard import Week, board
from models.rollup import rollup
from models.ledger import Report
from models.members import ChatLink
from models.units import Target, Unit, unit_by_code
from tests.conftest import Person, add_member
from tests.test_console import converse

W47 = Week.parse("2026-W47")  # Mon 16 Nov – Sun 22 Nov 2026: 39 days left, 6 weeks
TODAY = date(2026, 11, 25)  # the Wednesday after W47: W47 is "tuần trước"

# (hamlet, programme, count, date, kind); hand-computed figures in the tests below
LEDGER = [
    ("H1", "bhxh_tn", 40, "2026-03-01", "baseline"),  # achieved, never a gain
    ("H1", "bhxh_tn", 5, "2026-10-26", "report"),  # first day of the four-week window
    ("H1", "bhxh_tn", 3, "2026-11-18", "report"),
    ("H1", "bhxh_tn", -1, "2026-11-19", "undo"),
    ("H1", "bhxh_tn", 7, "2026-11-23", "report"),  # the next week: not counted
    ("H2", "bhxh_tn", 20, "2026-10-25", "report"),  # the day before the window
    ("H2", "bhxh_tn", 27, "2026-11-20", "report"),
    ("H3", "bhxh_tn", 10, "2025-12-30", "report"),  # last year
    ("H3", "bhxh_tn", 30, "2026-11-16", "report"),
    ("H4", "bhxh_tn", 4, "2026-11-17", "report"),  # H4 has no target
    ("H1", "bhyt", 6, "2026-11-17", "report"),
]
TARGETS = [("H1", "bhxh_tn", 100), ("H2", "bhxh_tn", 100), ("H3", "bhxh_tn", 50),
           ("H1", "bhyt", 10)]


async def build(app, ledger=LEDGER, targets=TARGETS, year=2026) -> dict[str, Unit]:
    async with app.sessions() as session:
        x = Unit(code="X", name="Xã Thử", kind="commune")
        session.add(x)
        await session.flush()
        units = {"X": x}
        for code, name in [("H1", "Ấp Một"), ("H2", "Ấp Hai"), ("H3", "Ấp Ba"), ("H4", "Ấp Bốn")]:
            units[code] = Unit(code=code, name=name, kind="hamlet", parent_id=x.id)
            session.add(units[code])
        await session.flush()
        for code, programme, value in targets:
            session.add(Target(unit_id=units[code].id, programme=programme, year=year, value=value))
        for i, (code, programme, count, day, kind) in enumerate(ledger):
            session.add(Report(unit_id=units[code].id, programme=programme, count=count,
                               local_date=date.fromisoformat(day), source_key=f"t{i}", kind=kind))
        await session.commit()
        return units


async def board_of(app, code="X", week=W47):
    async with app.sessions() as session:
        unit = await unit_by_code(code, session=session)
        return board(await rollup(unit, week.end, session=session), unit.id)


async def test_week_figures_hand_computed(app):
    await build(app)
    board = await board_of(app)
    ranked = {s.unit.code: s for s in board.rankings["bhxh_tn"]}
    h1 = ranked["H1"].figures
    assert (h1.achieved, h1.target, h1.gain, h1.last4) == (47, 100, 2, 7)
    assert (h1.weeks_left, h1.needed_per_week) == (6, 9)  # ceil(53 / 6)
    assert h1.projected == 56  # 47 + floor(7 × 39 / 28)
    assert (ranked["H2"].figures.gain, ranked["H2"].figures.last4) == (27, 27)
    assert ranked["H3"].figures.achieved == 30  # last year's 10 not counted
    total = board.totals["bhxh_tn"]
    assert (total.achieved, total.target, total.gain, total.last4) == (128, 250, 63, 68)
    assert (total.needed_per_week, total.projected) == (21, 222)  # 128 + floor(68 × 39 / 28)
    assert board.totals["bhyt"].target == 10  # only H1 has one: the sum of those that do


async def test_ties_share_a_rank_and_units_without_target_come_last(app):
    await build(app)
    board = await board_of(app)
    order = [(s.unit.code, s.rank) for s in board.rankings["bhxh_tn"]]
    assert order == [("H3", 1), ("H2", 2), ("H1", 2), ("H4", None)]  # ties by name: Hai < Một


async def test_any_past_week_recomputes_exactly(app):
    await build(app)
    w48 = await board_of(app, week=W47.previous().previous())  # W45: 2–8 Nov
    h1 = {s.unit.code: s for s in w48.rankings["bhxh_tn"]}["H1"].figures
    assert (h1.achieved, h1.gain, h1.last4) == (45, 0, 5)


async def test_week_across_the_new_year(app):
    ledger = [("H1", "bhxh_tn", 5, "2026-12-29", "report"), ("H1", "bhxh_tn", 2, "2027-01-02", "report")]
    await build(app, ledger, [("H1", "bhxh_tn", 100)], year=2027)
    week = Week.containing(date(2027, 1, 1))
    assert (week.label, week.year, week.days_left) == ("2026-W53", 2027, 362)
    h1 = {s.unit.code: s for s in (await board_of(app, week=week)).rankings["bhxh_tn"]}["H1"].figures
    assert (h1.achieved, h1.gain, h1.last4) == (2, 2, 7)  # the old year's days count for pace only


async def test_no_targets_anywhere_renders(app):
    await build(app, targets=[])
    board = await board_of(app)
    assert all(s.rank is None for s in board.rankings["bhxh_tn"])
    text = board_reply(board, BoardSettings(), make_renderer(), TODAY).text
    assert "chưa có chỉ tiêu" in text and "None" not in text and "Dẫn đầu" not in text


async def test_text_names_strongest_and_weakest_warmly(app):
    await build(app)
    text = board_reply(await board_of(app), BoardSettings(), make_renderer(), TODAY).text
    assert "Tuần 16/11/2026 – 22/11/2026 (tuần trước)" in text
    assert "1. Ấp Ba: 60,00% (30/50), tuần trước +30" in text
    assert "2. Ấp Một: 47,00% (47/100), tuần trước +2, cần 9/tuần" in text
    assert "Toàn Xã Thử: 128/250 (51,20%), tuần trước +63." in text
    assert "mỗi tuần cần thêm 21 trong 6 tuần còn lại" in text
    assert "sẽ đạt khoảng 222 (88,80%)" in text
    assert "👏 Dẫn đầu: Ấp Ba." in text and "🤝 Cần tiếp sức: Ấp Một." in text


async def test_many_children_show_top_bottom_and_own_unit(app):
    async with app.sessions() as session:
        city = Unit(code="C", name="Tỉnh Thử", kind="city")
        session.add(city)
        await session.flush()
        for i in range(120):
            u = Unit(code=f"C{i:03}", name=f"Xã {i:03}", kind="commune", parent_id=city.id)
            session.add(u)
            await session.flush()
            session.add(Target(unit_id=u.id, programme="bhxh_tn", year=2026, value=200))
            session.add(Report(unit_id=u.id, programme="bhxh_tn", count=i + 1,
                               local_date=date(2026, 11, 17), source_key=f"c{i}"))
        await session.commit()
        mid = await unit_by_code("C060", session=session)
    board = await board_of(app, "C")
    data = view(board, BoardSettings(top_n=5, bottom_n=5, full_max=12), TODAY, focus_id=mid.id)
    rows = data["sections"][0].rows
    assert len(rows) == 11 and rows[5] is None
    assert [r.rank for r in rows if r] == [1, 2, 3, 4, 5, 116, 117, 118, 119, 120]
    assert data["sections"][0].focus.unit.code == "C060"
    text = board_reply(board, BoardSettings(), make_renderer(), TODAY, focus_id=mid.id).text
    assert "60. Xã 060" in text and "← đơn vị của anh/chị" in text
    assert len(text) < 2000  # Zalo's limit; no wall of text


async def test_bxh_in_a_linked_group_with_chart(demo, clock):
    await add_member(demo, "u-lan", "staff", "LM-KV1")
    async with demo.sessions() as session:
        lm = await unit_by_code("LM", session=session)
        session.add(ChatLink(platform="console", chat_id="g-1", unit_id=lm.id))
        await session.commit()
    lan = Person(demo, clock, "u-lan").in_group("g-1")
    [reply] = await lan.deliver(lan.message("/bxh"))
    assert "Bảng xếp hạng Phường Long Mỹ" in reply.text
    assert reply.image.startswith(b"\x89PNG")
    # this week so far (today is Wed 25 Nov), as in /tiendo and the export
    assert "Tuần 23/11/2026 – 29/11/2026 (tuần này, số liệu đến 25/11/2026)" in reply.text


@pytest.mark.parametrize("who,expected", [
    ("coordinator", "Bảng xếp hạng Phường Long Mỹ"), ("staff", "/tiendo"),
    ("stranger", "")])
async def test_bxh_in_private(people, who, expected):
    text = await people[who].say("/bxh")
    assert expected in text and "None" not in text


async def test_bxh_bad_week(coordinator):
    assert "2026-W47" in await coordinator.say("/bxh tuần sau")
    assert "Tuần 09/11/2026" in await coordinator.say("/bxh 2026-w46")


@pytest.mark.parametrize("week", ["9999-W52", "0001-W01", "1999-W10", "2028-W01"])
async def test_bxh_far_off_week_gets_an_answer(coordinator, week):
    # 9999-W52 raised OverflowError: no answer at all.
    assert f'Chưa hiểu tuần "{week}"' in await coordinator.say(f"/bxh {week}")


async def test_whole_tree_pass_equals_the_subtree_pass(app):
    await build(app)
    async with app.sessions() as session:
        x = await unit_by_code("X", session=session)
        whole = board(await rollup(None, W47.end, session=session), x.id)
    assert whole == await board_of(app)


async def test_pace_wording_says_how_many_times_the_current_pace_is_needed(coordinator):
    await coordinator.say("/bxh")  # nothing reported: the pace is zero
    for _ in range(2):
        await coordinator.say("/suachua LM-KV1 bhxh +9 bổ sung")
        await coordinator.say("1")
    board = await coordinator.say("/bxh")
    line = next(line for line in board.splitlines() if line.startswith("Giữ nhịp"))
    assert "tăng tốc thêm một chút" not in line
    assert "lần nhịp hiện nay" in line or "chưa có thêm người nào" in line, line


@pytest.mark.parametrize("words,offset", [("tuần này", 0), ("tuan truoc", -1), ("Tuần này", 0)])
async def test_bxh_weeks_in_words(coordinator, words, offset):
    this = Week.containing(coordinator.clock().date())
    week = Week(this.start + timedelta(days=7 * offset))
    assert f"Tuần {week.start:%d/%m/%Y}" in await coordinator.say(f"/bxh {words}")


async def test_bxh_week_number_of_this_year(coordinator):
    year = coordinator.clock().date().isocalendar().year
    monday = date.fromisocalendar(year, 2, 1)
    assert f"Tuần {monday:%d/%m/%Y}" in await coordinator.say("/bxh tuần 2")
    assert "tuần 47" in await coordinator.say("/bxh tuần 99")


async def test_a_hamlet_group_gets_its_own_summary(staff, coordinator, clock):
    """/bxh in a group linked to a hamlet: its figures, its week, its rank among its
    commune's hamlets and whether it reported, through the console."""
    linked = await converse(coordinator.app, clock, ":group kv1\n/lienket LM-KV1\n",
                            user_id="u-coord")
    assert "Mỗi tuần nhóm sẽ nhận bản tóm tắt của Khu vực 1 (Long Mỹ)" in linked
    transcript = await converse(staff.app, clock, ":group kv1\n/bxh\n/dangky 3\n/bxh\n")
    before, after = transcript.split("> /bxh")[1:]
    assert "🏡 Tiến độ Khu vực 1 (Long Mỹ)" in before
    assert "Tuần 23/11/2026 – 29/11/2026 (tuần này, số liệu đến 25/11/2026)" in before
    assert "⏳ Tuần này ấp chưa báo cáo." in before and "/dangky 0" in before
    assert "Đã có 401/453 (88,52%), tuần này 0." in before
    assert before.count("🏅 Hạng 1/4 ấp của Phường Long Mỹ.") == 2  # both programmes
    assert "✅ Tuần này ấp đã báo cáo đúng hạn." in after
    assert "Đã có 404/453 (89,18%), tuần này +3." in after
    assert "không có đơn vị trực thuộc" not in transcript and "None" not in transcript


async def test_hamlet_summary_ranks_among_the_commune_and_says_what_has_no_target(app):
    await build(app)
    async with app.sessions() as session:
        x = await unit_by_code("X", session=session)
        tree = await rollup(x, W47.end, session=session)
    render = make_renderer()
    by_code = {info.code: uid for uid, info in tree.units.items()}
    one = render("leaderboard/hamlet.j2", **hamlet_view(tree, by_code["H1"], TODAY, {}))
    assert "Tuần 16/11/2026 – 22/11/2026 (tuần trước)" in one
    assert "Đã có 47/100 (47,00%), tuần trước +2." in one
    assert "mỗi tuần cần thêm 9 trong 6 tuần còn lại" in one
    assert "🏅 Hạng 2/3 ấp của Xã Thử." in one  # tied with Ấp Hai (H3, H2 = H1, H4 unranked)
    assert "🏅 Hạng 1/1 ấp của Xã Thử." in one  # BHYT: only H1 has a target
    four = render("leaderboard/hamlet.j2", **hamlet_view(tree, by_code["H4"], TODAY, {}))
    assert "Đã có 4 (chưa có chỉ tiêu), tuần trước +4." in four
    assert four.count("Chưa có chỉ tiêu nên chưa xếp hạng trong Xã Thử.") == 2
    assert "ấp chưa báo cáo" not in four  # no staff: not counted as missing


async def test_bxh_of_a_week_not_begun(coordinator):
    assert "chưa bắt đầu" in await coordinator.say("/bxh tuần 52")
