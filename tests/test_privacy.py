"""No resident's phone or ID number and no secret reaches the database or the logs."""
from __future__ import annotations

import logging
import re

from sqlalchemy import String, Text, select
from sqlmodel import SQLModel

PHONE = "0912345678"
CCCD = "089123456789"
PATTERNS = [re.compile(r"0\d{9}\b"), re.compile(r"\b\d{12}\b"), re.compile(PHONE),
            re.compile(CCCD)]
RESIDENT_SAYS = [
    f"số điện thoại tui là {PHONE}, đóng bhxh tự nguyện bao nhiêu?",
    f"/hoi cccd {CCCD} của tôi đã có thẻ bhyt chưa",
    f"/dangky {PHONE}",
    f"/dangky 5 {CCCD}",
    f"/tinh {PHONE}",
    f"/thamgia {CCCD}",
    f"/bhyt {PHONE}",
]


async def all_text_in_database(app) -> list[str]:
    found = []
    async with app.sessions() as session:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns
                       if isinstance(c.type, (String, Text)) or c.type.__class__.__name__ == "JSON"]
            for row in await session.exec(select(*columns)) if columns else []:
                found.extend(str(value) for value in row)
    return found


async def test_numbers_residents_type_are_not_stored_or_logged(staff, stranger, caplog):
    caplog.set_level(logging.DEBUG)
    for person in (staff, stranger):
        for text in RESIDENT_SAYS:
            for reply in await person.deliver(person.message(text)):
                assert PHONE not in reply.text and CCCD not in reply.text
    stored = await all_text_in_database(staff.app)
    assert stored  # the scan did read the database
    leaks = [t for t in stored if any(p.search(t) for p in PATTERNS)]
    assert leaks == []
    logged = [r.getMessage() for r in caplog.records]
    assert [line for line in logged if any(p.search(line) for p in PATTERNS)] == []
