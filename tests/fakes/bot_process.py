"""The real bot (`hamletbot run`) as a subprocess, talking to FakeTelegram in this process.

Used by tests/test_crash.py, tests/test_graceful_stop.py and bench/crash.py. The config
file points the Telegram channel at the fake server (polling, or webhook: then
`WebhookDelivery` POSTs updates to the child as Telegram would) and the database at a
SQLite file (or HAMLETBOT_TEST_DATABASE_URL); the token and webhook secret reach the child
through its environment, as in production. Waiting is on the fake's request log, with
timeouts only as safety nets.
"""
from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import socket
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from sqlmodel import select

from bot.telegram import SECRET_HEADER, WEBHOOK_PATH

from bot.app import running_app
from bot.config import Settings
from bot.demo import load_demo
from models.ledger import Report
from models.members import Member
from models.units import unit_by_code
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_harness import SECRET, TOKEN, chat, text_update, user

TOKEN_ENV = "HAMLETBOT_TELEGRAM_TOKEN"
SECRET_ENV = "HAMLETBOT_TELEGRAM_SECRET"
RETRY_PAUSE = 0.05  # Telegram's pause before delivering a refused webhook update again
STARTUP_TIMEOUT = 30.0  # Python + PTB import + migrations; generous on a loaded CI machine
ACK = re.compile(r"Đã ghi nhận (\d+) BHXH")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(path: Path, *, database_url: str, base_url: str, level: str = "INFO",
                 mode: str = "polling", port: int = 0) -> Path:
    """The bot's config; its inbox journal lives next to it."""
    path.write_text(f"""
[database]
url = "{database_url}"
[bot]
channels = ["telegram"]
[reporting]
max_per_report = 500
confirm_above = 50
[telegram]
token_env = "{TOKEN_ENV}"
webhook_secret_env = "{SECRET_ENV}"
mode = "{mode}"
base_url = "{base_url}"
[web]
port = {port or free_port()}
[inbox]
path = "{path.with_suffix('.inbox')}"
[logging]
level = "{level}"
""", encoding="utf-8")
    return path


async def prepare_database(database_url: str, user_ids: list[int]) -> None:
    """Demo units, and a staff member of LM-KV1 on Telegram for each user id."""
    settings = Settings.model_validate({"database": {"url": database_url}})
    async with running_app(settings) as app:
        async with app.sessions() as session:
            await load_demo(app.clock().date(), session=session)
            hamlet = await unit_by_code("LM-KV1", session=session)
            session.add_all(Member(platform="telegram", user_id=str(uid), display_name="Ấp",
                                   role="staff", unit_id=hamlet.id) for uid in user_ids)
            await session.commit()


async def ledger_by_message(database_url: str) -> Counter[str]:
    """How many `report` entries each message (its message_ref) has in the ledger."""
    settings = Settings.model_validate({"database": {"url": database_url}})
    async with running_app(settings) as app:
        async with app.sessions() as session:
            refs = await session.exec(select(Report.message_ref).where(Report.kind == "report"))
            return Counter(refs)


class BotProcess:
    """One `hamletbot run` child; `start` returns once it polls the fake (polling) or has
    asked for getMe (webhook: its server is up, and answers 503 until the channel runs)."""

    def __init__(self, fake: FakeTelegram, config: Path, log: Path,
                 mode: str = "polling") -> None:
        self.fake, self.config, self.log_path = fake, config, log
        self.ready_on = "getUpdates" if mode == "polling" else "getMe"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        polls = self.fake.counts[self.ready_on]
        env = {**os.environ, TOKEN_ENV: TOKEN, SECRET_ENV: SECRET}
        env.pop("HAMLETBOT_CONFIG", None)
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-c", "from bot.cli import cli; cli()",
                "--config", str(self.config), "run", stdout=log, stderr=log, env=env,
                cwd=Path(__file__).resolve().parents[2])
        waiting = asyncio.ensure_future(self.fake.wait_for(self.ready_on, polls + 1,
                                                           timeout=STARTUP_TIMEOUT))
        exited = asyncio.ensure_future(self.proc.wait())
        await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
        if not waiting.done():
            waiting.cancel()
            raise RuntimeError(f"the bot exited at start-up:\n{self.log_path.read_text()}")
        exited.cancel()
        waiting.result()

    async def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def terminate(self, timeout: float) -> int:
        """SIGTERM; the exit code (raises TimeoutError when it takes longer than `timeout`)."""
        self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), timeout)


def report_update(user_id: int, count: int) -> dict:
    return text_update(user(user_id, "Ấp"), chat(user_id), f"/dangky {count}")


def acknowledged(fake: FakeTelegram) -> set[tuple[str, int]]:
    """(chat id, count) of every report the bot confirmed with 'Đã ghi nhận N'."""
    found = set()
    for call in fake.sent():
        match = ACK.search(call.params.get("text", ""))
        if match:
            found.add((str(call.params["chat_id"]), int(match.group(1))))
    return found



class WebhookDelivery:
    """Telegram's side of a webhook: each chat's updates POSTed one after another, each
    again until it is answered 200 (a refused, reset or unanswered request is retried)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acked: set[tuple[str, int]] = set()  # (chat, count) answered 200
        self._tasks: list[asyncio.Task] = []
        self._http = aiohttp.ClientSession()

    def send(self, chat_id: str, updates: list[tuple[int, dict]]) -> None:
        self._tasks.append(asyncio.create_task(self._chat(chat_id, updates)))

    async def finished(self, timeout: float) -> None:
        await asyncio.wait_for(asyncio.gather(*self._tasks), timeout)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._http.close()

    async def _chat(self, chat_id: str, updates: list[tuple[int, dict]]) -> None:
        for count, update in updates:
            while not await self._post(update):
                await asyncio.sleep(RETRY_PAUSE)
            self.acked.add((chat_id, count))

    async def _post(self, update: dict) -> bool:
        try:
            async with self._http.post(self.url, json=update,
                                       headers={SECRET_HEADER: SECRET}) as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False


@dataclass
class CrashResult:
    cycles: int
    sent: int  # distinct report messages fed to the bot
    acknowledged: int  # of them, confirmed to the user ("Đã ghi nhận") or to Telegram (200)
    found_once: int  # of the acknowledged, in the ledger exactly once
    counted_twice: list[str]  # messages with more than one ledger entry
    unknown: list[str]  # ledger entries of messages nobody sent
    lost: int  # never recorded: taken from Telegram, then the process died (never confirmed)
    exit_code: int | None  # of the last, gracefully stopped, process


async def crash_cycles(workdir: Path, database_url: str, *, cycles: int, seed: int,
                       users: int = 6, per_user: int = 3, mode: str = "polling") -> CrashResult:
    """Feed bursts of reports (polled, or POSTed to the webhook), SIGKILL the bot after a
    seeded random number of replies, restart it (Telegram redelivers what was not
    confirmed or not answered 200), then stop it with SIGTERM and compare what was
    acknowledged with the ledger."""
    rng = random.Random(seed)
    ids = [[20_000 + c * 100 + i for i in range(users)] for c in range(cycles)]
    await prepare_database(database_url, [uid for batch in ids for uid in batch])
    fake = await FakeTelegram(TOKEN).start()
    port = free_port()
    bot = BotProcess(fake, write_config(workdir / "crash.toml", database_url=database_url,
                                        base_url=fake.base_url, mode=mode, port=port),
                     workdir / "crash.log", mode)
    webhook = (WebhookDelivery(f"http://127.0.0.1:{port}{WEBHOOK_PATH}")
               if mode == "webhook" else None)
    refs: dict[tuple[str, int], str] = {}  # (chat, count) → message_ref
    exit_code = None
    try:
        await bot.start()
        for batch in ids:
            for uid in batch:
                updates = [(count, await _feed(fake, webhook, uid, count))
                           for count in range(1, per_user + 1)]
                for count, update in updates:
                    refs[(str(uid), count)] = f"telegram:{uid}:{update['message']['message_id']}"
                if webhook:
                    webhook.send(str(uid), updates)
            # Kill after a random number of replies (0: at once, maybe before any fetch).
            target = fake.counts["sendMessage"] + rng.randint(0, users * per_user)
            await fake.wait_until(lambda: fake.counts["sendMessage"] >= target, timeout=60)
            await bot.kill()
            await bot.start()
        if webhook:
            await webhook.finished(timeout=120)
        await fake.wait_until(lambda: fake.unconfirmed == 0, timeout=60)
        exit_code = await bot.terminate(timeout=30)
    finally:
        if bot.proc is not None and bot.proc.returncode is None:
            await bot.kill()
        if webhook:
            await webhook.close()
        await fake.close()
    ledger = await ledger_by_message(database_url)
    acks = (acknowledged(fake) | (webhook.acked if webhook else set())) & set(refs)
    known = set(refs.values())
    return CrashResult(
        cycles=cycles, sent=len(refs), acknowledged=len(acks),
        found_once=sum(1 for a in acks if ledger[refs[a]] == 1),
        counted_twice=[r for r, n in ledger.items() if n > 1],
        unknown=[r for r in ledger if r not in known],
        lost=sum(1 for r in known if ledger[r] == 0), exit_code=exit_code)


async def _feed(fake: FakeTelegram, webhook: WebhookDelivery | None, uid: int,
                count: int) -> dict:
    """A report update, queued for getUpdates (polling) or stamped for the webhook."""
    update = report_update(uid, count)
    return fake.stamp(update) if webhook else await fake.push(update)
