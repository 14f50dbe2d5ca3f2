"""/xuat: an XLSX of a unit's subtree for the year, as coordinators plan in Excel.

Sheet 1 has one row per unit and programme (target, achieved, progress as a percentage,
this week's gain and each month's; BHXH's latest official figure, its day and the
difference; the population and health insurance coverage), sheet 2 the ledger entries of
the year with who made them (display names only: residents' data is not stored at all), sheet 3 per week and
unit the hamlets with staff that reported and how many on time (models/completeness.py). Figures come from
models.leaderboard, the same roll-up as the weekly boards. `hamletbot export` writes the
same file from the command line. The monthly push sends the city's coordinators the file
as of a month's end with that month's report as its first sheet (models/monthly.py).
"""
from __future__ import annotations

from datetime import date, timedelta, tzinfo
from io import BytesIO
from typing import Any, Callable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Context, Rules
from handlers.types import Document, Incoming, Reply
from models.base import as_utc
from models.completeness import Deadline, completeness
from models.rollup import Rollup, monthly_gains, rollup
from models.ledger import ENTRY_KINDS, ledger_of
from models.monthly import Month, MonthTree, month_tree
from models.official import latest_official
from models.progress import unit_progress
from models.units import KINDS, PROGRAMMES, Unit
from models.weeks import Week

MONTHS = range(1, 13)
INTEGER, PERCENT = "#,##0", "0.00%"
DAY, MOMENT = "DD/MM/YYYY", "DD/MM/YYYY HH:MM"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TEXT_ALIGN = Alignment(horizontal="left", indent=1)
NUMBER_ALIGN = Alignment(horizontal="right")
DATE_ALIGN = Alignment(horizontal="center")
MAX_WIDTH = 60


async def export(msg: Incoming, ctx: Context) -> list[Reply]:
    """/xuat [MÃ] [năm]: the Excel file of my unit (or one under me) for this year."""
    unit, year = ctx.unit, ctx.local_now.year
    for word in ctx.args.split()[:2]:
        if word.isascii() and word.isdigit():
            if not 2000 <= int(word[:5]) <= year + 1:
                return ctx.reply("export/bad_year.j2", bad=word[:6], unit=ctx.home, year=year)
            year = int(word)
    rows = await unit_progress(unit, year, session=ctx.session)
    if not any(r.achieved or r.target for r in rows):
        return ctx.reply("export/no_data.j2", unit=unit, year=year)
    data = await export_workbook(unit, year, today=ctx.local_now.date(), tz=ctx.tz,
                                 session=ctx.session, render=ctx.render,
                                 deadline=ctx.rules.deadline)
    return [Reply(ctx.render("export/sent.j2", unit=unit, year=year),
                  document=Document(file_name(unit, year), data))]


def file_name(unit: Unit, year: int) -> str:
    return f"tien-do-{unit.code}-{year}.xlsx"


def monthly_file_name(unit: Unit, month: Month) -> str:
    return f"bao-cao-thang-{unit.code}-{month.label}.xlsx"


async def export_workbook(unit: Unit, year: int, *, today: date, tz: tzinfo,
                          session: AsyncSession, render: Callable[..., str],
                          deadline: Deadline = Deadline(), month: Month | None = None,
                          review_threshold: float = Rules.review_threshold) -> bytes:
    """The XLSX bytes: figures as of today (as of 31 December for a past year); with a
    `month` of that year, as of its last day, with the month's report as the first sheet
    and only that month's entries and weeks in the ledger and weekly sheets."""
    until = today if year == today.year else date(year, 12, 31)
    since = date(year, 1, 1)
    if month is not None:
        since, until = month.start, min(until, month.end)
    tree = await rollup(unit, until, session=session)
    months = await monthly_gains(tree, session=session)
    official = await latest_official(list(tree.units), until, session=session)
    entries = await ledger_of(list(tree.units), session=session, since=since, until=until)
    labels = _Labels(render, tree, today)
    book = Workbook()
    summary = book.active
    summary.title, ledger_title = labels.sheets[:2]
    _summary(summary, tree, months, official, labels)
    _ledger(book.create_sheet(ledger_title), tree, entries, labels, tz)
    weeks = [(week, await completeness(tree, week, deadline=deadline, tz=tz, session=session))
             for week in (month.weeks(until) if month else _weeks(since, until))]
    _completeness(book.create_sheet(labels.sheets[2]), tree, weeks, labels)
    if month is not None:
        report = await month_tree(unit, month, until, deadline=deadline, tz=tz,
                                  review_threshold=review_threshold, session=session)
        sheet = book.create_sheet(render("monthly/sheet_name.j2", month=month), 0)
        _monthly(sheet, report, render("monthly/sheet_columns.j2").splitlines(),
                 render("monthly/review_mark.j2"), labels)
        book.active = 0
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _weeks(since: date, until: date) -> list[Week]:
    """The weeks from the one holding `since` to the one holding `until`."""
    found = [Week.containing(since)]
    while found[-1].end < until:
        found.append(Week(found[-1].start + timedelta(days=7)))
    return found


class _Labels:
    """Every word in the file comes from templates/export/, rendered once."""

    def __init__(self, render: Callable[..., str], tree: Rollup, today: date) -> None:
        self.sheets = render("export/sheet_names.j2").splitlines()
        # the gain column says which days it counts ("tuần này" is the week of today)
        self.summary = render("export/summary_columns.j2", months=MONTHS,
                              when=tree.week.relation(today),
                              span=tree.week.gain_span(tree.as_of)).splitlines()
        self.ledger = render("export/ledger_columns.j2").splitlines()
        self.weekly = render("export/completeness_columns.j2").splitlines()
        self.level = {k: render("export/level.j2", kind=k) for k in KINDS}
        self.programme = {p: render("export/programme.j2", programme=p) for p in PROGRAMMES}
        self.kind = {k: render("export/entry_kind.j2", entry_kind=k) for k in ENTRY_KINDS}
        self.imported = render("export/imported.j2")


def _summary(sheet: Worksheet, tree: Rollup, months: dict, official: dict,
             labels: _Labels) -> None:
    """Per unit and programme: the reported figures, then BHXH's latest (its day and the
    difference, reported − official) and the population with its coverage."""
    sheet.append(labels.summary)
    for unit_id in depth_first(tree):
        info = tree.units[unit_id]
        for programme, figures in tree.figures(unit_id).items():
            o = official.get((unit_id, programme))
            sheet.append([info.code, info.name, labels.level.get(info.kind, info.kind),
                          labels.programme[programme], figures.target, figures.achieved,
                          figures.ratio, figures.gain, *months[unit_id][programme],
                          o and o.participants, o and o.as_of,
                          o and o.difference(figures.achieved), figures.population,
                          figures.coverage])
    formats = {5: INTEGER, 6: INTEGER, 7: PERCENT, 8: INTEGER}
    after = 9 + len(MONTHS)
    formats.update({9 + i: INTEGER for i in range(len(MONTHS))})
    formats.update({after: INTEGER, after + 1: DAY, after + 2: INTEGER, after + 3: INTEGER,
                    after + 4: PERCENT})
    _finish(sheet, formats, freeze="C2")


def _ledger(sheet: Worksheet, tree: Rollup, entries: list, labels: _Labels, tz: tzinfo) -> None:
    sheet.append(labels.ledger)
    for entry, who in entries:
        info = tree.units[entry.unit_id]
        # Excel has no time zones: the local time, without its offset.
        at = as_utc(entry.created_at).astimezone(tz).replace(tzinfo=None, microsecond=0)
        sheet.append([entry.local_date, info.code, info.name, labels.programme[entry.programme],
                      entry.count, labels.kind.get(entry.kind, entry.kind),
                      who or labels.imported, entry.note or None, at])
    _finish(sheet, {1: DAY, 5: INTEGER, 9: MOMENT}, freeze="A2")


def _completeness(sheet: Worksheet, tree: Rollup, weeks: list, labels: _Labels) -> None:
    """Per week (newest first) and unit: hamlets with staff, reported, on time."""
    sheet.append(labels.weekly)
    order = depth_first(tree)
    for week, done in reversed(weeks):
        for unit_id in order:
            info, c = tree.units[unit_id], done[unit_id]
            sheet.append([week.label, week.start, week.end, info.code, info.name,
                          labels.level.get(info.kind, info.kind), c.staffed, c.reported,
                          c.on_time])
    _finish(sheet, {2: DAY, 3: DAY, 7: INTEGER, 8: INTEGER, 9: INTEGER}, freeze="F2")


def _monthly(sheet: Worksheet, report: MonthTree, columns: list[str], review: str,
             labels: _Labels) -> None:
    """Per unit (depth first) and programme: the month's gain, cumulative, target, progress,
    rank among its siblings and its change, hamlet-weeks reported of those expected, the
    projection to 31 December at the year-to-date pace, BHXH's figure with its day and the
    difference, and the review flag."""
    sheet.append(columns)
    rows = {}  # unit id → programme → its row in its parent's report (rank, completeness)
    for unit_id in report.tree.children:
        for programme, ranked in report.report(unit_id).rankings.items():
            for row in ranked:
                rows.setdefault(row.unit.id, {})[programme] = row
    for unit_id in depth_first(report.tree):
        info, done = report.tree.units[unit_id], report.done[unit_id]
        own = report.report(unit_id).totals if unit_id not in rows else None
        for programme in PROGRAMMES:
            m = own[programme] if own else rows[unit_id][programme].figures
            sheet.append([info.code, info.name, labels.level.get(info.kind, info.kind),
                          labels.programme[programme], m.gain, m.figures.achieved,
                          m.figures.target, m.figures.ratio, m.rank, m.rank_change,
                          done.reported, done.staffed, m.projected, m.projected_ratio,
                          m.official and m.official.participants, m.official and m.official.as_of,
                          m.official_gap, review if m.review else None])
    signed = "+#,##0;-#,##0;0"
    formats = {5: INTEGER, 6: INTEGER, 7: INTEGER, 8: PERCENT, 9: INTEGER, 10: signed,
               11: INTEGER, 12: INTEGER, 13: INTEGER, 14: PERCENT, 15: INTEGER, 16: DAY,
               17: signed}
    _finish(sheet, formats, freeze="C2")


def depth_first(tree: Rollup) -> list[int]:
    """The root, then each child followed by its own children, by name."""
    root = next(uid for uid, info in tree.units.items() if info.parent_id not in tree.units)
    order, stack = [], [root]
    while stack:
        uid = stack.pop()
        order.append(uid)
        stack.extend(reversed(tree.children.get(uid, [])))
    return order


def _finish(sheet: Worksheet, formats: dict[int, str], *, freeze: str) -> None:
    """Number formats, a bold frozen header with filters, and columns as wide as their text."""
    widths: dict[int, int] = {}
    # Dates centred and text indented, so a right-aligned figure never touches the text
    # beside it; a header sits over its figures.
    align = {c: DATE_ALIGN if "YY" in f else NUMBER_ALIGN for c, f in formats.items()}
    for row in sheet.iter_rows():
        for cell in row:
            _as_text(cell)
            if cell.row > 1 and cell.column in formats:
                cell.number_format = formats[cell.column]
            cell.alignment = align.get(cell.column, TEXT_ALIGN)
            widths[cell.column] = max(widths.get(cell.column, 0), _width(cell.value, cell.row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for column, width in widths.items():
        # Widths count Calibri digits; fonts that stand in for it (LibreOffice) are wider.
        sheet.column_dimensions[get_column_letter(column)].width = min(width * 1.15 + 3,
                                                                       MAX_WIDTH)
    sheet.freeze_panes = freeze
    sheet.auto_filter.ref = sheet.dimensions
    # Printed: landscape, as wide as one page, the header on every page.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _as_text(cell: Cell) -> None:
    """A name, code or reason is text, never a formula, whatever it starts with: openpyxl
    stores a string starting with = as a formula, and a spreadsheet evaluates = + - @ when
    the cell is edited, so such a value is typed text with Excel's quote prefix (')."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True


def _width(value: Any, row: int) -> int:
    if value is None:
        return 0
    if isinstance(value, float):  # a percentage: "100.00%"
        return 8
    if isinstance(value, int):  # room for a thousands separator and the sign
        return len(f"{value:,}") + 2
    if hasattr(value, "hour"):
        return 17
    if isinstance(value, date):
        return 12
    text = str(value)
    # Bold header text is wider; a filter button takes two more characters.
    return int(len(text) * 1.1) + 2 if row == 1 else len(text)
