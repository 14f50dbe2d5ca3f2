"""CSV import: atomic, every bad row named by its spreadsheet row number."""
from __future__ import annotations

import asyncio
import re
import tracemalloc
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func
from sqlmodel import select

from bot.cli import cli
from bot.config import ImportSettings
from bot.importer import ImportFailed, import_file, read_rows
from models.units import Target, Unit
from tests.test_export import xlsx


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def count(app, table) -> int:
    async with app.sessions() as session:
        return (await session.exec(select(func.count()).select_from(table))).one()


async def run_import(app, path: Path, kind: str) -> int:
    async with app.sessions() as session:
        n = await import_file(path, kind, session=session)
        await session.commit()
        return n


UNITS = """code,name,kind,parent_code
X,Tỉnh X,city,
X-A,Xã A,commune,X
X-A1,Ấp A1,hamlet,X-A
"""


async def test_units_then_targets(app, tmp_path):
    assert await run_import(app, write(tmp_path, "u.csv", UNITS), "units") == 3
    targets = "unit_code,programme,year,value\nX-A1,bhxh_tn,2026,120\nx-a,bhyt,2026,\"1.500\"\n"
    assert await run_import(app, write(tmp_path, "t.csv", targets), "targets") == 2
    again = "unit_code,programme,year,value\nX-A1,bhxh_tn,2026,130\n"
    await run_import(app, write(tmp_path, "t2.csv", again), "targets")  # updates in place
    async with app.sessions() as session:
        values = sorted(t.value for t in await session.exec(select(Target)))
    assert values == [130, 1500]


async def test_children_may_come_before_parents(app, tmp_path):
    text = "code,name,kind,parent_code\nY-A1,Ấp,hamlet,Y-A\nY-A,Xã,commune,Y\nY,Tỉnh,city,\n"
    assert await run_import(app, write(tmp_path, "u.csv", text), "units") == 3


async def test_bad_unit_rows_are_all_reported_and_nothing_imported(app, tmp_path):
    text = UNITS + ("X-B,,commune,X\n"           # row 5: no name
                    "X-C,Xã C,village,X\n"         # row 6: bad kind
                    "X-A2,Ấp A2,hamlet,NOPE\n"     # row 7: unknown parent
                    "X-A3,Ấp A3,hamlet,X\n"        # row 8: hamlet under a city
                    "X-A1,Ấp A1 lần hai,hamlet,X-A\n"  # row 9: duplicate
                    "bad code!,Ấp,hamlet,X-A\n")   # row 10: bad code
    with pytest.raises(ImportFailed) as failed:
        await run_import(app, write(tmp_path, "u.csv", text), "units")
    rows = [e.split(":")[0] for e in failed.value.errors]
    assert rows == ["row 5", "row 6", "row 7", "row 8", "row 9", "row 10"]
    assert await count(app, Unit) == 0


async def test_bad_target_rows(app, tmp_path):
    await run_import(app, write(tmp_path, "u.csv", UNITS), "units")
    text = ("unit_code,programme,year,value\nX-A1,bhxh_tn,2026,10\nNOPE,bhyt,2026,1\n"
            "X-A1,bhxhh,2026,1\nX-A1,bhyt,26,1\nX-A1,bhyt,2026,-4\nX-A1,bhxh_tn,2026,11\n")
    with pytest.raises(ImportFailed) as failed:
        await run_import(app, write(tmp_path, "t.csv", text), "targets")
    assert [e.split(":")[0] for e in failed.value.errors] == [
        "row 3", "row 4", "row 5", "row 6", "row 7"]
    assert "twice" in failed.value.errors[-1]
    assert await count(app, Target) == 0


async def test_missing_column(app, tmp_path):
    with pytest.raises(ImportFailed) as failed:
        await run_import(app, write(tmp_path, "u.csv", "code,name\nX,Y\n"), "units")
    assert "missing column(s) kind, parent_code" in failed.value.errors[0]


async def test_baselines_once(app, tmp_path):
    await run_import(app, write(tmp_path, "u.csv", UNITS), "units")
    text = "unit_code,programme,date,count\nX-A1,bhxh_tn,2026-09-30,40\n"
    assert await run_import(app, write(tmp_path, "b.csv", text), "baselines") == 1
    with pytest.raises(ImportFailed) as failed:
        await run_import(app, write(tmp_path, "b.csv", text), "baselines")
    assert "already recorded" in failed.value.errors[0]
    bad = "unit_code,programme,date,count\nX-A1,bhxh_tn,30/09/2026,40\n"
    with pytest.raises(ImportFailed) as failed:
        await run_import(app, write(tmp_path, "b2.csv", bad), "baselines")
    assert "YYYY-MM-DD" in failed.value.errors[0]


def test_cli_import_reports_rows_and_exit_code(tmp_path, monkeypatch):
    # SQLite only, on purpose: the CLI on the built-in default configuration (the import
    # itself runs on both databases in the tests above).
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    units = write(tmp_path, "u.csv", UNITS)
    result = runner.invoke(cli, ["units", "import", str(units)])
    assert result.exit_code == 0, result.output
    assert "Imported 3 units row(s)" in result.output
    bad = write(tmp_path, "t.csv", "unit_code,programme,year,value\nX-A1,bhyt,2026,abc\n")
    result = runner.invoke(cli, ["targets", "import", str(bad)])
    assert result.exit_code == 1
    assert "row 2: value 'abc' must be a whole number" in result.output


# --- the unit tree stays a tree (issue 13, item 4) -----------------------------------------

@pytest.mark.parametrize("text, first_error", [
    ("X,Tỉnh X,commune,X\n", "row 2: X cannot be its own parent"),
    # X-A under X and X under X-A: each parent checked against the kind it will have
    ("X,Tỉnh X,hamlet,X-A\nX-A,Xã A,commune,X\n",
     "row 3: the parent of a commune must be a city, X is a hamlet"),
    # X-A becomes a city, but the hamlet X-A1 (not in the file) stays under it
    ("X-A,Xã A,city,\n", "row 2: X-A1 (a hamlet) is under X-A, which cannot be a city"),
])
async def test_a_cycle_or_kind_conflict_is_refused_with_its_row(app, tmp_path, text, first_error):
    await run_import(app, write(tmp_path, "u.csv", UNITS), "units")
    bad = write(tmp_path, "u2.csv", "code,name,kind,parent_code\n" + text)
    with pytest.raises(ImportFailed) as failed:
        await run_import(app, bad, "units")
    assert failed.value.errors[0].startswith(first_error), failed.value.errors
    async with app.sessions() as session:
        tree = {u.code: (u.kind, u.parent_id) for u in await session.exec(select(Unit))}
    assert [k for k, _ in tree.values()] == ["city", "commune", "hamlet"]


async def test_a_kind_change_that_keeps_a_tree_is_accepted(app, tmp_path):
    await run_import(app, write(tmp_path, "u.csv", UNITS), "units")
    swap = "code,name,kind,parent_code\nX-A,Xã A,city,\nX,Tỉnh X,commune,X-A\n" \
           "X-A1,Ấp A1,hamlet,X\n"
    assert await run_import(app, write(tmp_path, "u2.csv", swap), "units") == 3


async def test_tree_walks_end_on_a_cycle_already_in_the_database(app):
    from models.rollup import rollup
    from models.units import is_within, subtree_ids
    async with app.sessions() as session:
        a, b, c = (Unit(code=code, name=code, kind="commune") for code in ("A", "B", "C"))
        session.add_all([a, b, c])
        await session.flush()
        a.parent_id, b.parent_id = b.id, a.id
        await session.commit()
        # Before the walks were bounded each of these looped for ever.
        assert not await asyncio.wait_for(is_within(a.id, c.id, session=session), 10)
        assert sorted(await asyncio.wait_for(subtree_ids(a, session=session), 10)) == \
            sorted([a.id, b.id])
        figures = await asyncio.wait_for(rollup(a, date(2026, 11, 22), session=session), 10)
        assert set(figures.units) == {a.id, b.id}


# --- numbers, dates, caps and hostile files (item 7) ---------------------------------------

TARGETS = "unit_code,programme,year,value\n"


async def test_numbers_must_be_whole_and_written_in_ascii_digits(app, tmp_path):
    await run_import(app, write(tmp_path, "u.csv", UNITS), "units")
    text = TARGETS + ("X-A1,bhxh_tn,2026,12.5\n"       # row 2: a decimal, not 125
                      "X-A1,bhyt,2026,\"4,53\"\n"        # row 3: a decimal, not 453
                      "X-A,bhxh_tn,2026,١٢٣\n"           # row 4: Arabic-Indic digits
                      "X-A,bhyt,2026,1_000\n"            # row 5: a Python literal
                      "X,bhyt,2026,1.2345\n"             # row 6
                      "X,bhxh_tn,2026,\"1,500\"\n")      # row 7: thousands: fine
    with pytest.raises(ImportFailed) as failed:
        await run_import(app, write(tmp_path, "t.csv", text), "targets")
    assert [e.split(":")[0] for e in failed.value.errors] == [f"row {n}" for n in range(2, 7)]
    assert "value '12.5' must be a whole number" in failed.value.errors[0]
    assert await count(app, Target) == 0
    ok = TARGETS + "X,bhxh_tn,2026,\"1,500\"\nX,bhyt,2026,1.500.000\n"
    assert await run_import(app, write(tmp_path, "t2.csv", ok), "targets") == 2
    async with app.sessions() as session:
        assert sorted(t.value for t in await session.exec(select(Target))) == [1500, 1_500_000]


async def test_xlsx_numbers_with_decimals_are_refused(app, tmp_path):
    await run_import(app, write(tmp_path, "u.csv", UNITS), "units")
    path = xlsx(tmp_path / "t.xlsx", [["unit_code", "programme", "year", "value"],
                                      ["X-A1", "bhxh_tn", 2026, 45.3],
                                      ["X-A1", "bhyt", 2026, 12.345],
                                      ["X-A", "bhyt", 2026.0, 120.0]])
    with pytest.raises(ImportFailed) as failed:
        await run_import(app, path, "targets")
    assert failed.value.errors == ["row 2: value '45.3' must be a whole number ≥ 0",
                                   "row 3: value '12.3450' must be a whole number ≥ 0"]


BASELINES = "unit_code,programme,date,count\n"


async def test_baseline_dates_are_one_format_and_compared_as_dates(app, tmp_path):
    await run_import(app, write(tmp_path, "u.csv", UNITS), "units")
    text = BASELINES + "X-A1,bhxh_tn,2026-10-01,40\nX-A1,bhxh_tn,20261001,40\n" \
                       "X-A1,bhyt,2026-W40-4,3\n"
    with pytest.raises(ImportFailed) as failed:
        await run_import(app, write(tmp_path, "b.csv", text), "baselines")
    assert failed.value.errors == [
        "row 3: date '20261001' must be written YYYY-MM-DD, such as 2026-09-30",
        "row 4: date '2026-W40-4' must be written YYYY-MM-DD, such as 2026-09-30"]
    twice = BASELINES + "X-A1,bhxh_tn,2026-10-01,40\nx-a1,bhxh_tn,2026-10-01,41\n"
    with pytest.raises(ImportFailed) as failed:
        await run_import(app, write(tmp_path, "b2.csv", twice), "baselines")
    assert failed.value.errors == ["row 3: the same unit, programme and date appear twice"]
    once = BASELINES + "X-A1,bhxh_tn,2026-10-01,40\n"
    assert await run_import(app, write(tmp_path, "b3.csv", once), "baselines") == 1
    # The same day as a date cell is the same baseline.
    path = xlsx(tmp_path / "b.xlsx", [["unit_code", "programme", "date", "count"],
                                      ["X-A1", "bhxh_tn", date(2026, 10, 1), 40]])
    with pytest.raises(ImportFailed, match="bad row") as failed:
        await run_import(app, path, "baselines")
    assert "already recorded" in failed.value.errors[0]


async def test_formula_cells_are_refused(app, tmp_path):
    await run_import(app, write(tmp_path, "u.csv", UNITS), "units")
    path = xlsx(tmp_path / "u.xlsx", [
        ["code", "name", "kind", "parent_code"],
        ["X-A2", '=HYPERLINK("http://evil.example","Ấp")', "hamlet", "X-A"],
        ["X-A3", "Ấp A3", "hamlet", "=\"X-\"&\"A\""]])
    with pytest.raises(ImportFailed) as failed:
        await run_import(app, path, "units")
    assert failed.value.errors == [
        "row 2: name holds a formula; type the value itself",
        "row 3: parent_code holds a formula; type the value itself"]
    assert await count(app, Unit) == 3


async def test_at_most_fifty_errors_are_listed_then_a_count(app, tmp_path):
    await run_import(app, write(tmp_path, "u.csv", UNITS), "units")
    text = TARGETS + "".join(f"X-A1,bhyt,{2000 + n},abc\n" for n in range(80))
    with pytest.raises(ImportFailed) as failed:
        await run_import(app, write(tmp_path, "t.csv", text), "targets")
    assert len(failed.value.errors) == 51
    assert failed.value.errors[49].startswith("row 51:")
    assert failed.value.errors[50] == "... and 30 more not listed"
    assert str(failed.value) == "80 bad row(s); nothing was imported"


async def test_too_many_rows_or_too_large_a_file_is_refused(app, tmp_path):
    limits = ImportSettings(max_rows=5, max_file_mb=1)
    rows = TARGETS + "X-A1,bhyt,2026,1\n\n" * 6  # empty lines do not count
    with pytest.raises(ImportFailed) as failed:
        read_rows(write(tmp_path, "t.csv", rows), "targets", limits)
    assert failed.value.errors == ["more than 5 rows (imports.max_rows); "
                                   "split the file or raise the limit"]
    assert len(read_rows(write(tmp_path, "t5.csv", TARGETS + "X,bhyt,2026,1\n" * 5),
                         "targets", limits).rows) == 5
    big = write(tmp_path, "big.csv", TARGETS + "X-A1,bhyt,2026,1" + " " * 1_000_000 + "\n")
    with pytest.raises(ImportFailed) as failed:
        read_rows(big, "targets", limits)
    assert failed.value.errors == ["big.csv is 1.0 MB, more than imports.max_file_mb = 1 MB"]
    path = xlsx(tmp_path / "t.xlsx", [["unit_code", "programme", "year", "value"],
                                      *[["X-A1", "bhyt", 2026, n] for n in range(6)]])
    with pytest.raises(ImportFailed, match="bad row"):
        read_rows(path, "targets", limits)


def _huge_xlsx(path: Path, rows: int) -> Path:
    """A valid XLSX with `rows` rows, written as raw XML into the zip in chunks (openpyxl
    would take minutes): a few MB on disk, hundreds of MB unpacked."""
    parts = {
        "[Content_Types].xml":
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="rels" ContentType="applicat'
            'ion/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" Conte'
            'ntType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="appl'
            'ication/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Overrid'
            'e PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformat'
            's-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels":
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxm'
            'lformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://sch'
            'emas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target='
            '"xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml":
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlform'
            'ats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/offic'
            'eDocument/2006/relationships"><sheets><sheet name="t" sheetId="1" r:id="rId1"/>'
            '</sheets></workbook>',
        "xl/_rels/workbook.xml.rels":
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxm'
            'lformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://sch'
            'emas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="work'
            'sheets/sheet1.xml"/></Relationships>',
    }
    cell = '<c t="inlineStr"><is><t>{}</t></is></c>'
    header = "<row>" + "".join(cell.format(c) for c in ("unit_code", "programme", "year",
                                                         "value")) + "</row>"
    row = "<row>" + cell.format("X-A1") + cell.format("bhyt") + "<c><v>2026</v></c>" \
          "<c><v>1.5</v></c></row>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, text in parts.items():
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://sche'
                        b'mas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:D'
                        + f'{rows + 1}"/><sheetData>{header}'.encode())
            chunk = (row * 10_000).encode()
            for _ in range(rows // 10_000):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return path


def test_a_three_million_row_xlsx_is_refused_at_once_in_little_memory(tmp_path):
    path = _huge_xlsx(tmp_path / "t.xlsx", 3_000_000)
    assert path.stat().st_size < 10_000_000  # small on disk: the cap is on what it unpacks to
    tracemalloc.start()
    try:
        with pytest.raises(ImportFailed) as failed:
            read_rows(path, "targets")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert re.fullmatch(r"t\.xlsx is \d+\.\d MB unpacked, more than imports\.max_file_mb = "
                        r"10 MB", failed.value.errors[0])
    assert peak < 5_000_000


def test_rows_of_a_streamed_xlsx_are_capped_while_reading(tmp_path):
    path = _huge_xlsx(tmp_path / "t.xlsx", 50_000)  # under 10 MB unpacked
    tracemalloc.start()
    try:
        with pytest.raises(ImportFailed) as failed:
            read_rows(path, "targets", ImportSettings(max_rows=1000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert failed.value.errors[0].startswith("more than 1000 rows")
    assert peak < 20_000_000


def test_a_csv_that_is_not_utf8_gets_an_error_not_a_traceback(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(TARGETS.encode() + "X,bhyt,2026,1,Ấp\n".encode("utf-16"))
    with pytest.raises(ImportFailed, match="bad row") as failed:
        read_rows(path, "targets")
    assert "not a readable UTF-8 CSV file" in failed.value.errors[0]


def test_cli_caps_come_from_the_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text("[imports]\nmax_rows = 2\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["units", "import", str(write(tmp_path, "u.csv", UNITS))])
    assert result.exit_code == 1
    assert "more than 2 rows (imports.max_rows)" in result.output
    assert "Unit" not in result.output  # an error line, not a traceback
