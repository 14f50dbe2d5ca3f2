"""Every state transition claimed once under concurrency: two app instances on one database,
20 distinct messages acting on the same state, all in flight at once (asyncio.gather).
Exactly one wins and the ledger is right. On PostgreSQL nothing serialises them but the
claims themselves; on SQLite the same tests run through its single writer."""
from __future__ import annotations

import asyncio
import itertools

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.app import running_app
from bot.demo import load_demo
from handlers.types import Incoming, Reply
from models.ledger import Report
from models.members import Member
from tests.conftest import add_member, new_invite
from tests.fakes import telegram_harness as tg
from tests.fakes.zalo_harness import fake, running_zalo, text_event  # noqa: F401
from tests.ledger_helpers import ledger_sum

ATTEMPTS = 20
_ids = itertools.count(1)


@pytest.fixture
async def apps(settings, clock):
    """Two instances on one database, the demo data loaded."""
    async with running_app(settings, clock=clock) as one, running_app(settings, clock=clock) as two:
        async with one.sessions() as session:
            await load_demo(clock().date(), session=session)
            await session.commit()
        yield one, two


def message(clock, user_id: str, text: str, **extra) -> Incoming:
    values = dict(platform="console", chat_id=f"p-{user_id}", chat_kind="private",
                  user_id=user_id, display_name="Chị Lan", text=text,
                  message_id=f"race-{next(_ids)}", time=clock(), bot_username="hamletbot")
    return Incoming(**{**values, **extra})


async def at_once(apps, messages: list[Incoming]) -> list[str]:
    """Each message handled by one of the instances in turn, all at the same time."""
    answers = await asyncio.gather(*(apps[i % len(apps)].dispatcher.handle(m)
                                     for i, m in enumerate(messages)))
    return [text(replies) for replies in answers]


def text(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def ask(app, msg: Incoming) -> Reply:
    """Send a message that is answered with choices; the reply holding them."""
    [reply] = [r for r in await app.dispatcher.handle(msg) if r.choices]
    return reply


async def test_one_use_invite_is_joined_once(apps, clock):
    code = await new_invite(apps[0], "LM-KV1", uses=1)
    answers = await at_once(apps, [message(clock, f"new-{i}", f"/thamgia {code}")
                                   for i in range(ATTEMPTS)])
    assert sum("Chào mừng" in a for a in answers) == 1, answers
    assert sum("dùng hết lượt" in a for a in answers) == ATTEMPTS - 1
    async with apps[0].sessions() as session:
        joined = (await session.exec(select(func.count()).select_from(Member))).one()
    assert joined == 1


async def test_one_user_joining_twice_at_once_is_one_member(apps, clock):
    code = await new_invite(apps[0], "LM-KV1", uses=ATTEMPTS)
    answers = await at_once(apps, [message(clock, "new", f"/thamgia {code}")
                                   for _ in range(ATTEMPTS)])
    assert sum("Chào mừng" in a for a in answers) == 1, answers
    assert sum("rồi" in a for a in answers) == ATTEMPTS - 1  # the others: already a member
    async with apps[0].sessions() as session:
        [member] = (await session.exec(select(Member))).all()
    assert member.user_id == "new"


@pytest.mark.parametrize("answer", ["number", "button"])
async def test_confirmation_answered_many_times_counts_once(apps, clock, answer):
    await add_member(apps[0], "staff", "staff", "LM-KV1")
    asked = await ask(apps[0], message(clock, "staff", "/dangky 60"))
    yes = asked.choices[0].payload
    answers = await at_once(apps, [
        message(clock, "staff", "1") if answer == "number"
        else message(clock, "staff", yes, is_choice=True) for _ in range(ATTEMPTS)])
    assert sum("Đã ghi nhận 60" in a for a in answers) == 1, answers
    assert sum("hết hạn" in a for a in answers) == ATTEMPTS - 1
    assert await ledger_sum(apps[0], "LM-KV1") == 60


async def test_correction_confirmed_many_times_applies_once(apps, clock):
    await add_member(apps[0], "coord", "coordinator", "LM", name="Anh Minh")
    asked = await ask(apps[0], message(clock, "coord", "/suachua LM-KV1 bhxh -3 báo trùng"))
    yes = asked.choices[0].payload
    answers = await at_once(apps, [message(clock, "coord", yes, is_choice=True)
                                   for _ in range(ATTEMPTS)])
    assert sum("Đã sửa" in a for a in answers) == 1, answers
    assert await ledger_sum(apps[0], "LM-KV1", kinds=("correction",)) == -3


@pytest.mark.parametrize("answer", ["number", "button"])
async def test_undo_confirmed_many_times_reverses_once(apps, clock, answer):
    await add_member(apps[0], "staff", "staff", "LM-KV1")
    await apps[0].dispatcher.handle(message(clock, "staff", "/dangky 5"))
    asked = await ask(apps[0], message(clock, "staff", "/huy"))
    yes = asked.choices[0].payload
    answers = await at_once(apps, [
        message(clock, "staff", "1") if answer == "number"
        else message(clock, "staff", yes, is_choice=True) for _ in range(ATTEMPTS)])
    assert sum("Đã hủy" in a for a in answers) == 1, answers
    assert sum("hết hạn" in a for a in answers) == ATTEMPTS - 1
    assert await ledger_sum(apps[0], "LM-KV1") == 0
    assert await reversals_are_single(apps[0])


async def test_undo_asked_many_times_at_once_undoes_nothing(apps, clock):
    await add_member(apps[0], "staff", "staff", "LM-KV1")
    await apps[0].dispatcher.handle(message(clock, "staff", "/dangky 5"))
    answers = await at_once(apps, [message(clock, "staff", "/huy") for _ in range(ATTEMPTS)])
    assert all("Anh/chị muốn hủy báo cáo này?" in a for a in answers), answers
    assert await ledger_sum(apps[0], "LM-KV1") == 5
    assert "Đã hủy" in text(await apps[1].dispatcher.handle(message(clock, "staff", "1")))
    assert await ledger_sum(apps[0], "LM-KV1") == 0


async def test_edits_racing_undo_reverse_each_entry_once(apps, clock):
    await add_member(apps[0], "staff", "staff", "LM-KV1")
    original = message(clock, "staff", "/dangky 5")
    await apps[0].dispatcher.handle(original)
    await ask(apps[0], message(clock, "staff", "/huy"))
    # each edit that wins makes the others try again: a few edits, many yeses to /huy
    edits = [Incoming(**{**original.__dict__, "text": "/dangky 7", "is_edit": True,
                         "edit_id": str(i)}) for i in range(ATTEMPTS // 4)]
    yeses = [message(clock, "staff", "1") for _ in range(ATTEMPTS - len(edits))]
    answers = await at_once(apps, edits + yeses)
    assert sum("Đã hủy" in a for a in answers) == 1, answers
    # whatever the order, the report ends undone: an edit after /huy does not revive it
    assert await ledger_sum(apps[0], "LM-KV1") == 0
    assert await reversals_are_single(apps[0])


async def reversals_are_single(app) -> bool:
    async with app.sessions() as session:
        reversed_ids = (await session.exec(select(Report.reverses_id).where(
            Report.reverses_id.is_not(None)))).all()
    return len(reversed_ids) == len(set(reversed_ids)) > 0


# --- through the real channels --------------------------------------------------------


async def test_one_use_invite_through_telegram_polling(demo):
    code = await new_invite(demo, "LM-KV1", uses=1)
    async with tg.running_telegram(demo, "polling") as harness:
        for i in range(ATTEMPTS):
            await harness.fake.push(tg.text_update(tg.user(6000 + i, "Hoa"), tg.chat(6000 + i),
                                                   f"/start {code}"))
        await harness.handled_reaches(ATTEMPTS)
    texts = [c.params["text"] for c in harness.fake.sent()]
    assert len(texts) == ATTEMPTS
    assert sum("Chào mừng" in t for t in texts) == 1, texts
    async with demo.sessions() as session:
        joined = (await session.exec(select(func.count()).select_from(Member))).one()
    assert joined == 1


async def test_confirmation_answered_twice_through_zalo_webhook(demo, fake, monkeypatch):  # noqa: F811
    user = "5e6f708192a3b4c5d6e7"
    await add_member(demo, user, "staff", "LM-KV1", platform="zalo")
    async with running_zalo(demo, fake, "webhook", monkeypatch) as zalo:
        assert "xác nhận" in (await zalo.deliver(text_event(user, "Chị Hoa", "/dangky 60")))[0]
        statuses = await asyncio.gather(*(
            fake.deliver({"ok": True, "result": text_event(user, "Chị Hoa", "1")})
            for _ in range(ATTEMPTS)))
    assert set(statuses) == {200}
    texts = fake.texts(user)
    assert sum("Đã ghi nhận 60" in t for t in texts) == 1, texts
    assert await ledger_sum(demo, "LM-KV1") == 60
