"""CSV import: atomic, every bad row named by its spreadsheet row number."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func
from sqlmodel import select

from bot.cli import cli
from bot.importer import ImportFailed, import_file
from models.units import Target, Unit


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
