"""The inbox journal: what it took survives a restart (and a torn last line), is replayed in
order, is written before handling when the platform delivers only once, and is emptied once
handled. The whole path through the channels is in tests/test_outage.py."""
from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from sqlalchemy.exc import OperationalError

from bot.config import ConfigError
from bot.inbox import Inbox
from handlers.types import Incoming
from tests.conftest import START

MSG = Incoming(platform="zalo", chat_id="c1", chat_kind="private", user_id="u1",
               display_name="Hoa", text="/dangky 1", message_id="m1", time=START)


def numbered(n: int) -> Incoming:
    return replace(MSG, message_id=f"m{n}", text=f"/dangky {n}")


async def database_away(msg: Incoming) -> None:
    raise OperationalError("INSERT", {}, Exception("database is locked"))


async def replay_all(inbox: Inbox, seen: list[str]) -> None:
    async def record(msg: Incoming) -> None:
        seen.append(msg.message_id)

    inbox.guard("zalo", database_away, record, wanted=lambda msg: True)
    task = asyncio.create_task(inbox.run())
    await asyncio.wait_for(inbox.drained(), 5)
    task.cancel()


async def test_kept_across_a_restart_and_replayed_in_order(tmp_path):
    path = tmp_path / "inbox.jsonl"
    inbox = Inbox(path)
    await inbox.open()
    on_message = inbox.guard("zalo", database_away, database_away, wanted=lambda msg: True)
    for n in (1, 2, 3):
        await on_message(numbered(n))  # no error reaches the channel: it may acknowledge
    assert inbox.waiting == 3
    await inbox.close()
    with path.open("a") as journal:
        journal.write('{"n": 4, "msg": {"platf')  # a crash in the middle of a write
    again = Inbox(path)
    await again.open()
    seen: list[str] = []
    await replay_all(again, seen)
    await again.close()
    assert seen == ["m1", "m2", "m3"]
    assert path.stat().st_size == 0


async def test_a_new_message_waits_behind_the_backlog(tmp_path):
    inbox = Inbox(tmp_path / "inbox.jsonl")
    await inbox.open()
    live: list[str] = []

    async def first_fails(msg: Incoming) -> None:
        if msg.message_id == "m1":
            await database_away(msg)
        live.append(msg.message_id)

    on_message = inbox.guard("zalo", first_fails, first_fails, wanted=lambda msg: True)
    await on_message(numbered(1))
    await on_message(numbered(2))  # the database may be back, but m1 comes first
    assert live == [] and inbox.waiting == 2
    await inbox.close()


async def test_written_ahead_when_the_platform_delivers_once(tmp_path):
    path = tmp_path / "inbox.jsonl"
    inbox = Inbox(path)
    await inbox.open()
    started, never = asyncio.Event(), asyncio.Event()

    async def crashes_midway(msg: Incoming) -> None:
        started.set()
        await never.wait()

    on_message = inbox.guard("zalo", crashes_midway, crashes_midway, wanted=lambda msg: True,
                             write_ahead=True)
    handling = asyncio.create_task(on_message(MSG))
    await started.wait()
    handling.cancel()  # the process dies while handling
    await inbox.close()
    again = Inbox(path)
    await again.open()
    assert again.waiting == 1
    await again.close()


async def test_a_message_failing_for_another_reason_is_not_replayed_forever(tmp_path):
    inbox = Inbox(tmp_path / "inbox.jsonl")
    await inbox.open()
    on_message = inbox.guard("zalo", database_away, database_away, wanted=lambda msg: True)
    await on_message(numbered(1))
    await on_message(numbered(2))

    async def broken(msg: Incoming) -> None:
        if msg.message_id == "m1":
            raise ValueError("a bug")

    inbox.guard("zalo", broken, broken, wanted=lambda msg: True)
    task = asyncio.create_task(inbox.run())
    await asyncio.wait_for(inbox.drained(), 5)
    task.cancel()
    await inbox.close()


async def test_chatter_never_enters_the_inbox(tmp_path):
    inbox = Inbox(tmp_path / "inbox.jsonl")
    await inbox.open()
    on_message = inbox.guard("zalo", database_away, database_away, wanted=lambda msg: False)
    with pytest.raises(OperationalError):
        await on_message(MSG)
    assert inbox.waiting == 0
    await inbox.close()


async def test_one_journal_per_running_bot(tmp_path):
    first = Inbox(tmp_path / "inbox.jsonl")
    await first.open()
    with pytest.raises(ConfigError, match="inbox.path"):
        await Inbox(tmp_path / "inbox.jsonl").open()
    await first.close()
