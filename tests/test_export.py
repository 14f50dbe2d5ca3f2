"""The XLSX export (/xuat, `hamletbot export`) read back with openpyxl, XLSX import and
templates, and the document on each channel."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from sqlalchemy import func
from sqlmodel import select

from bot.cli import cli
from bot.console import ConsoleChannel
from bot.delivery import reply_from_payload, reply_payload
from bot.import_template import write_template
from bot.importer import ImportFailed, import_file
from handlers.types import Document, Reply
from models.ledger import Report
from models.progress import unit_progress
from models.units import Target, Unit, subtree_ids, unit_by_code

PROGRAMME_NAMES = {"bhxh_tn": "BHXH tự nguyện", "bhyt": "BHYT hộ gia đình"}


async def _activity(staff, coordinator, clock) -> None:
    """Reports in October and November, an undo, and a correction."""
    now = clock.now
    clock.now = datetime(2026, 10, 7, 3, 0, tzinfo=timezone.utc)
    await staff.say("/dangky 7 bhyt 4")
    clock.now = now - timedelta(days=1)  # Tuesday of this week
    await staff.say("/dangky 3")
    await staff.undo()
    clock.now = now
    await staff.say("/dangky 5 bhyt 2")
    await coordinator.say("/suachua LM-KV2 bhyt -6 báo trùng tháng trước")
    await coordinator.say("1")


async def _database_figures(app, code: str) -> dict[tuple[str, str], tuple]:
    """(unit code, programme name) → (target, achieved, week gain, monthly gains), from the
    ledger directly: a different path from the export's roll-up."""
    monday = date(2026, 11, 23)
    out = {}
    async with app.sessions() as session:
        root = await unit_by_code(code, session=session)
        for unit_id in await subtree_ids(root, session=session):
            unit = await session.get(Unit, unit_id)
            ids = await subtree_ids(unit, session=session)
            for row in await unit_progress(unit, 2026, session=session):
                gains = Report.unit_id.in_(ids), Report.programme == row.programme, \
                    Report.kind != "baseline"
                week = (await session.exec(select(func.coalesce(func.sum(Report.count), 0))
                                           .where(*gains, Report.local_date >= monday))).one()
                months = [int((await session.exec(
                    select(func.coalesce(func.sum(Report.count), 0)).where(
                        *gains, Report.local_date >= date(2026, m, 1),
                        Report.local_date < (date(2026, m + 1, 1) if m < 12
                                             else date(2027, 1, 1))))).one())
                    for m in range(1, 13)]
                out[(unit.code, PROGRAMME_NAMES[row.programme])] = (
                    row.target, row.achieved, int(week), months)
    return out


async def test_export_round_trip_equals_the_database(staff, coordinator, clock):
    await _activity(staff, coordinator, clock)
    [reply] = await coordinator.deliver(coordinator.message("/xuat"))
    assert "Tệp Excel tiến độ năm 2026 của Phường Long Mỹ" in reply.text
    assert reply.document.name == "tien-do-LM-2026.xlsx"
    book = load_workbook(BytesIO(reply.document.data))
    summary, ledger, weekly = book.worksheets
    assert (summary.title, ledger.title, weekly.title) == ("Tiến độ", "Sổ ghi nhận",
                                                           "Báo cáo tuần")
    header = [c.value for c in summary[1]]
    assert header[:8] == ["Mã đơn vị", "Tên đơn vị", "Cấp", "Chương trình", "Chỉ tiêu",
                          "Đã đạt", "Tỷ lệ đạt", "Tăng tuần này (23/11/2026 – 25/11/2026)"]
    assert header[8:20] == [f"Tháng {m}" for m in range(1, 13)]
    assert header[20:] == ["Số liệu BHXH", "Ngày số liệu BHXH", "Chênh lệch (báo cáo − BHXH)",
                           "Dân số", "Bao phủ dân số"]
    assert summary.freeze_panes == "C2" and ledger.freeze_panes == "A2"

    expected = await _database_figures(coordinator.app, "LM")
    rows = list(summary.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(expected) == 10  # LM and its four hamlets, two programmes each
    assert [r[0] for r in rows[:4]] == ["LM", "LM", "LM-KV1", "LM-KV1"]
    for code, name, level, programme, target, achieved, ratio, week, *months in rows:
        assert (target, achieved, week, months[:12]) == expected[(code, programme)]
        assert months[12:] == [None] * 5  # no official figure, no population
        assert ratio == pytest.approx(achieved / target)
    kv1 = rows[2]
    assert kv1[2] == "Ấp/Khu vực" and kv1[5] == 401 + 7 + 5
    assert kv1[7] == 5 and kv1[8 + 9] == 7 and kv1[8 + 10] == 5  # week, October, November
    cells = {c.column_letter: c for c in summary[3]}
    assert cells["G"].number_format == "0.00%" and cells["F"].number_format == "#,##0"
    assert isinstance(cells["F"].value, int) and isinstance(cells["G"].value, float)

    entries = list(ledger.iter_rows(min_row=2, values_only=True))
    async with coordinator.app.sessions() as session:
        lm = await unit_by_code("LM", session=session)
        count = (await session.exec(select(func.count()).select_from(Report).where(
            Report.unit_id.in_(await subtree_ids(lm, session=session))))).one()
    assert len(entries) == count
    correction = next(e for e in entries if e[5] == "Sửa số liệu")
    assert correction[:5] == (datetime(2026, 11, 25), "LM-KV2", "Khu vực 2 (Long Mỹ)",
                              "BHYT hộ gia đình", -6)
    assert correction[6:] == ("Anh Minh", "báo trùng tháng trước", datetime(2026, 11, 25, 9, 0))
    assert next(e for e in entries if e[5] == "Số liệu ban đầu")[6] == "Nhập từ tệp"
    assert {e[5] for e in entries} == {"Số liệu ban đầu", "Báo cáo", "Hủy báo cáo",
                                       "Sửa số liệu"}
    assert ledger["A2"].number_format == "DD/MM/YYYY"
    assert all(ledger.column_dimensions[c].width >= 12 for c in "ABCDEFGHI")


async def test_export_of_a_past_year_without_data_says_so(coordinator, clock, demo):
    """A correction made this year does not count for last year, which has no data."""
    await coordinator.say("/suachua LM-KV1 bhxh +2 bổ sung")
    await coordinator.say("1")
    [reply] = await coordinator.deliver(coordinator.message("/xuat LM-KV1 2025"))
    assert reply.document is None
    assert "Khu vực 1 (Long Mỹ) chưa có số liệu nào cho năm 2025" in reply.text


@pytest.mark.parametrize("text,expected", [("/xuat 1999", 'Năm "1999" chưa đúng'),
                                           ("/xuat 2099", 'Năm "2099" chưa đúng')])
async def test_export_bad_year(coordinator, text, expected):
    assert expected in await coordinator.say(text)


def test_cli_export_and_template(tmp_path, monkeypatch):
    # SQLite only, on the built-in default configuration, as the import CLI test.
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["template", "units.xlsx"]).exit_code == 0
    result = runner.invoke(cli, ["units", "import", "units.xlsx"])
    assert result.exit_code == 0, result.output
    assert "Imported 3 units row(s)" in result.output
    result = runner.invoke(cli, ["export", "--unit", "lm", "--out", "lm.xlsx"])
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(tmp_path / "lm.xlsx").worksheets[0].iter_rows(values_only=True))
    assert [r[:4] for r in rows[1:]] == [
        ("LM", "Phường Long Mỹ", "Xã/Phường", "BHXH tự nguyện"),
        ("LM", "Phường Long Mỹ", "Xã/Phường", "BHYT hộ gia đình"),
        ("LM-KV1", "Khu vực 1 (Long Mỹ)", "Ấp/Khu vực", "BHXH tự nguyện"),
        ("LM-KV1", "Khu vực 1 (Long Mỹ)", "Ấp/Khu vực", "BHYT hộ gia đình")]
    assert runner.invoke(cli, ["export", "--unit", "NOPE"]).exit_code == 1
    assert runner.invoke(cli, ["template", "whatever.xlsx"]).exit_code == 1


# --- XLSX import --------------------------------------------------------------------------

def xlsx(path: Path, rows: list[list]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


async def _count(app, table) -> int:
    async with app.sessions() as session:
        return (await session.exec(select(func.count()).select_from(table))).one()


async def test_xlsx_import_with_a_bad_row_changes_nothing_and_names_it(demo, tmp_path):
    path = xlsx(tmp_path / "targets.xlsx", [
        ["unit_code", "programme", "year", "value"],
        ["LM-KV1", "bhxh_tn", 2027, 460],
        ["LM-KV2", "bhyt", 2027, "nhiều"],
        [None, None, None, None],
        ["XX", "bhyt", 2027, 10]])
    before = await _count(demo, Target)
    with pytest.raises(ImportFailed) as failed:
        async with demo.sessions() as session:
            await import_file(path, "targets", session=session)
    assert failed.value.errors == ["row 3: value 'nhiều' must be a whole number ≥ 0",
                                   "row 5: unit_code 'XX' is not a known unit"]
    assert await _count(demo, Target) == before


async def test_xlsx_import_reads_typed_cells(demo, tmp_path):
    path = xlsx(tmp_path / "b.xlsx", [["unit_code", "programme", "date", "count"],
                                      ["lm-kv1", "bhyt", date(2026, 1, 5), 12.0],
                                      ["LM-KV2", "bhxh_tn", datetime(2026, 2, 1), 3]])
    async with demo.sessions() as session:
        assert await import_file(path, "baselines", session=session) == 2
        await session.commit()
        entries = (await session.exec(select(Report.local_date, Report.count).where(
            Report.local_date < date(2026, 3, 1)).order_by(Report.local_date))).all()
    assert entries == [(date(2026, 1, 5), 12), (date(2026, 2, 1), 3)]


@pytest.mark.parametrize("kind", ["units", "targets", "baselines", "official", "population"])
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_templates_have_the_header_and_a_valid_example(tmp_path, kind, suffix):
    from bot.importer import COLUMNS, read_rows
    path = tmp_path / f"{kind}{suffix}"
    write_template(path, kind)
    rows = read_rows(path, kind)
    assert rows.rows and list(rows.rows[0][1]) == list(COLUMNS[kind])
    assert rows.rows[0][0] == 2


async def test_a_file_that_is_not_xlsx(demo, tmp_path):
    path = tmp_path / "units.xlsx"
    path.write_text("code,name\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="bad row|nothing"):
        async with demo.sessions() as session:
            await import_file(path, "units", session=session)


# --- the document on the channels ---------------------------------------------------------

DOC = Document("tien-do-LM-2026.xlsx", b"PK\x03\x04 xlsx bytes")


def test_outbox_payload_keeps_the_document():
    reply = Reply("Tệp Excel", document=DOC)
    assert reply_from_payload(reply_payload(reply)) == reply
    assert reply_from_payload(reply_payload(Reply("x"))).document is None


async def test_console_saves_the_file_and_prints_its_path(tmp_path):
    import io
    out = io.StringIO()
    channel = ConsoleChannel(user_id="u", display_name="U", clock=lambda: None,
                             stdin=io.StringIO(), stdout=out, directory=tmp_path)
    await channel.send("c", Reply("Tệp Excel", document=DOC))
    assert (tmp_path / DOC.name).read_bytes() == DOC.data
    assert f"[tệp {tmp_path / DOC.name}]" in out.getvalue()


# --- text is never a formula (issue 13, item 6) --------------------------------------------

HOSTILE = ['=HYPERLINK("http://evil.example","Bấm vào")', "+84 nhập", "-2+3 nhầm", "@SUM(A1)",
           "\t=1+1", "\r=1+1"]


async def test_export_writes_hostile_text_as_text_never_as_formulas(coordinator, demo, clock):
    from tests.conftest import Person, add_member
    async with demo.sessions() as session:
        lm = await unit_by_code("LM", session=session)
        session.add(Unit(code="LM-EVIL", name=HOSTILE[0], kind="hamlet", parent_id=lm.id))
        await session.commit()
    for i, name in enumerate(HOSTILE[1:4]):
        await add_member(demo, f"u-evil{i}", "staff", "LM-EVIL", name=name)
        assert "Đã ghi nhận" in await Person(demo, clock, f"u-evil{i}", name).say("/dangky 2")
    for reason in HOSTILE[4:] + [HOSTILE[0]]:
        await coordinator.say(f"/suachua LM-EVIL bhxh -1 {reason}")
        assert "Đã sửa" in await coordinator.say("1")
    [reply] = await coordinator.deliver(coordinator.message("/xuat"))
    with zipfile.ZipFile(BytesIO(reply.document.data)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert len(sheets) == 3 and not any("<f>" in xml or "<f " in xml for xml in sheets)
    book = load_workbook(BytesIO(reply.document.data))
    texts = {c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str)}
    notes = {" ".join(h.split()) for h in HOSTILE[4:]}  # a reason's spaces are collapsed
    assert set(HOSTILE[:4]) | notes <= texts
    evil = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row
            if c.value in texts and str(c.value).startswith(("=", "+", "-", "@"))]
    assert evil and all(c.data_type == "s" and c.quotePrefix for c in evil)
