"""The durable inbox: messages acknowledged to the platform that the database does not
have yet, kept in an fsync'd journal file until it does.

A channel acknowledges a message (webhook 200, a higher getUpdates offset) only once it is
durable: committed in the database, or written here. A message goes into the inbox when

- the database stays unavailable past the dispatcher's retries: it is journaled and
  acknowledged, and handled when the database is back (the user gets the answer late
  rather than never);
- older messages are still waiting here: it queues behind them, so a chat's order holds;
- the platform delivers it only once, whatever we answer (Zalo `getUpdates` hands out
  each event once, `delivers_once`): it is journaled *before* it is handled
  (write-ahead), so a crash while handling loses nothing either.

The replayer handles waiting messages in arrival order; the idempotency keys make a replay
of a message that was committed after all (a crash between commit and the done mark) a
no-op that answers again. The journal is JSON lines, `{"n": 1, "msg": {...}}` appended and
fsync'd, `{"done": 1}` when handled; it is emptied whenever nothing waits and compacted at
start-up, so message texts stay on disk only while the database is away. One process per
journal: a lock file next to it refuses a second.
"""
from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Awaitable, Callable

from bot.channels import OnMessage
from bot.config import ConfigError
from bot.delivery import DeliveryPolicy, message_handler
from bot.dispatch import db_unavailable
from handlers.types import Incoming

log = logging.getLogger(__name__)

REPLAY_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)  # seconds between replays while the database is away


@dataclass
class Entry:
    number: int
    msg: Incoming
    live: bool = False  # being handled by the live path; the replayer leaves it alone


class Journal:
    """The append-only file; every method blocks (the Inbox runs them in a thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: Any = None
        self._lock: Any = None

    def open(self) -> list[Entry]:
        """Lock, read back what was not done, and rewrite the file with only that."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.path.with_name(self.path.name + ".lock"), "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise ConfigError(f"inbox.path: {self.path} is used by another running bot; "
                              "give each instance its own") from None
        waiting = self._read()
        temporary = self.path.with_name(self.path.name + ".new")
        with open(temporary, "w", encoding="utf-8") as out:
            out.writelines(_line({"n": e.number, "msg": _encode(e.msg)}) for e in waiting)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)  # message texts: readable by the bot's user only
        os.replace(temporary, self.path)
        _fsync_dir(self.path.parent)
        self._file = open(self.path, "a", encoding="utf-8")
        return waiting

    def _read(self) -> list[Entry]:
        entries: dict[int, Entry] = {}
        if not self.path.exists():
            return []
        for number, raw in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                record = json.loads(raw)
                if "done" in record:
                    entries.pop(record["done"], None)
                else:
                    entries[record["n"]] = Entry(record["n"], _decode(record["msg"]))
            except (ValueError, KeyError, TypeError):  # a line torn by a crash mid-write
                log.warning("inbox: line %d of %s unreadable; skipped", number, self.path)
        return list(entries.values())

    def append(self, entry: Entry) -> None:
        self._file.write(_line({"n": entry.number, "msg": _encode(entry.msg)}))
        self._file.flush()
        os.fsync(self._file.fileno())

    def done(self, number: int, empty: bool) -> None:
        """Mark a message handled; when none waits, empty the file. Not fsync'd: a lost
        mark only replays a message that is already committed (an idempotent no-op)."""
        if empty:
            self._file.truncate(0)
        else:
            self._file.write(_line({"done": number}))
        self._file.flush()

    def close(self) -> None:
        for handle in (self._file, self._lock):
            if handle is not None:
                handle.close()


class Inbox:
    def __init__(self, path: Path, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 backoff: tuple[float, ...] = REPLAY_BACKOFF) -> None:
        self.journal = Journal(path)
        self.sleep, self.backoff = sleep, backoff
        self._entries: dict[int, Entry] = {}
        self._next = 1
        self._io = asyncio.Lock()
        self._wake = asyncio.Event()
        self._empty = asyncio.Event()
        self._empty.set()
        self._replayers: dict[str, OnMessage] = {}

    @property
    def waiting(self) -> int:
        return len(self._entries)

    async def drained(self) -> None:
        """Return once no message waits."""
        await self._empty.wait()

    async def open(self) -> None:
        for entry in await asyncio.to_thread(self.journal.open):
            self._entries[entry.number] = entry
            self._empty.clear()
        self._next = max(self._entries, default=0) + 1
        if self._entries:
            log.warning("inbox: %d message(s) from before the restart to handle", self.waiting)
            self._wake.set()

    async def close(self) -> None:
        async with self._io:
            await asyncio.to_thread(self.journal.close)

    def guard(self, platform: str, live: OnMessage, replay: OnMessage, *,
              wanted: Callable[[Incoming], bool], write_ahead: bool = False) -> OnMessage:
        """The channel's on_message: `live` handles a message now; `replay` handles one
        from the inbox later. Messages not `wanted` (group chatter) never enter the inbox."""
        self._replayers[platform] = replay

        async def on_message(msg: Incoming) -> None:
            if not wanted(msg):
                await live(msg)
            elif self._backlog(platform):
                await self._add(msg)  # behind older messages, in order
            else:
                await self._live(msg, live, write_ahead)
        return on_message

    async def _live(self, msg: Incoming, live: OnMessage, write_ahead: bool) -> None:
        entry = await self._add(msg, live=True) if write_ahead else None
        try:
            await live(msg)
        except Exception as exc:
            if not db_unavailable(exc):
                if entry is not None:  # handled as well as it can be; as without the inbox
                    await self._done(entry)
                raise
            log.warning("inbox: database unavailable (%s); %s message kept for later",
                        type(exc).__name__, msg.platform)
            if entry is None:
                await self._add(msg)
            else:
                entry.live = False
                self._wake.set()
            return
        if entry is not None:
            await self._done(entry)

    def _backlog(self, platform: str) -> bool:
        return any(not e.live and e.msg.platform == platform for e in self._entries.values())

    async def _add(self, msg: Incoming, *, live: bool = False) -> Entry:
        async with self._io:
            entry = Entry(self._next, msg, live)
            await asyncio.to_thread(self.journal.append, entry)
            self._next += 1
            self._entries[entry.number] = entry
            self._empty.clear()
        if not live:
            self._wake.set()
        return entry

    async def _done(self, entry: Entry) -> None:
        async with self._io:
            self._entries.pop(entry.number, None)
            await asyncio.to_thread(self.journal.done, entry.number, not self._entries)
            if not self._entries:
                self._empty.set()

    async def run(self) -> None:
        """Replay waiting messages in order, backing off while the database is away."""
        failures = 0
        while True:
            entry = next((e for e in self._entries.values()
                          if not e.live and e.msg.platform in self._replayers), None)
            if entry is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            try:
                await self._replayers[entry.msg.platform](entry.msg)
            except Exception as exc:
                if db_unavailable(exc):
                    delay = self.backoff[min(failures, len(self.backoff) - 1)]
                    failures += 1
                    log.warning("inbox: %d message(s) waiting, database unavailable (%s); "
                                "next try in %.0f s", self.waiting, type(exc).__name__, delay)
                    await self.sleep(delay)
                    continue
                log.exception("inbox: a waiting %s message failed; dropped", entry.msg.platform)
            failures = 0
            await self._done(entry)


def durable_handler(inbox: Inbox, channel, app, policy: DeliveryPolicy | None = None) -> OnMessage:
    """The channel's on_message as `hamletbot run` wires it: delivery behind the inbox.
    Replays skip the flood limit: the message was admitted (or waited) already."""
    def handler(limited: bool) -> OnMessage:
        return message_handler(channel, app, policy, limited=limited)
    return inbox.guard(channel.name, handler(True), handler(False),
                       wanted=app.dispatcher.for_us,
                       write_ahead=getattr(channel, "delivers_once", False))


def _encode(msg: Incoming) -> dict:
    return {**asdict(msg), "time": msg.time.isoformat()}


def _decode(data: dict) -> Incoming:
    return Incoming(**{**data, "time": datetime.fromisoformat(data["time"])})


def _line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
