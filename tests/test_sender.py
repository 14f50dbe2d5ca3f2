"""The outbox sender against a fake channel: limits, retries, gone chats, failures, restarts.
Time is a fake clock; the sender's sleep advances it (nothing really sleeps)."""
from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.channels import Misconfigured, RecipientGone, RetryableError
from bot.config import SenderSettings
from bot.delivery import reply_payload
from bot.render import make_renderer
from bot.sender import Sender
from handlers.types import Reply
from models.members import ChatLink
from models.outbox import Outbox, enqueue, outbox_status
from models.units import unit_by_code
from tests.conftest import add_member


class FakeChannel:
    """Records what it sends; `fail` maps a chat id to errors raised on its next sends."""

    def __init__(self, name: str, clock) -> None:
        self.name, self.clock = name, clock
        self.sent: list[tuple[float, str, str]] = []
        self.fail: dict[str, list[Exception]] = {}

    async def send(self, chat_id: str, reply: Reply) -> None:
        errors = self.fail.get(chat_id)
        if errors:
            raise errors.pop(0)
        self.sent.append((self.clock().timestamp(), chat_id, reply.text))


class PowerCut(Exception):
    """The process dies here."""


def make_sender(app, clock, channel, **settings) -> Sender:
    async def sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)
        await asyncio.sleep(0)

    return Sender({channel.name: channel}, sessions=app.sessions, render=make_renderer(),
                  settings=SenderSettings(**settings), clock=clock, sleep=sleep,
                  rng=random.Random(7), concurrency=1, monotonic=lambda: clock().timestamp())


async def queue(app, clock, rows, platform="telegram") -> None:
    async with app.sessions() as session:
        for key, chat_id, text in rows:
            await enqueue(key, platform, chat_id, reply_payload(Reply(text)), now=clock(),
                          session=session)
        await session.commit()


async def statuses(app) -> dict[str, tuple[str, int]]:
    async with app.sessions() as session:
        return {r.key: (r.status, r.attempts) for r in await session.exec(select(Outbox))}


@pytest.fixture
def channel(clock) -> FakeChannel:
    return FakeChannel("telegram", clock)


async def test_sends_each_chats_rows_in_order_and_marks_sent(app, clock, channel):
    await queue(app, clock, [("a:0", "1", "một"), ("a:1", "1", "hai"), ("b:0", "2", "ba")])
    sender = make_sender(app, clock, channel)
    assert await sender.drain("telegram") == 3
    # chat 1's second message waits out its interval; chat 2 is not held up meanwhile
    assert [(c, t) for _, c, t in channel.sent] == [("1", "một"), ("2", "ba"), ("1", "hai")]
    assert set((await statuses(app)).values()) == {("sent", 1)}
    assert await sender.drain("telegram") == 0


async def test_keeps_telegram_limits(app, clock, channel):
    rows = [(f"r:{i}", str(1000 + i), "x") for i in range(90)]
    rows += [(f"s:{i}", "7", "y") for i in range(3)]  # one private chat: 1 per second
    rows += [(f"g:{i}", "-100", "z") for i in range(25)]  # one group: 20 per minute
    await queue(app, clock, rows)
    await make_sender(app, clock, channel).drain("telegram")
    times = [t for t, _, _ in channel.sent]
    assert len(times) == 118
    for i in range(len(times) - 30):
        assert times[i + 30] - times[i] >= 1.0  # never 31 within a second
    private = [t for t, c, _ in channel.sent if c == "7"]
    assert all(b - a >= 1.0 for a, b in zip(private, private[1:]))
    group = [t for t, c, _ in channel.sent if c == "-100"]
    assert group[20] - group[0] >= 60


async def test_429_honours_retry_after_and_pauses_the_platform(app, clock, channel):
    await queue(app, clock, [("a:0", "1", "một"), ("b:0", "2", "hai")])
    channel.fail["1"] = [RetryableError("429 Too Many Requests", retry_after=30)]
    sender = make_sender(app, clock, channel)
    start = clock()
    await sender.drain("telegram")
    async with app.sessions() as session:
        row = (await session.exec(select(Outbox).where(Outbox.key == "a:0"))).one()
    assert row.status == "pending" and row.attempts == 1 and "429" in row.last_error
    assert row.next_attempt.replace(tzinfo=start.tzinfo) >= start + timedelta(seconds=30)
    assert channel.sent[0][0] >= start.timestamp() + 30  # chat 2 waited out the pause too
    clock.advance(seconds=1)
    await sender.drain("telegram")
    assert (await statuses(app))["a:0"] == ("sent", 2)


@pytest.mark.parametrize("error", [RetryableError("502 Bad Gateway"), asyncio.TimeoutError(),
                                   ConnectionResetError("reset")])
async def test_5xx_and_timeouts_back_off_then_fail_and_tell_admins(demo, clock, channel, error):
    await add_member(demo, "42", "admin", "CT", platform="telegram")
    await queue(demo, clock, [("a:0", "1", "một")])
    channel.fail["1"] = [error] * 10
    sender = make_sender(demo, clock, channel, max_attempts=4, base_delay_seconds=10)
    waits = []
    for _ in range(4):
        before = clock()
        await sender.drain("telegram")
        async with demo.sessions() as session:
            row = (await session.exec(select(Outbox).where(Outbox.key == "a:0"))).one()
        waits.append((row.next_attempt.replace(tzinfo=before.tzinfo) - before).total_seconds())
        clock.advance(seconds=200)
    assert row.status == "failed" and row.attempts == 4
    await sender.drain("telegram")
    assert 5 <= waits[0] <= 10 and 10 <= waits[1] <= 20 and 20 <= waits[2] <= 40  # doubling
    # the admin was told once, in their private chat; the notice went out
    assert [(c, "hamletbot outbox status" in t) for _, c, t in channel.sent] == [("42", True)]


async def test_a_failing_notice_tells_nobody(demo, clock, channel):
    await add_member(demo, "42", "admin", "CT", platform="telegram")
    await queue(demo, clock, [("a:0", "1", "một")])
    channel.fail["1"] = [Misconfigured("400 chat not found")]
    channel.fail["42"] = [Misconfigured("403 bot can't initiate conversation")]
    sender = make_sender(demo, clock, channel)
    await sender.drain("telegram")
    await sender.drain("telegram")
    assert [s for s, _ in (await statuses(demo)).values()] == ["failed", "failed"]
    assert await sender.drain("telegram") == 0


async def test_403_deactivates_the_link_and_fails_its_rows(demo, clock, channel):
    async with demo.sessions() as session:
        lm = await unit_by_code("LM", session=session)
        session.add(ChatLink(platform="telegram", chat_id="-5", unit_id=lm.id))
        await session.commit()
    await queue(demo, clock, [("a:0", "-5", "một"), ("a:1", "-5", "hai"), ("b:0", "2", "ba")])
    channel.fail["-5"] = [RecipientGone("403 Forbidden: bot was kicked")]
    await make_sender(demo, clock, channel).drain("telegram")
    st = await statuses(demo)
    assert st["a:0"][0] == st["a:1"][0] == "failed" and st["b:0"][0] == "sent"
    async with demo.sessions() as session:
        assert not (await session.exec(select(ChatLink))).one().active
        report = await outbox_status(session=session)
    assert report["counts"][("telegram", "failed")] == 2


async def test_restart_between_send_and_mark_repeats_at_most_one_per_chat(app, clock, channel):
    rows = [(f"{c}:{i}", c, f"{c}{i}") for c in ("1", "2", "3") for i in range(3)]
    await queue(app, clock, rows)
    sender = make_sender(app, clock, channel)
    original, marks = sender._set, Counter()

    async def crash_on_fifth_mark(row_id, **values):
        marks["n"] += 1
        if marks["n"] == 5:
            raise PowerCut()  # sent, but the process died before the mark
        await original(row_id, **values)

    sender._set = crash_on_fifth_mark
    with pytest.raises(PowerCut):
        await sender.drain("telegram")
    restarted = make_sender(app, clock, channel)
    assert await restarted.drain("telegram") == 0  # the dead sender's claims still hold
    clock.advance(seconds=sender.lease.total_seconds())  # until they lapse
    await restarted.drain("telegram")
    texts = Counter(t for _, _, t in channel.sent)
    assert set(texts) == {t for _, _, t in rows}  # none lost
    assert sum(texts.values()) - len(rows) == 1  # one repeat, in one chat
    assert {s for s, _ in (await statuses(app)).values()} == {"sent"}


async def test_a_chats_later_rows_wait_for_its_retry(app, clock, channel):
    await queue(app, clock, [("a:0", "1", "một"), ("a:1", "1", "hai")])
    channel.fail["1"] = [RetryableError("500")]
    sender = make_sender(app, clock, channel)
    await sender.drain("telegram")
    await sender.drain("telegram")
    assert channel.sent == []
    clock.advance(seconds=60)
    await sender.drain("telegram")
    assert [t for _, _, t in channel.sent] == ["một", "hai"]
