"""Privacy through the real channels: the shared conversation plus residents typing phone
and citizen-ID numbers, on Telegram and on Zalo (polling and webhook), with every logger at
DEBUG. No log line and no text column holds a token, a webhook secret, or a number that
looks like a phone or citizen-ID number."""
from __future__ import annotations

import logging
import re

import pytest

from bot.logs import QUIET
from tests.channel_conversations import CONVERSATION
from tests.conftest import add_member, new_invite
from tests.fakes import telegram_harness as tg_fakes
from tests.fakes import zalo_harness as zalo_fakes
from tests.fakes.zalo_harness import fake, running_zalo, text_event  # noqa: F401
from tests.test_privacy import CCCD, PHONE, RESIDENT_SAYS, all_text_in_database

MODES = ["polling", "webhook"]
# a phone number (10 digits from 0) or a citizen ID (12 digits) standing alone; longer digit
# runs (the fake Zalo's zero-padded message ids) are not numbers a resident types
PATTERNS = [re.compile(r"(?<!\d)0\d{9}(?!\d)"), re.compile(r"(?<!\d)\d{12}(?!\d)"),
            re.compile(PHONE), re.compile(CCCD)]
# (user id, name) per speaker; ids are not resident numbers on either platform
TG_USERS = {"resident": 1001, "coordinator": 2002, "stranger": 5005}
ZALO_USERS = {"resident": "a1b2c3d4e5f60718293a", "coordinator": "c9d8e7f6a5b4c3d2e1f0",
              "stranger": "e1e2e3e4e5e6e7e8e9ea"}
ZALO_GROUP = "g7c2e41b9a0d35f68e12"


def production_lines(records: list[logging.LogRecord]) -> list[str]:
    """What production writes: bot/logs.py keeps its QUIET libraries at WARNING (at DEBUG
    aiosqlite logs query parameters, PTB whole updates)."""
    def quieted(name: str) -> bool:
        return any(name == q or name.startswith(q + ".") for q in QUIET)
    kept = [r for r in records if r.levelno >= logging.WARNING or not quieted(r.name)]
    return [f"{r.name}: {r.getMessage()} {r.exc_text or ''}" for r in kept]


def script(code: str) -> list[tuple[str, str, str, str | None]]:
    """(who, chat, text, expected phrase or None): the shared conversation, then residents'
    numbers from the staff member who joined and from a stranger."""
    steps = [(s.who, s.chat, s.text.format(code=code), s.expect) for s in CONVERSATION]
    return steps + [(who, "private", text, None) for who in ("resident", "stranger")
                    for text in RESIDENT_SAYS]


def answered(texts: list[str], expected: str | None) -> bool:
    if expected is None:
        return True
    return any(expected in t for t in texts) if expected else texts == []


def leaks(lines: list[str], secrets: list[str]) -> list[str]:
    return [line for line in lines
            if any(p.search(line) for p in PATTERNS) or any(s in line for s in secrets)]


async def check(app, caplog, secrets: list[str]) -> None:
    lines = production_lines(caplog.records)
    # the scan had material: the channel's own lines and the wrong-code warnings (the
    # citizen-ID typed as an invite code), besides every library's DEBUG lines
    assert any(line.startswith("bot.") for line in lines)
    assert sum("wrong invite code" in line for line in lines) == 2
    assert leaks(lines, secrets) == []
    typed = [text for *_, text, _ in script("") if len(text) >= 12]  # no message text either
    assert [line for line in lines if any(text in line for text in typed)] == []
    stored = await all_text_in_database(app)
    assert stored and leaks(stored, secrets) == []


@pytest.mark.parametrize("mode", MODES)
async def test_telegram_at_debug_leaks_nothing(demo, mode, caplog):
    caplog.set_level(logging.DEBUG)
    await add_member(demo, "2002", "coordinator", "LM", name="Anh Minh", platform="telegram")
    code = await new_invite(demo, "MT-MK")
    group = tg_fakes.chat(-3003)
    async with tg_fakes.running_telegram(demo, mode) as tg:
        for who, where, text, expected in script(code):
            sender = tg_fakes.user(TG_USERS[who], who.title())
            chat = group if where == "group" else tg_fakes.chat(sender["id"])
            if text.isdigit():  # a choice: press the button
                shown = [c for c in tg.fake.sent() if "reply_markup" in c.params][-1]
                update = tg_fakes.press_update(sender, shown, int(text))
            else:
                update = tg_fakes.text_update(sender, chat, text)
            texts = [c.params.get("text", "") for c in await tg.deliver(update)]
            assert answered(texts, expected), (text, texts)
    await check(demo, caplog, [tg_fakes.TOKEN, tg_fakes.TOKEN.split(":")[1], tg_fakes.SECRET])


@pytest.mark.parametrize("mode", MODES)
async def test_zalo_at_debug_leaks_nothing(demo, fake, mode, monkeypatch, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    await add_member(demo, ZALO_USERS["coordinator"], "coordinator", "LM", name="Anh Minh",
                     platform="zalo")
    code = await new_invite(demo, "MT-MK")
    async with running_zalo(demo, fake, mode, monkeypatch) as zalo:
        for who, where, text, expected in script(code):
            texts = await zalo.deliver(text_event(ZALO_USERS[who], who.title(), text,
                                                  ZALO_GROUP if where == "group" else ""))
            assert answered(texts, expected), (text, texts)
    await check(demo, caplog, [fake.token, fake.token.split(":")[1], zalo_fakes.SECRET])
