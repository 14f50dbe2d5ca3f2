"""CSV and XLSX import of units, targets and baselines: all rows or nothing.

A file is read by its extension (`.xlsx`: the first sheet; anything else: UTF-8 CSV) into
the same rows of text, so both go through one validation. Every bad row is reported with
its row number as a spreadsheet shows it (the header is row 1), and nothing is written
when any row is bad. Re-importing a file updates names and targets in place, so an edited
sheet can be loaded again.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Callable
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.ledger import Report
from models.units import KINDS, PROGRAMMES, Target, Unit

CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,63}$")
PARENT_KIND = {"city": None, "commune": "city", "hamlet": "commune"}
COLUMNS = {
    "units": ("code", "name", "kind", "parent_code"),
    "targets": ("unit_code", "programme", "year", "value"),
    "baselines": ("unit_code", "programme", "date", "count"),
}


class ImportFailed(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} bad row(s); nothing was imported")
        self.errors = errors


@dataclass
class Rows:
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_rows(path: Path, kind: str) -> Rows:
    """Rows with their spreadsheet row numbers, from a CSV or an XLSX file."""
    return read_xlsx(path, kind) if path.suffix.lower() == ".xlsx" else read_csv(path, kind)


def read_csv(path: Path, kind: str) -> Rows:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        return _rows(kind, next(reader, []), enumerate(reader, start=2))


def read_xlsx(path: Path, kind: str) -> Rows:
    """The first sheet; cells typed as numbers or dates become the text a CSV would hold."""
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, ValueError) as exc:
        raise ImportFailed([f"{path.name} is not a readable XLSX file ({type(exc).__name__})"])
    try:
        lines = book.worksheets[0].iter_rows(values_only=True)
        header = [_text(v) for v in next(lines, ())]
        return _rows(kind, header, ((n, [_text(v) for v in line])
                                    for n, line in enumerate(lines, start=2)))
    finally:
        book.close()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _rows(kind: str, header: list[str], lines: Iterable[tuple[int, list[str]]]) -> Rows:
    """A missing column fails the whole file; empty lines are skipped."""
    header = [h.strip() for h in header]
    missing = [c for c in COLUMNS[kind] if c not in header]
    if missing:
        raise ImportFailed([f"row 1: missing column(s) {', '.join(missing)}; "
                            f"expected {', '.join(COLUMNS[kind])}"])
    out = Rows()
    for number, line in lines:
        clean = {name: (line[i] if i < len(line) else "").strip()
                 for i, name in enumerate(header) if name}
        if any(clean.values()):
            out.rows.append((number, clean))
    return out


EXAMPLES = {  # a valid example per file kind, for `hamletbot template`
    "units": [("CT", "Thành phố Cần Thơ", "city", ""),
              ("LM", "Phường Long Mỹ", "commune", "CT"),
              ("LM-KV1", "Khu vực 1 (Long Mỹ)", "hamlet", "LM")],
    "targets": [("LM-KV1", "bhxh_tn", 2026, 453)],
    "baselines": [("LM-KV1", "bhxh_tn", date(2026, 9, 30), 401)],
}


def write_template(path: Path, kind: str) -> None:
    """An empty file to fill in: the header and an example, as XLSX or (other names) CSV."""
    if path.suffix.lower() != ".xlsx":
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerows([COLUMNS[kind], *[[_text(v) for v in row]
                                                for row in EXAMPLES[kind]]])
        return
    book = Workbook()
    sheet = book.active
    sheet.title = kind
    sheet.append(COLUMNS[kind])
    for row in EXAMPLES[kind]:
        sheet.append(list(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.columns:
        cells = list(column)
        if isinstance(cells[1].value, date):
            for cell in cells[1:]:
                cell.number_format = "YYYY-MM-DD"
        width = max(len(_text(c.value)) for c in cells)
        sheet.column_dimensions[cells[0].column_letter].width = max(width + 2, 12)
    sheet.freeze_panes = "A2"
    book.save(path)


def _int(value: str, low: int, high: int) -> int | None:
    try:
        number = int(value.replace(".", "").replace(",", "")) if value else None
    except ValueError:
        return None
    return number if number is not None and low <= number <= high else None


async def import_units(rows: Rows, *, session: AsyncSession,
                       tick: Callable[[], None] = lambda: None) -> int:
    existing = {u.code: u for u in await session.exec(select(Unit))}
    kinds = {code: u.kind for code, u in existing.items()}
    parsed = []
    for number, row in rows.rows:
        code = row["code"].upper()
        kinds.setdefault(code, row["kind"])
        parsed.append((number, code, row))
    errors, seen = list(rows.errors), set()
    for number, code, row in parsed:
        problem = _unit_problem(code, row, kinds, seen)
        if problem:
            errors.append(f"row {number}: {problem}")
        seen.add(code)
    if errors:
        raise ImportFailed(errors)
    for number, code, row in parsed:  # parents first: the file order may not be
        unit = existing.get(code) or Unit(code=code, name="", kind=row["kind"])
        unit.name, unit.kind = row["name"], row["kind"]
        existing[code] = unit
        session.add(unit)
    await session.flush()
    for number, code, row in parsed:
        parent = row["parent_code"].upper()
        existing[code].parent_id = existing[parent].id if parent else None
        tick()
    await session.flush()
    return len(parsed)


def _unit_problem(code: str, row: dict, kinds: dict[str, str], seen: set[str]) -> str:
    if not CODE.match(code):
        return f"code {row['code']!r} must be letters, digits, - or _ (at most 64)"
    if code in seen:
        return f"code {code} appears twice in the file"
    if not row["name"] or len(row["name"]) > 200:
        return "name is empty or longer than 200 characters"
    if row["kind"] not in KINDS:
        return f"kind {row['kind']!r} must be one of {', '.join(KINDS)}"
    parent = row["parent_code"].upper()
    wanted = PARENT_KIND[row["kind"]]
    if wanted is None:
        return f"a city has no parent (got {parent})" if parent else ""
    if not parent:
        return f"a {row['kind']} needs parent_code (a {wanted})"
    if parent not in kinds:
        return f"parent_code {parent} is not a known unit"
    if kinds[parent] != wanted:
        return f"the parent of a {row['kind']} must be a {wanted}, {parent} is a {kinds[parent]}"
    return ""


def _reference_problem(unit: Unit | None, row: dict[str, str]) -> str:
    """What is wrong with the unit and programme a target or baseline row names."""
    if unit is None:
        return f"unit_code {row['unit_code']!r} is not a known unit"
    if row["programme"] not in PROGRAMMES:
        return f"programme {row['programme']!r} must be one of {', '.join(PROGRAMMES)}"
    return ""


async def import_targets(rows: Rows, *, session: AsyncSession,
                         tick: Callable[[], None] = lambda: None) -> int:
    units = {u.code: u for u in await session.exec(select(Unit))}
    errors, valid, seen = list(rows.errors), [], set()
    for number, row in rows.rows:
        unit = units.get(row["unit_code"].upper())
        year, value = _int(row["year"], 2000, 2100), _int(row["value"], 0, 100_000_000)
        key = (row["unit_code"].upper(), row["programme"], year)
        problem = _reference_problem(unit, row) or (
            f"year {row['year']!r} must be a year such as 2026" if year is None else
            f"value {row['value']!r} must be a whole number ≥ 0" if value is None else
            "the same unit, programme and year appear twice" if key in seen else "")
        seen.add(key)
        if problem:
            errors.append(f"row {number}: {problem}")
        else:
            valid.append((unit, row["programme"], year, value))
    if errors:
        raise ImportFailed(errors)
    current = {(t.unit_id, t.programme, t.year): t for t in await session.exec(select(Target))}
    for unit, programme, year, value in valid:
        target = current.get((unit.id, programme, year)) or Target(
            unit_id=unit.id, programme=programme, year=year, value=value)
        target.value = value
        session.add(target)
        tick()
    await session.flush()
    return len(valid)


async def import_baselines(rows: Rows, *, session: AsyncSession,
                           tick: Callable[[], None] = lambda: None) -> int:
    """Counts achieved before the bot started, as `baseline` ledger entries."""
    units = {u.code: u for u in await session.exec(select(Unit))}
    keys = set(await session.exec(select(Report.source_key).where(Report.kind == "baseline")))
    errors, valid = list(rows.errors), []
    for number, row in rows.rows:
        unit = units.get(row["unit_code"].upper())
        day = _date(row["date"])
        count = _int(row["count"], 0, 100_000_000)
        key = f"baseline:{row['unit_code'].upper()}:{row['programme']}:{row['date']}"
        problem = _reference_problem(unit, row) or (
            f"date {row['date']!r} must be YYYY-MM-DD" if day is None else
            f"count {row['count']!r} must be a whole number ≥ 0" if count is None else
            "a baseline for this unit, programme and date is already recorded"
            if key in keys else "")
        keys.add(key)
        if problem:
            errors.append(f"row {number}: {problem}")
        else:
            valid.append(Report(unit_id=unit.id, programme=row["programme"], count=count,
                                local_date=day, kind="baseline", source_key=key))
    if errors:
        raise ImportFailed(errors)
    for entry in valid:
        session.add(entry)
        tick()
    await session.flush()
    return len(valid)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


IMPORTERS = {"units": import_units, "targets": import_targets, "baselines": import_baselines}


async def import_file(path: Path, kind: str, *, session: AsyncSession,
                      tick: Callable[[], None] = lambda: None) -> int:
    """Validate and write one file inside the caller's transaction."""
    return await IMPORTERS[kind](read_rows(path, kind), session=session, tick=tick)


def row_count(path: Path) -> int:
    """Rows below the header (for a progress bar)."""
    if path.suffix.lower() == ".xlsx":
        try:
            book = load_workbook(path, read_only=True)
        except (InvalidFileException, BadZipFile, KeyError, ValueError):
            return 0
        try:
            return max((book.worksheets[0].max_row or 1) - 1, 0)
        finally:
            book.close()
    with path.open(encoding="utf-8-sig") as f:
        return max(sum(1 for _ in f) - 1, 0)
