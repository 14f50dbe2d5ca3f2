"""No resident's phone or ID number and no secret reaches the database or the logs."""
from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import String, Text, select
from sqlmodel import SQLModel

from handlers.privacy import mask, personal_numbers

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


# --- one detector for phone and citizen-ID-like numbers (issue 13, item 8) ------------------

WRITTEN = ["0912345678", "0912 345 678", "0912.345.678", "0912-345-678", "091 234 5678",
           "0912 34 56 78", "+84 912 345 678", "84912345678", "912.345.678",
           "079123456789", "079.123.456.789", "079 123 456 789", "079-123-456-789",
           "123456789", "024 3825 1234"]
NOT_PERSONAL = ["3.000.000 đ", "46.800.000", "25/11/2026 09:00", "2026-11-25 09:00",
                "1.215/1.509 (80,52%)", "chat -1001234567890", "zalo 4561234567890123",
                "K7QM-3XPA", "tổng đài 1900 9068", "/dangky 12 bhyt 3", "2026-W47"]


@pytest.mark.parametrize("number", WRITTEN)
def test_the_detector_finds_a_number_however_it_is_written(number):
    text = f"gọi chị Lan {number} nhé"
    assert personal_numbers(text) == [re.sub(r"\D", "", number)]
    assert mask(text) == "gọi chị Lan *** nhé"


@pytest.mark.parametrize("text", NOT_PERSONAL)
def test_the_detector_leaves_figures_dates_and_platform_ids(text):
    assert personal_numbers(text) == [] and mask(text) == text


def _squeezed(texts: list[str]) -> str:
    return "\n".join(re.sub(r"[ .\-]", "", t) for t in texts)


@pytest.mark.parametrize("typed", ["/tinh 0912345678", "/tinh 0912 345 678",
                                   "/bxh 0912.345.678", "/0912345678", "/dangky 079.123.456.789"])
async def test_an_answer_never_echoes_a_typed_number_and_none_is_stored(coordinator, typed):
    answer = await coordinator.say(typed)
    assert answer
    digits = re.sub(r"\D", "", typed)
    assert digits[1:] not in re.sub(r"\D", "", answer)  # not even without its leading 0
    stored = await all_text_in_database(coordinator.app)
    assert digits[1:] not in re.sub(r"\D", "", _squeezed(stored))


@pytest.mark.parametrize("reason", ["gọi chị Lan 0912 345 678", "CCCD 079.123.456.789",
                                    "hộ ông Ba 091-234-5678"])
async def test_a_correction_reason_with_a_number_is_refused(coordinator, reason):
    answer = await coordinator.say(f"/suachua LM-KV1 bhxh -1 {reason}")
    assert "giống số điện thoại hoặc số CCCD" in answer
    assert "Đã sửa" not in await coordinator.say("1")
    assert re.sub(r"\D", "", reason)[1:] not in _squeezed(await all_text_in_database(
        coordinator.app))


def test_log_records_are_masked_messages_and_tracebacks(caplog):
    from bot.logs import LogGuard
    log = logging.getLogger("hamletbot.test")
    with caplog.at_level(logging.INFO), LogGuard().installed():
        log.info("reply was %s", "gọi 0912 345 678")
        try:
            raise ValueError("CCCD 079.123.456.789")
        except ValueError:
            log.exception("failed for chat %s", "-1001234567890")
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "345 678" not in text and "456.789" not in text
    assert "gọi ***" in text and "-1001234567890" in text


async def test_a_database_error_does_not_carry_the_stored_answer(app):
    from sqlalchemy.exc import IntegrityError
    from models.processed import ProcessedMessage
    reply = [{"text": f"Thu nhập {PHONE} đ", "choices": []}]
    async with app.sessions() as session:
        session.add(ProcessedMessage(key="k", replies=reply))
        await session.commit()
    with pytest.raises(IntegrityError) as failed:
        async with app.sessions() as session:
            session.add(ProcessedMessage(key="k", replies=reply))
            await session.commit()
    assert PHONE not in str(failed.value) and "hidden" in str(failed.value)
