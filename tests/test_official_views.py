"""BHXH's official figures beside the reported ones in /tiendo, the boards and the export;
rankings on either figure; health insurance coverage of the population."""
from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook

from bot.importer import import_file
from bot.render import make_renderer
from handlers.export import export_workbook
from handlers.leaderboard import BoardSettings, board_reply
from models.leaderboard import Standing, board, officials_of, rank
from models.official import Official
from models.rollup import Figures, UnitInfo, rollup
from models.units import unit_by_code


async def load(app, tmp_path: Path, kind: str, text: str, **extra) -> None:
    path = tmp_path / f"{kind}.csv"
    path.write_text(text, encoding="utf-8")
    async with app.sessions() as session:
        await import_file(path, kind, session=session, **extra)
        await session.commit()


OFFICIAL = ("unit_code,programme,as_of,participants\nLM,bhxh_tn,2026-10-31,1200\n"
            "LM-KV1,bhxh_tn,2026-10-31,410\nLM-KV1,bhxh_tn,2026-12-31,999\n")


async def test_tiendo_shows_both_figures_with_the_difference(coordinator, tmp_path):
    await load(coordinator.app, tmp_path, "official", OFFICIAL, by="test")
    text = await coordinator.say("/tiendo")
    # Reported 1.215 (the demo baselines) against BHXH's 1.200; a snapshot dated after
    # today is not shown yet.
    assert "BHXH tự nguyện: 1.215/1.509 (80,52%)" in text
    assert "↳ số liệu BHXH đến ngày 31/10/2026: 1.200 (chênh lệch +15)" in text
    assert "↳ số liệu BHXH đến ngày 31/10/2026: 410 (chênh lệch −9)" in text
    assert text.count("số liệu BHXH") == 2


async def test_board_shows_both_and_says_what_it_ranks_on(coordinator, tmp_path):
    await load(coordinator.app, tmp_path, "official", OFFICIAL, by="test")
    text = await coordinator.say("/bxh")
    assert "Xếp hạng theo số liệu báo cáo của cán bộ." in text
    assert "Toàn Phường Long Mỹ theo số liệu BHXH đến ngày 31/10/2026: 1.200 (chênh lệch +15)." \
        in text
    assert "↳ số liệu BHXH đến ngày 31/10/2026: 410 (chênh lệch −9), đạt 90,51% chỉ tiêu" in text


def standing(uid: int, name: str, achieved: int, official: int | None) -> Standing:
    figures = Figures("bhxh_tn", achieved, 100, 0, 0, 35)
    return Standing(UnitInfo(uid, f"U{uid}", name, "hamlet", 0), None, figures,
                    None if official is None else Official(date(2026, 10, 31), official))


def test_rank_on_reported_or_on_official_where_present():
    units = [standing(1, "An", 50, 30), standing(2, "Bình", 40, 60), standing(3, "Cần", 45, None)]
    assert [(s.unit.name, s.rank) for s in rank(units)] == [("An", 1), ("Cần", 2), ("Bình", 3)]
    assert [(s.unit.name, s.rank) for s in rank(units, "official")] == [
        ("Bình", 1), ("Cần", 2), ("An", 3)]


async def test_official_ranking_setting_orders_the_board_and_says_so(coordinator, tmp_path):
    app = coordinator.app
    # KV1 leads on reported figures (401/453); on BHXH's it falls behind KV2 (334/407).
    await load(app, tmp_path, "official", "unit_code,programme,as_of,participants\n"
                                          "LM-KV1,bhxh_tn,2026-10-31,300\n", by="test")
    async with app.sessions() as session:
        lm = await unit_by_code("LM", session=session)
        tree = await rollup(lm, date(2026, 11, 22), session=session)
        official = await officials_of(tree, [lm.id], session=session)
    order = {by: [s.unit.code for s in board(tree, lm.id, official, by).rankings["bhxh_tn"]]
             for by in ("reported", "official")}
    assert order["reported"][:2] == ["LM-KV1", "LM-KV2"]
    assert order["official"].index("LM-KV1") > order["official"].index("LM-KV2")
    text = board_reply(board(tree, lm.id, official, "official"), BoardSettings(),
                       make_renderer(), date(2026, 11, 25)).text
    assert "Xếp hạng theo số liệu BHXH; đơn vị chưa có số liệu BHXH xếp theo số báo cáo." in text


async def test_coverage_and_a_coverage_target_standing_in(app, tmp_path):
    await load(app, tmp_path, "units", "code,name,kind,parent_code\nX,Tỉnh X,city,\n"
               "X-A,Xã A,commune,X\nX-A1,Ấp A1,hamlet,X-A\nX-A2,Ấp A2,hamlet,X-A\n")
    await load(app, tmp_path, "targets", "unit_code,programme,year,value\n"
                                         "X-A1,bhyt,2026,900\n")
    await load(app, tmp_path, "baselines", "unit_code,programme,date,count\n"
               "X-A1,bhyt,2026-01-05,800\nX-A2,bhyt,2026-01-05,760\n")
    await load(app, tmp_path, "population", "unit_code,population,coverage_target\n"
               "X-A1,1000,95\nX-A2,\"1.000\",95\n")
    async with app.sessions() as session:
        a = await unit_by_code("X-A", session=session)
        tree = await rollup(a, date(2026, 11, 22), session=session)
    kids = {tree.units[c].code: tree.figures(c)["bhyt"] for c in tree.children[a.id]}
    # X-A1 keeps its count target; X-A2 has none: 95 % of its population stands in.
    assert (kids["X-A1"].target, kids["X-A1"].target_pct, kids["X-A1"].coverage) == (900, None, 0.8)
    assert (kids["X-A2"].target, kids["X-A2"].target_pct, kids["X-A2"].coverage) == (950, 95, 0.76)
    commune = tree.figures(a.id)["bhyt"]  # its population: the sum of its hamlets'
    assert (commune.population, commune.target, commune.coverage) == (2000, 900, 0.78)
    text = make_renderer()("progress/unit.j2", unit=tree.units[a.id], year=2026,
                           rows=tree.progress(a.id), today=date(2026, 11, 22), done={},
                           official={}, children=[(tree.units[c], tree.progress(c))
                                                  for c in tree.children[a.id]])
    assert "BHYT hộ gia đình: 1.560/900 (173,33%), đã đạt chỉ tiêu 🎉, bao phủ 78,00% dân số" \
        in text
    assert "BHYT hộ gia đình: 760/950 (chỉ tiêu: 95% dân số) (80,00%), còn thiếu 190, " \
           "bao phủ 76,00% dân số" in text


async def test_export_has_the_official_and_coverage_columns(demo, tmp_path):
    await load(demo, tmp_path, "official", OFFICIAL, by="test")
    await load(demo, tmp_path, "population", "unit_code,population,coverage_target\n"
                                             "LM,45180,95\n")
    async with demo.sessions() as session:
        lm = await unit_by_code("LM", session=session)
        data = await export_workbook(lm, 2026, today=date(2026, 11, 25), tz=demo.tz,
                                     session=session, render=demo.render)
    rows = list(load_workbook(BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    at = {name: header.index(name) for name in (
        "Số liệu BHXH", "Ngày số liệu BHXH", "Chênh lệch (báo cáo − BHXH)", "Dân số",
        "Bao phủ dân số")}
    lm_tn, lm_hi = rows[1], rows[2]
    assert [lm_tn[at[n]] for n in ("Số liệu BHXH", "Chênh lệch (báo cáo − BHXH)")] == [1200, 15]
    assert lm_tn[at["Ngày số liệu BHXH"]].date() == date(2026, 10, 31)
    assert lm_hi[at["Số liệu BHXH"]] is None and lm_hi[at["Dân số"]] == 45180
    assert abs(lm_hi[at["Bao phủ dân số"]] - 48303 / 45180) < 1e-9


async def test_weekly_push_ranks_on_official_and_shows_both(demo, clock, tmp_path):
    from datetime import datetime, timezone

    from bot.scheduler import Jobs
    from models.members import ChatLink
    from tests.test_scheduler import TZ, outbox

    await load(demo, tmp_path, "official", "unit_code,programme,as_of,participants\n"
                                           "LM-KV1,bhxh_tn,2026-10-31,300\n", by="test")
    async with demo.sessions() as session:
        lm = await unit_by_code("LM", session=session)
        session.add(ChatLink(platform="telegram", chat_id="-100123", unit_id=lm.id))
        await session.commit()
    jobs = Jobs(sessions=demo.sessions, render=make_renderer(),
                layout=BoardSettings(rank_by="official"), tz=TZ, platforms=["telegram"],
                clock=clock)
    assert await jobs.leaderboard(datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)) == 1
    [row] = await outbox(demo)
    text = row.payload["text"]
    assert "Xếp hạng theo số liệu BHXH" in text
    assert "1. Khu vực 2 (Long Mỹ)" in text  # KV1 (401 reported) ranks on BHXH's 300
    assert "↳ số liệu BHXH đến ngày 31/10/2026: 300 (chênh lệch +101), đạt 66,23% chỉ tiêu" \
        in text


async def test_a_scope_too_long_to_list_reads_every_unit(demo, tmp_path, monkeypatch):
    import models.official
    from models.official import latest_official, review_flags

    await load(demo, tmp_path, "official", "unit_code,programme,as_of,participants\n"
                                           "LM,bhyt,2026-09-30,100\nLM,bhyt,2026-10-31,150\n"
                                           "OM,bhyt,2026-10-31,7\n", by="test")
    async with demo.sessions() as session:
        lm = await unit_by_code("LM", session=session)
        tree = await rollup(lm, date(2026, 11, 1), session=session)
        listed = (await latest_official(tree.units, tree.as_of, session=session),
                  await review_flags(tree, threshold=0.2, session=session))
        monkeypatch.setattr(models.official, "WHOLE_TREE", 2)
        unlisted = (await latest_official(tree.units, tree.as_of, session=session),
                    await review_flags(tree, threshold=0.2, session=session))
    assert listed == unlisted
    assert listed[0] == {(lm.id, "bhyt"): Official(date(2026, 10, 31), 150)}  # OM left out
    assert [(f.reported, f.official) for f in listed[1]] == [(0, 50)]


async def test_a_hamlet_group_sees_its_official_figure(demo, clock, tmp_path):
    from models.members import ChatLink
    from tests.conftest import Person, add_member

    await load(demo, tmp_path, "official", OFFICIAL, by="test")
    await add_member(demo, "u-lan", "staff", "LM-KV1")
    async with demo.sessions() as session:
        kv1 = await unit_by_code("LM-KV1", session=session)
        session.add(ChatLink(platform="console", chat_id="g-kv1", unit_id=kv1.id))
        await session.commit()
    lan = Person(demo, clock, "u-lan").in_group("g-kv1")
    text = await lan.say("/bxh")
    assert "Theo số liệu BHXH đến ngày 31/10/2026: 410 (chênh lệch −9)." in text
