"""CSV and XLSX import of units, targets, baselines, BHXH's official figures and
populations: all rows or nothing.

A file is read by its extension (`.xlsx`: the first sheet; anything else: UTF-8 CSV) into
the same rows of text, so both go through one validation. Every bad row is reported with
its row number as a spreadsheet shows it (the header is row 1), and nothing is written
when any row is bad. Re-importing a file updates names and targets in place, so an edited
sheet can be loaded again.

Hostile files are refused early: over `imports.max_file_mb` (an XLSX by its unpacked
size, read from the zip directory) or `imports.max_rows`, a formula in any cell, numbers
with decimals or digits other than 0-9. The unit tree is checked as it will be once the
file is applied, so it stays a tree: city → commune → hamlet, no cycles.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Callable
from zipfile import BadZipFile, ZipFile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import ImportSettings
from models.ledger import Report
from models.official import OfficialFigure, record_official
from models.units import KINDS, PROGRAMMES, Target, Unit

CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,63}$")
# A whole number in ASCII digits, thousands grouped by one kind of separator (1.500 or
# 1,500): 12.5 and 4,53 are decimals, ١٢٣ and 1_000 are not what a sheet shows.
WHOLE = re.compile(r"[0-9]+|[0-9]{1,3}([.,])[0-9]{3}(?:\1[0-9]{3})*")
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_LISTED = 50
PARENT_KIND = {"city": None, "commune": "city", "hamlet": "commune"}
COLUMNS = {
    "units": ("code", "name", "kind", "parent_code"),
    "targets": ("unit_code", "programme", "year", "value"),
    "baselines": ("unit_code", "programme", "date", "count"),
    "official": ("unit_code", "programme", "as_of", "participants"),
    "population": ("unit_code", "population", "coverage_target"),
}


class ImportFailed(Exception):
    """Nothing was imported; `errors` lists the first MAX_LISTED problems, then a count."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} bad row(s); nothing was imported")
        more = len(errors) - MAX_LISTED
        self.errors = errors[:MAX_LISTED] + ([f"... and {more} more not listed"]
                                             if more > 0 else [])


@dataclass
class Rows:
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (row, what is wrong)


def read_rows(path: Path, kind: str, limits: ImportSettings = ImportSettings()) -> Rows:
    """Rows with their spreadsheet row numbers, from a CSV or an XLSX file."""
    xlsx = path.suffix.lower() == ".xlsx"
    size = _unpacked_size(path) if xlsx else path.stat().st_size
    if size > limits.max_file_mb * 1_000_000:
        raise ImportFailed([f"{path.name} is {size / 1e6:.1f} MB{' unpacked' if xlsx else ''}, "
                            f"more than imports.max_file_mb = {limits.max_file_mb} MB"])
    return (read_xlsx if xlsx else read_csv)(path, kind, limits.max_rows)


def read_csv(path: Path, kind: str, max_rows: int) -> Rows:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            return _rows(kind, next(reader, []), enumerate(reader, start=2), max_rows)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ImportFailed([f"{path.name} is not a readable UTF-8 CSV file ({exc})"]) from None


def _unpacked_size(path: Path) -> int:
    """What an XLSX holds unpacked, from its zip directory (nothing is unpacked here)."""
    try:
        with ZipFile(path) as z:
            return sum(info.file_size for info in z.infolist())
    except (BadZipFile, OSError) as exc:
        raise ImportFailed([f"{path.name} is not a readable XLSX file ({type(exc).__name__})"])


def read_xlsx(path: Path, kind: str, max_rows: int) -> Rows:
    """The first sheet, streamed; cells typed as numbers or dates become the text a CSV
    would hold, and a formula its text (=…), which is refused."""
    try:
        book = load_workbook(path, read_only=True)
    except (InvalidFileException, BadZipFile, KeyError, ValueError) as exc:
        raise ImportFailed([f"{path.name} is not a readable XLSX file ({type(exc).__name__})"])
    try:
        lines = book.worksheets[0].iter_rows(values_only=True)
        header = [_text(v) for v in next(lines, ())]
        return _rows(kind, header, ((n, [_text(v) for v in line])
                                    for n, line in enumerate(lines, start=2)), max_rows)
    finally:
        book.close()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # A fraction is never read as thousands: 12.345 (twelve point three…) → "12.3450".
        text = repr(value)
        return text + "0" if WHOLE.fullmatch(text) else text
    return str(value)


def _rows(kind: str, header: list[str], lines: Iterable[tuple[int, list[str]]],
          max_rows: int) -> Rows:
    """A missing column or too many rows fail the whole file (reading stops at the first
    row too many); empty lines are skipped; a formula is a bad row."""
    header = [h.strip() for h in header]
    missing = [c for c in COLUMNS[kind] if c not in header]
    if missing:
        raise ImportFailed([f"row 1: missing column(s) {', '.join(missing)}; "
                            f"expected {', '.join(COLUMNS[kind])}"])
    out = Rows()
    for number, line in lines:
        clean = {name: (line[i] if i < len(line) else "").strip()
                 for i, name in enumerate(header) if name}
        if not any(clean.values()):
            continue
        if len(out.rows) + len(out.problems) == max_rows:
            raise ImportFailed([f"more than {max_rows} rows (imports.max_rows); "
                                "split the file or raise the limit"])
        formulas = [name for name, value in clean.items() if value.startswith("=")]
        if formulas:
            out.problems.append((number, f"{', '.join(formulas)} holds a formula; "
                                         "type the value itself"))
        else:
            out.rows.append((number, clean))
    return out


def _int(value: str, low: int, high: int) -> int | None:
    if not WHOLE.fullmatch(value):
        return None
    number = int(value.replace(".", "").replace(",", ""))
    return number if low <= number <= high else None


async def import_units(rows: Rows, *, session: AsyncSession,
                       tick: Callable[[], None] = lambda: None) -> int:
    existing = {u.code: u for u in await session.exec(select(Unit))}
    by_id = {u.id: u.code for u in existing.values()}
    # The tree as it will be once the file is applied: every unit's kind and parent code.
    kind = {code: u.kind for code, u in existing.items()}
    parent = {code: by_id.get(u.parent_id, "") for code, u in existing.items()}
    problems, in_file = list(rows.problems), {}
    for number, row in rows.rows:
        code = row["code"].upper()
        problem = _row_problem(code, row, in_file)
        if problem:
            problems.append((number, problem))
        else:
            in_file[code] = (number, row)
            kind[code], parent[code] = row["kind"], row["parent_code"].upper()
    for code, (number, _row) in in_file.items():
        problem = _parent_problem(code, kind, parent)
        if problem:
            problems.append((number, problem))
    for code in existing.keys() - in_file.keys():  # units under one whose kind changes
        if parent[code] in in_file and _parent_problem(code, kind, parent):
            up = parent[code]
            problems.append((in_file[up][0], f"{code} (a {kind[code]}) is under {up}, "
                                             f"which cannot be a {kind[up]}"))
    _check(problems)
    for code, (_number, row) in in_file.items():  # parents first: the file order may not be
        unit = existing.get(code) or Unit(code=code, name="", kind=row["kind"])
        unit.name, unit.kind = row["name"], row["kind"]
        existing[code] = unit
        session.add(unit)
    await session.flush()
    for code in in_file:
        existing[code].parent_id = existing[parent[code]].id if parent[code] else None
        tick()
    await session.flush()
    return len(in_file)


def _row_problem(code: str, row: dict, seen: dict) -> str:
    if not CODE.match(code):
        return f"code {row['code']!r} must be letters, digits, - or _ (at most 64)"
    if code in seen:
        return f"code {code} appears twice in the file"
    if not row["name"] or len(row["name"]) > 200:
        return "name is empty or longer than 200 characters"
    if row["kind"] not in KINDS:
        return f"kind {row['kind']!r} must be one of {', '.join(KINDS)}"
    return ""


def _parent_problem(code: str, kind: dict[str, str], parent: dict[str, str]) -> str:
    """Each level's parent is the level above, so the tree has no cycle."""
    up, wanted = parent[code], PARENT_KIND[kind[code]]
    if up == code:
        return f"{code} cannot be its own parent"
    if wanted is None:
        return f"a city has no parent (got {up})" if up else ""
    if not up:
        return f"a {kind[code]} needs parent_code (a {wanted})"
    if up not in kind:
        return f"parent_code {up} is not a known unit"
    if kind[up] != wanted:
        return f"the parent of a {kind[code]} must be a {wanted}, {up} is a {kind[up]}"
    return ""


def _check(problems: list[tuple[int, str]]) -> None:
    """Every problem, in row order; nothing is written when there is one."""
    if problems:
        raise ImportFailed([f"row {n}: {p}" for n, p in sorted(problems)])


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
    problems, valid, seen = list(rows.problems), [], set()
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
            problems.append((number, problem))
        else:
            valid.append((unit, row["programme"], year, value))
    _check(problems)
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
    # Compared by date, not by how it was written (old imports may have written 20261001).
    recorded = {tuple(r) for r in await session.exec(select(
        Report.unit_id, Report.programme, Report.local_date).where(Report.kind == "baseline"))}
    problems, valid, seen = list(rows.problems), [], set()
    for number, row in rows.rows:
        unit = units.get(row["unit_code"].upper())
        day = _date(row["date"])
        count = _int(row["count"], 0, 100_000_000)
        key = (unit.id if unit else None, row["programme"], day)
        problem = _reference_problem(unit, row) or (
            f"date {row['date']!r} must be written YYYY-MM-DD, such as 2026-09-30"
            if day is None else
            f"count {row['count']!r} must be a whole number ≥ 0" if count is None else
            "a baseline for this unit, programme and date is already recorded"
            if key in recorded else
            "the same unit, programme and date appear twice" if key in seen else "")
        seen.add(key)
        if problem:
            problems.append((number, problem))
        else:
            valid.append(Report(unit_id=unit.id, programme=row["programme"], count=count,
                                local_date=day, kind="baseline", source_key=(
                                    f"baseline:{unit.code}:{row['programme']}:{day}")))
    _check(problems)
    for entry in valid:
        session.add(entry)
        tick()
    await session.flush()
    return len(valid)


def _date(value: str) -> date | None:
    """Only YYYY-MM-DD (or a date cell): 20261001, 2026-W40-4 and 30/09/2026 are refused,
    so one day is always written one way."""
    try:
        return date.fromisoformat(value) if ISO_DAY.fullmatch(value) else None
    except ValueError:
        return None


async def import_official(rows: Rows, *, session: AsyncSession,
                          tick: Callable[[], None] = lambda: None, by: str,
                          now: datetime | None = None) -> int:
    """BHXH's participants per unit, programme and day, as snapshots recorded `by` an
    operator; a snapshot already recorded for the same unit, programme and day is
    superseded (and kept)."""
    units = {u.code: u for u in await session.exec(select(Unit))}
    now = now or datetime.now(timezone.utc)
    problems, valid, seen = list(rows.problems), [], set()
    for number, row in rows.rows:
        unit = units.get(row["unit_code"].upper())
        day, count = _date(row["as_of"]), _int(row["participants"], 0, 100_000_000)
        key = (unit.id if unit else None, row["programme"], day)
        problem = _reference_problem(unit, row) or (
            f"as_of {row['as_of']!r} must be written YYYY-MM-DD, such as 2026-10-31"
            if day is None else
            f"participants {row['participants']!r} must be a whole number ≥ 0"
            if count is None else
            "the same unit, programme and as_of appear twice" if key in seen else "")
        seen.add(key)
        if problem:
            problems.append((number, problem))
        else:
            valid.append(OfficialFigure(unit_id=unit.id, programme=row["programme"], as_of=day,
                                        participants=count, imported_at=now,
                                        imported_by=by[:100]))
            tick()
    _check(problems)
    await record_official(valid, session=session)
    return len(valid)


async def import_population(rows: Rows, *, session: AsyncSession,
                            tick: Callable[[], None] = lambda: None) -> int:
    """Each unit's population and its health insurance coverage target (a whole percent,
    e.g. 95); a re-import replaces both, and an empty cell clears one."""
    units = {u.code: u for u in await session.exec(select(Unit))}
    problems, valid, seen = list(rows.problems), [], set()
    for number, row in rows.rows:
        unit = units.get(row["unit_code"].upper())
        people, share = row["population"], row["coverage_target"]
        values = (_int(people, 1, 1_000_000_000) if people else None,
                  _int(share, 1, 100) if share else None)
        problem = (f"unit_code {row['unit_code']!r} is not a known unit" if unit is None else
                   f"population {people!r} must be a whole number ≥ 1 (or empty)"
                   if people and values[0] is None else
                   f"coverage_target {share!r} must be a whole percent 1-100 (or empty)"
                   if share and values[1] is None else
                   "the same unit appears twice" if unit.id in seen else "")
        if problem:
            problems.append((number, problem))
        else:
            seen.add(unit.id)
            valid.append((unit, values))
    _check(problems)
    for unit, (people, share) in valid:
        unit.population, unit.coverage_target_pct = people, share
        session.add(unit)
        tick()
    await session.flush()
    return len(valid)


IMPORTERS = {"units": import_units, "targets": import_targets, "baselines": import_baselines,
             "official": import_official, "population": import_population}


async def import_file(path: Path, kind: str, *, session: AsyncSession,
                      limits: ImportSettings = ImportSettings(),
                      tick: Callable[[], None] = lambda: None, **extra) -> int:
    """Read, validate and write one file inside the caller's transaction; `extra`: what
    the kind needs besides (official: by=)."""
    return await IMPORTERS[kind](read_rows(path, kind, limits), session=session, tick=tick,
                                 **extra)
