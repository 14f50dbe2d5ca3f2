"""The database away for a while during a burst, through every channel and mode. Every
message the platform was told we have (a confirmed getUpdates offset, a webhook 200, a Zalo
event taken by getUpdates) is in the ledger exactly once afterwards, and its sender got the
answer, late. Messages that arrive while the backlog drains queue behind it.

The outage is deterministic: on PostgreSQL the app reaches the database through a proxy
that cuts every connection and refuses new ones while down (tests/fakes/db_proxy.py); on
SQLite the database file is moved away, which the engine refuses to write past (bot/db.py).
The inbox's back-off waits for the database to return instead of sleeping."""
from __future__ import annotations

import asyncio
import os
from collections import Counter
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.app import running_app
from bot.config import Settings
from bot.demo import load_demo
from bot.dispatch import FloodGate
from bot.inbox import Inbox
from models.ledger import Report
from tests.conftest import add_member
from tests.fakes.db_proxy import DatabaseProxy
from tests.fakes.telegram_harness import chat, running_telegram, text_update, user
from tests.fakes.zalo_harness import fake, running_zalo, text_event  # noqa: F401

USERS = 4
MODES = [("telegram", "polling"), ("telegram", "webhook"), ("zalo", "polling"),
         ("zalo", "webhook")]


class Outage:
    def __init__(self, url: str) -> None:
        self.url = url
        self.proxy = DatabaseProxy(url) if url.startswith("postgresql") else None
        self.file = None if self.proxy else Path(make_url(url).database)
        self.restored = asyncio.Event()
        self.restored.set()

    async def start(self) -> str:
        return (await self.proxy.start()).url if self.proxy else self.url

    def down(self) -> None:
        self.restored.clear()
        if self.proxy:
            self.proxy.down()
        else:
            os.rename(self.file, self.file.with_suffix(".away"))

    def restore(self) -> None:
        if self.proxy:
            self.proxy.restore()
        else:
            os.rename(self.file.with_suffix(".away"), self.file)
        self.restored.set()


@pytest.fixture
async def outage(database_url, clock):
    outage = Outage(database_url)
    settings = Settings.model_validate({"database": {"url": await outage.start()},
                                        "limits": {"messages_per_minute": 10_000}})
    async with running_app(settings, clock=clock) as app:
        async with app.sessions() as session:
            await load_demo(clock().date(), session=session)
            await session.commit()

        async def no_sleep(seconds: float) -> None:
            pass

        app.dispatcher.sleep = no_sleep  # the dispatcher's retries fail fast
        outage.app = app
        yield outage
    if outage.proxy:
        await outage.proxy.close()


@asynccontextmanager
async def channel(platform: str, mode: str, app, inbox: Inbox, zalo_fake, monkeypatch):
    """A function that delivers a burst {user id: [counts]} as the platform would and
    returns the refs of the messages the platform saw acknowledged; and the sent texts."""
    if platform == "telegram":
        async with running_telegram(app, mode, inbox) as tg:
            async def burst(counts: dict[str, list[int]]) -> list[str]:
                if mode == "polling":
                    updates = [await tg.fake.push(report(uid, n))
                               for uid, ns in counts.items() for n in ns]
                    await tg.fake.wait_until(lambda: tg.fake.unconfirmed == 0)
                    return [ref_of(u["message"], "telegram") for u in updates]
                return sum(await asyncio.gather(*(
                    posted(tg, uid, ns) for uid, ns in counts.items())), [])
            yield burst, lambda uid: [c.params["text"] for c in tg.fake.sent()
                                      if c.params["chat_id"] == uid]
        return
    async with running_zalo(app, zalo_fake, mode, monkeypatch, inbox=inbox):
        async def burst(counts: dict[str, list[int]]) -> list[str]:
            events = [text_event(uid, "Hoa", f"/dangky {n}") for uid, ns in counts.items()
                      for n in ns]
            if mode == "polling":
                for event in events:
                    zalo_fake.push(event)
                await zalo_fake.drained()  # every event taken: Zalo forgets them now
                return [ref_of(e["message"], "zalo") for e in events]
            statuses = [await zalo_fake.deliver({"ok": True, "result": e}) for e in events]
            return [ref_of(e["message"], "zalo") for e, s in zip(events, statuses) if s == 200]
        yield burst, zalo_fake.texts


def report(uid: str, count: int) -> dict:
    return text_update(user(int(uid), "Hoa"), chat(int(uid)), f"/dangky {count}")


async def posted(tg, uid: str, counts: list[int]) -> list[str]:
    """One chat's updates POSTed one after another, as Telegram does; the refs answered 200."""
    refs = []
    for count in counts:
        update = tg.fake.stamp(report(uid, count))
        if await tg.post_update(update) == 200:
            refs.append(ref_of(update["message"], "telegram"))
    return refs


def ref_of(message: dict, platform: str) -> str:
    return f"{platform}:{message['chat']['id']}:{message['message_id']}"


async def ledger_by_message(app) -> Counter[str]:
    async with app.sessions() as session:
        return Counter(await session.exec(select(Report.message_ref)
                                          .where(Report.kind == "report")))


@pytest.mark.parametrize("platform,mode", MODES)
async def test_database_outage_during_a_burst_loses_nothing(outage, tmp_path, fake,  # noqa: F811
                                                            monkeypatch, platform, mode):
    app = outage.app
    uids = [str(9100 + i) for i in range(USERS)]
    for uid in uids:
        await add_member(app, uid, "staff", "LM-KV1", platform=platform)
    inbox = Inbox(tmp_path / "inbox.jsonl", sleep=lambda seconds: outage.restored.wait())
    await inbox.open()
    replaying = asyncio.create_task(inbox.run())
    try:
        async with channel(platform, mode, app, inbox, fake, monkeypatch) as (burst, texts):
            acknowledged = await burst({uid: [1] for uid in uids})
            assert inbox.waiting == 0
            outage.down()
            acknowledged += await burst({uid: [2, 3, 4] for uid in uids})
            assert inbox.waiting == 3 * USERS  # acknowledged, kept on disk
            outage.restore()
            acknowledged += await burst({uid: [5] for uid in uids})  # behind the backlog
            await asyncio.wait_for(inbox.drained(), 30)
            answers = {uid: "\n".join(texts(uid)) for uid in uids}
    finally:
        replaying.cancel()
        await inbox.close()
    assert len(acknowledged) == 5 * USERS
    ledger = await ledger_by_message(app)
    assert [ref for ref in acknowledged if ledger[ref] != 1] == []
    for uid in uids:
        for count in range(1, 6):
            assert f"Đã ghi nhận {count} BHXH" in answers[uid], (uid, count)
    assert (tmp_path / "inbox.jsonl").stat().st_size == 0  # no message text left on disk


async def test_replayed_messages_are_not_held_to_the_flood_limit(outage, tmp_path, fake,  # noqa: F811
                                                                 monkeypatch):
    app = outage.app
    app.dispatcher.flood = FloodGate(1, app.clock)  # one message a minute
    await add_member(app, "9200", "staff", "LM-KV1", platform="zalo")
    inbox = Inbox(tmp_path / "inbox.jsonl", sleep=lambda seconds: outage.restored.wait())
    await inbox.open()
    replaying = asyncio.create_task(inbox.run())
    try:
        async with channel("zalo", "polling", app, inbox, fake, monkeypatch) as (burst, texts):
            outage.down()
            acknowledged = await burst({"9200": [1, 2, 3]})  # sent over ten minutes, say
            outage.restore()
            await asyncio.wait_for(inbox.drained(), 30)
    finally:
        replaying.cancel()
        await inbox.close()
    ledger = await ledger_by_message(app)
    assert [ledger[ref] for ref in acknowledged] == [1, 1, 1]
