"""Two app instances against one database: every update delivered to both counts once."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from bot.app import running_app
from bot.demo import load_demo
from handlers.types import Incoming
from models.members import Member
from models.units import unit_by_code
from tests.conftest import POSTGRES_URL
from tests.ledger_helpers import ledger_sum

# PostgreSQL takes the full 1,000; two processes on one SQLite file serialise
# every write, so the embedded database gets a smaller burst of the same test.
UPDATES = 1000 if POSTGRES_URL else 200
STAFF = 40
IN_FLIGHT = 16


def update(i: int) -> Incoming:
    user = f"s{i % STAFF}"
    return Incoming(platform="telegram", chat_id=user, chat_kind="private", user_id=user,
                    display_name="Cán bộ", text="/dangky 1", message_id=str(i),
                    time=datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc))


async def test_each_update_delivered_to_both_instances_counts_once(settings, clock):
    async with running_app(settings, clock=clock) as one, running_app(settings, clock=clock) as two:
        async with one.sessions() as session:
            await load_demo(clock().date(), session=session)
            hamlet = await unit_by_code("LM-KV1", session=session)
            session.add_all(Member(platform="telegram", user_id=f"s{i}", display_name="Cán bộ",
                                   role="staff", unit_id=hamlet.id) for i in range(STAFF))
            await session.commit()
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def deliver_twice(i: int) -> None:
            async with gate:
                msg = update(i)
                first, second = await asyncio.gather(one.dispatcher.handle(msg),
                                                     two.dispatcher.handle(msg))
                assert first and [r.text for r in first] == [r.text for r in second]
                assert "Đã ghi nhận 1" in first[0].text

        await asyncio.gather(*(deliver_twice(i) for i in range(UPDATES)))
        assert await ledger_sum(one, "LM-KV1") == UPDATES


ROWS = 2000 if POSTGRES_URL else 300


async def test_two_senders_send_each_row_once(settings, clock):
    from tests.test_sender import FakeChannel, make_sender, queue

    async with running_app(settings, clock=clock) as one, running_app(settings, clock=clock) as two:
        rows = [(f"push:{i}", str(i % 400), f"tin {i}") for i in range(ROWS)]
        await queue(one, clock, rows)
        server: list[tuple[float, str, str]] = []  # both senders talk to the same "server"
        senders = []
        for app in (one, two):
            channel = FakeChannel("telegram", clock)
            channel.sent = server
            sender = make_sender(app, clock, channel)
            sender.concurrency = 32
            senders.append(sender)

        async def drain_until_empty(sender) -> None:
            while await sender.drain("telegram"):
                pass

        for _ in range(3):  # a sender may find the other one holding the rest
            await asyncio.gather(*(drain_until_empty(s) for s in senders))
        texts = [text for _, _, text in server]
        assert len(texts) == ROWS and set(texts) == {text for _, _, text in rows}


async def test_a_job_fired_on_both_instances_writes_one_set_of_rows(settings, clock):
    from datetime import timedelta

    from sqlalchemy import func
    from sqlmodel import select

    from bot.runner import make_pushes
    from models.members import ChatLink
    from models.outbox import Outbox

    async with running_app(settings, clock=clock) as one, running_app(settings, clock=clock) as two:
        async with one.sessions() as session:
            await load_demo(clock().date(), session=session)
            for i, code in enumerate(("LM", "OM", "MT")):
                unit = await unit_by_code(code, session=session)
                session.add(ChatLink(platform="telegram", chat_id=f"-{i + 1}", unit_id=unit.id))
            await session.commit()
        channels = {"telegram": object()}
        jobs = [make_pushes(app, channels)[0].jobs for app in (one, two)]
        fire = clock() - timedelta(days=2)  # Monday 07:30 of this week, roughly
        added = await asyncio.gather(*(j.leaderboard(fire) for j in jobs))
        async with one.sessions() as session:
            count = (await session.exec(select(func.count()).select_from(Outbox))).one()
        assert count == 3 and sorted(added) == [0, 3]
