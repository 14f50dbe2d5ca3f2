"""`hamletbot template`: an empty import file to fill in, with its header and an example."""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from bot.importer import COLUMNS, _text

EXAMPLES = {  # a valid example per file kind, for `hamletbot template`
    "units": [("CT", "Thành phố Cần Thơ", "city", ""),
              ("LM", "Phường Long Mỹ", "commune", "CT"),
              ("LM-KV1", "Khu vực 1 (Long Mỹ)", "hamlet", "LM")],
    "targets": [("LM-KV1", "bhxh_tn", 2026, 453)],
    "baselines": [("LM-KV1", "bhxh_tn", date(2026, 9, 30), 401)],
    "official": [("LM", "bhxh_tn", date(2026, 10, 31), 1215),
                 ("LM", "bhyt", date(2026, 10, 31), 39870)],
    "population": [("LM", 45180, 95), ("LM-KV1", 5120, "")],
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
