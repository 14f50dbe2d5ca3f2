"""BHXH's official figures: the strict import, snapshots superseded and kept, the latest
figure per unit, review flags; populations."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select

from bot.cli import cli
from bot.importer import ImportFailed, import_file
from models.ledger import Report
from models.official import (Official, OfficialFigure, last_two, latest_official, review_flags,
                             review_window)
from models.rollup import rollup
from models.units import Unit, unit_by_code

HEADER = "unit_code,programme,as_of,participants\n"
NOW = datetime(2026, 11, 2, 3, 0, tzinfo=timezone.utc)


def write(tmp_path: Path, text: str, name: str = "official.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def official(app, tmp_path: Path, text: str, by: str = "Chị Hoa (BHXH)",
                   now: datetime = NOW) -> int:
    async with app.sessions() as session:
        n = await import_file(write(tmp_path, HEADER + text), "official", session=session,
                              by=by, now=now)
        await session.commit()
        return n


async def ids(app, *codes: str) -> list[int]:
    async with app.sessions() as session:
        return [(await unit_by_code(c, session=session)).id for c in codes]


async def test_import_and_latest_per_unit(demo, tmp_path):
    rows = ("LM,bhxh_tn,2026-09-30,1100\nlm,bhxh_tn,2026-10-31,\"1.215\"\n"
            "LM,bhyt,2026-10-31,39870\nOM,bhxh_tn,2026-10-31,900\n"
            "LM,bhxh_tn,2026-11-30,1300\n")
    assert await official(demo, tmp_path, rows) == 5
    lm, om, mt = await ids(demo, "LM", "OM", "MT")
    async with demo.sessions() as session:
        found = await latest_official([lm, om, mt], date(2026, 11, 15), session=session)
        everyone = await latest_official(None, date(2026, 11, 15), session=session)
        before = await latest_official([lm], date(2026, 9, 29), session=session)
        stored = (await session.exec(select(OfficialFigure))).all()
    assert found == {(lm, "bhxh_tn"): Official(date(2026, 10, 31), 1215),
                     (lm, "bhyt"): Official(date(2026, 10, 31), 39870),
                     (om, "bhxh_tn"): Official(date(2026, 10, 31), 900)}
    assert everyone == found and before == {}
    assert {(s.imported_by, s.imported_at.replace(tzinfo=timezone.utc)) for s in stored} == {
        ("Chị Hoa (BHXH)", NOW)}
    assert found[(lm, "bhxh_tn")].difference(1200) == -15


async def test_reimport_supersedes_and_keeps_the_old_snapshot(demo, tmp_path):
    await official(demo, tmp_path, "LM,bhxh_tn,2026-10-31,1215\nLM,bhyt,2026-10-31,39870\n")
    later = datetime(2026, 11, 3, 1, 0, tzinfo=timezone.utc)
    await official(demo, tmp_path, "LM,bhxh_tn,2026-10-31,1230\n", by="Anh Tâm", now=later)
    [lm] = await ids(demo, "LM")
    async with demo.sessions() as session:
        found = await latest_official([lm], date(2026, 10, 31), session=session)
        rows = (await session.exec(select(OfficialFigure).where(
            OfficialFigure.programme == "bhxh_tn").order_by(OfficialFigure.id))).all()
    assert found[(lm, "bhxh_tn")] == Official(date(2026, 10, 31), 1230)
    assert found[(lm, "bhyt")] == Official(date(2026, 10, 31), 39870)  # untouched
    assert [(r.participants, r.imported_by, r.superseded_at is not None) for r in rows] == [
        (1215, "Chị Hoa (BHXH)", True), (1230, "Anh Tâm", False)]


async def test_bad_rows_are_listed_by_row_and_nothing_is_stored(demo, tmp_path):
    rows = ("LM,bhxh_tn,2026-10-31,1215\n"      # row 2: good
            "NOPE,bhxh_tn,2026-10-31,1\n"       # row 3: unknown unit
            "LM,bhxh,2026-10-31,1\n"            # row 4: programme
            "LM,bhyt,31/10/2026,1\n"            # row 5: date not ISO
            "LM,bhyt,2026-10-31,12.5\n"         # row 6: a decimal
            "LM,bhyt,2026-10-31,-3\n"           # row 7: negative
            "OM,bhyt,2026-10-31,=A1\n"          # row 8: a formula
            "lm,bhxh_tn,2026-10-31,1216\n")     # row 9: twice in the file
    with pytest.raises(ImportFailed) as failed:
        await official(demo, tmp_path, rows)
    assert [e.split(":")[0] for e in failed.value.errors] == [
        "row 3", "row 4", "row 5", "row 6", "row 7", "row 8", "row 9"]
    assert "YYYY-MM-DD" in failed.value.errors[2]
    async with demo.sessions() as session:
        assert (await session.exec(select(OfficialFigure))).all() == []


async def test_missing_column_fails_the_file(demo, tmp_path):
    path = write(tmp_path, "unit_code,programme,participants\nLM,bhyt,5\n")
    with pytest.raises(ImportFailed) as failed:
        async with demo.sessions() as session:
            await import_file(path, "official", session=session, by="x")
    assert failed.value.errors == ["row 1: missing column(s) as_of; expected unit_code, "
                                   "programme, as_of, participants"]


async def add_reports(app, code: str, programme: str, *entries: tuple[date, int, str]):
    async with app.sessions() as session:
        unit = await unit_by_code(code, session=session)
        for day, count, kind in entries:
            session.add(Report(unit_id=unit.id, programme=programme, count=count,
                               local_date=day, kind=kind,
                               source_key=f"t:{code}:{programme}:{day}:{count}:{kind}"))
        await session.commit()


@pytest.mark.parametrize("reported, flagged", [(120, False), (80, False), (121, True),
                                               (79, True)])
async def test_review_flag_when_the_gain_differs_by_more_than_the_share(
        demo, tmp_path, reported, flagged):
    await official(demo, tmp_path, "LM,bhxh_tn,2026-09-30,1100\nLM,bhxh_tn,2026-10-31,1200\n"
                                   "LM,bhxh_tn,2026-12-31,9999\n")  # after the day asked
    # Over LM's hamlets, between the snapshots; the edges and a baseline do not count.
    await add_reports(demo, "LM-KV1", "bhxh_tn", (date(2026, 9, 30), 50, "report"),
                      (date(2026, 10, 1), reported - 10, "report"),
                      (date(2026, 10, 15), 500, "baseline"), (date(2026, 11, 1), 70, "report"))
    await add_reports(demo, "LM-KV2", "bhxh_tn", (date(2026, 10, 31), 10, "report"))
    async with demo.sessions() as session:
        city = await unit_by_code("CT", session=session)
        tree = await rollup(city, date(2026, 11, 20), session=session)
        flags = await review_flags(tree, threshold=0.2, session=session)
    [lm] = await ids(demo, "LM")
    assert [(f.unit_id, f.programme, f.since, f.until, f.reported, f.official, f.gap)
            for f in flags] == ([(lm, "bhxh_tn", date(2026, 9, 30), date(2026, 10, 31),
                                  reported, 100, reported - 100)] if flagged else [])


async def test_review_flags_across_a_year_end_and_an_unchanged_count(demo, tmp_path):
    await official(demo, tmp_path, "OM,bhyt,2026-12-31,500\nOM,bhyt,2027-01-31,500\n"
                                   "MT,bhyt,2026-12-31,300\n")  # one snapshot: no pair
    await add_reports(demo, "OM-TH", "bhyt", (date(2027, 1, 2), 1, "report"))
    async with demo.sessions() as session:
        tree = await rollup(await unit_by_code("CT", session=session), date(2027, 2, 1),
                            session=session)
        flags = await review_flags(tree, threshold=0.2, session=session)
    [om] = await ids(demo, "OM")
    assert [(f.unit_id, f.reported, f.official) for f in flags] == [(om, 1, 0)]


async def test_review_flags_from_the_rollups_window_equal_their_own_query(demo, tmp_path):
    # Two pairs of snapshot days: the commoner one is summed in the roll-up's pass, the
    # other read by a query of its own; one window starts in the year before.
    await official(demo, tmp_path, "LM,bhxh_tn,2026-11-30,1000\nLM,bhxh_tn,2027-01-31,1000\n"
                                   "LM,bhyt,2026-11-30,50\nLM,bhyt,2027-01-31,80\n"
                                   "OM,bhyt,2026-12-31,500\nOM,bhyt,2027-01-31,400\n")
    await add_reports(demo, "LM-KV1", "bhxh_tn", (date(2026, 11, 30), 50, "report"),
                      (date(2026, 12, 1), 7, "report"), (date(2027, 1, 31), 5, "report"),
                      (date(2027, 1, 5), 300, "baseline"))
    await add_reports(demo, "LM-KV2", "bhyt", (date(2026, 12, 20), 9, "report"))
    await add_reports(demo, "OM-TH", "bhyt", (date(2026, 12, 31), 4, "report"),
                      (date(2027, 1, 2), 3, "report"))
    async with demo.sessions() as session:
        city = await unit_by_code("CT", session=session)
        day = date(2027, 2, 1)
        alone = await rollup(city, day, session=session)
        pairs = await last_two(await latest_official(alone.units, day, session=session),
                               session=session)
        window = review_window(pairs)
        assert window == (date(2026, 11, 30), date(2027, 1, 31))
        both = await rollup(city, day, session=session, window=window)
        assert all(both.figures(u) == alone.figures(u) for u in alone.units)
        flags = await review_flags(both, threshold=0.2, pairs=pairs, session=session)
        assert flags == await review_flags(alone, threshold=0.2, session=session)
    lm, om = await ids(demo, "LM", "OM")
    assert [(f.unit_id, f.programme, f.reported, f.official) for f in flags] == [
        (lm, "bhxh_tn", 12, 0), (lm, "bhyt", 9, 30), (om, "bhyt", 3, -100)]


def test_cli_official_import_with_who_and_template(tmp_path, monkeypatch):
    # SQLite only, on the built-in default configuration, as the other CLI import tests.
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["template", "units.csv"]).exit_code == 0
    assert runner.invoke(cli, ["units", "import", "units.csv"]).exit_code == 0
    result = runner.invoke(cli, ["template", "official.xlsx"])
    assert result.exit_code == 0 and "hamletbot official import" in result.output
    result = runner.invoke(cli, ["official", "import", "--by", "Chị Hoa", "official.xlsx"])
    assert result.exit_code == 0, result.output
    assert "Imported 2 official row(s)" in result.output
    write(tmp_path, HEADER + "LM,bhyt,2026-10-31,1.5\n", "bad.csv")
    result = runner.invoke(cli, ["official", "import", "bad.csv"])
    assert result.exit_code == 1 and "row 2: participants '1.5'" in result.output


async def test_population_import(demo, tmp_path):
    text = "unit_code,population,coverage_target\nLM,\"45.180\",95\nlm-kv1,5120,\nOM,,90\n"
    async with demo.sessions() as session:
        assert await import_file(write(tmp_path, text, "p.csv"), "population",
                                 session=session) == 3
        await session.commit()
    bad = ("unit_code,population,coverage_target\nLM,45180,95\nNOPE,1,\nOM,0,\nMT,1e5,\n"
           "lm,,\nMT,10,101\nMT,10,92.5\n")
    with pytest.raises(ImportFailed) as failed:
        async with demo.sessions() as session:
            await import_file(write(tmp_path, bad, "p2.csv"), "population", session=session)
    assert [e.split(":")[0] for e in failed.value.errors] == [
        "row 3", "row 4", "row 5", "row 6", "row 7", "row 8"]
    async with demo.sessions() as session:
        people = {c: (p, t) for c, p, t in (await session.exec(select(
            Unit.code, Unit.population, Unit.coverage_target_pct).where(
                (Unit.population.is_not(None)) | (Unit.coverage_target_pct.is_not(None))))).all()}
    assert people == {"LM": (45180, 95), "LM-KV1": (5120, None), "OM": (None, 90)}
