"""The outbox sender against a fake Telegram that enforces Telegram's limits.

1,800 rows over 600 chats (400 private, 200 groups) go through the real `Sender`, a
SQLite outbox and HTTP, to a fake Bot API server (aiohttp, port 0, loopback) that answers
429 with `retry_after` when a request breaks a limit: 30 messages/s overall, 1/s per chat,
20/min per group. Real time: about a minute.

    python bench/outbox.py [--cpu-load]
`--cpu-load` keeps every core busy (one spinning subprocess each) while it runs, so the
event loop wakes late: the limits must still hold.
Ends with `RESULT rate_ratio=<achieved / allowed rate> throttled=<429s>`.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import running_app, system_clock  # noqa: E402
from bot.channels import RetryableError  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.delivery import reply_payload  # noqa: E402
from bot.sender import Sender  # noqa: E402
from handlers.types import Reply  # noqa: E402
from models.outbox import enqueue  # noqa: E402

CHATS, PER_CHAT, GROUPS = 600, 3, 200
RATE = 30  # Telegram's overall limit, messages per second


class FakeTelegram:
    """Just enough of sendMessage, with Telegram's limits (PLATFORMS.md, [TGFAQ])."""

    def __init__(self) -> None:
        self.recent: deque[float] = deque()
        self.last: dict[str, float] = {}
        self.groups: dict[str, deque[float]] = defaultdict(deque)
        self.sent: list[float] = []
        self.throttled = 0

    async def send_message(self, request: web.Request) -> web.Response:
        body = await request.json()
        chat, now = str(body["chat_id"]), time.monotonic()
        while self.recent and self.recent[0] <= now - 1:
            self.recent.popleft()
        group = self.groups[chat] if chat.startswith("-") else None
        while group and group[0] <= now - 60:
            group.popleft()
        if (len(self.recent) >= RATE or now - self.last.get(chat, -1e9) < 1
                or (group is not None and len(group) >= 20)):
            self.throttled += 1
            return web.json_response({"ok": False, "error_code": 429, "description":
                                      "Too Many Requests: retry after 1",
                                      "parameters": {"retry_after": 1}}, status=429)
        self.recent.append(now)
        self.last[chat] = now
        if group is not None:
            group.append(now)
        self.sent.append(now)
        await asyncio.sleep(0.03)  # the platform's own latency
        return web.json_response({"ok": True, "result": {"message_id": len(self.sent)}})


class HttpChannel:
    """A minimal channel: one POST per reply; 429 → RetryableError(retry_after)."""
    name = "telegram"

    def __init__(self, http: ClientSession, base: str) -> None:
        self.http, self.base = http, base

    async def send(self, chat_id: str, reply: Reply) -> None:
        async with self.http.post(f"{self.base}/sendMessage",
                                  json={"chat_id": chat_id, "text": reply.text}) as resp:
            data = await resp.json()
        if resp.status == 429:
            raise RetryableError(data["description"], data["parameters"]["retry_after"])
        if not data["ok"]:
            raise RetryableError(data["description"])


async def main() -> None:
    fake = FakeTelegram()
    server = web.Application()
    server.router.add_post("/bot/sendMessage", fake.send_message)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.model_validate(
            {"database": {"url": f"sqlite+aiosqlite:///{tmp}/outbox.db"}})
        async with running_app(settings) as app, ClientSession(
                timeout=ClientTimeout(total=30)) as http:
            chats = [f"-100{i}" if i < GROUPS else str(10_000 + i) for i in range(CHATS)]
            async with app.sessions() as session:
                for n in range(PER_CHAT):  # interleaved, as pushes to many chats are
                    for chat in chats:
                        await enqueue(f"bench:{n}:{chat}", "telegram", chat,
                                      reply_payload(Reply(f"Tin {n} cho {chat}")),
                                      now=system_clock(), session=session)
                await session.commit()
            sender = Sender({"telegram": HttpChannel(http, f"http://127.0.0.1:{port}/bot")},
                            sessions=app.sessions, render=app.render,
                            settings=settings.sender, clock=system_clock)
            start = time.monotonic()
            while len(fake.sent) < CHATS * PER_CHAT:
                if not await sender.drain("telegram"):
                    await asyncio.sleep(0.2)
            elapsed = fake.sent[-1] - start
    await runner.cleanup()
    total = CHATS * PER_CHAT
    ratio = (total / elapsed) / RATE
    print(f"{total} messages to {CHATS} chats in {elapsed:.1f} s = {total / elapsed:.1f}/s "
          f"(allowed {RATE}/s); 429s: {fake.throttled}")
    print(f"RESULT rate_ratio={ratio:.3f} throttled={fake.throttled}")


def spinners() -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(os.cpu_count() or 1)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-load", action="store_true", help="keep every core busy meanwhile")
    load = spinners() if parser.parse_args().cpu_load else []
    try:
        asyncio.run(main())
    finally:
        for proc in load:
            proc.kill()
            proc.wait()
