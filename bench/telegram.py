"""Benchmark: the Telegram path against the fake Bot API, in one process and one run.

(a) a bare python-telegram-bot echo bot (one MessageHandler, reply_text), and
(b) hamletbot (TelegramChannel → dispatcher → SQLite WAL file → sendMessage) handling
`/dangky 1`, both long-polling the same in-process fake server (tests/fakes/telegram_api.py).
Each run gets the same burst of updates spread over several private chats and is timed
from the burst to the last sendMessage.

The ratio is (b) over (a) as PTB comes, on its httpx transport. hamletbot's channel runs
PTB on aiohttp (bot/telegram_http.py), so (c), the same bare echo bot on that transport, is
printed too: the ratio against it is what the rest of hamletbot costs.

Run:  python bench/telegram.py [--updates 1000] [--chats 50]
Ends with `RESULT bare_ptb_per_s=… hamletbot_per_s=… ratio=… bare_ptb_aiohttp_per_s=…
ratio_same_transport=…`.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and this file is named like
# the `telegram` package: put the repository root there instead (it also holds tests/fakes).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from telegram import Update  # noqa: E402
from telegram.ext import Application, ContextTypes, MessageHandler, filters  # noqa: E402

from bench.staffed import staffed_demo  # noqa: E402
from bot.delivery import message_handler  # noqa: E402
from bot.telegram import SEND_CONNECTIONS, TelegramChannel  # noqa: E402
from bot.telegram_http import AiohttpRequest  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402
from tests.fakes.telegram_harness import TOKEN, chat, text_update, user  # noqa: E402


async def burst(fake: FakeTelegram, updates: int, chats: int, text: str) -> float:
    """Queue `updates` messages at once; seconds until as many replies were sent."""
    fake.forget()
    started = time.perf_counter()
    for i in range(updates):
        person = 5000 + i % chats
        await fake.push(text_update(user(person, "Bench"), chat(person), text))
    await fake.wait_for("sendMessage", updates, timeout=300)
    return time.perf_counter() - started


async def bare_ptb(fake: FakeTelegram, updates: int, chats: int, aiohttp: bool = False) -> float:
    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(update.message.text)

    builder = Application.builder().token(TOKEN).base_url(fake.base_url).job_queue(None)
    if aiohttp:
        builder = (builder.request(AiohttpRequest(pool_size=SEND_CONNECTIONS))
                   .get_updates_request(AiohttpRequest()))
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    async with application:
        await application.updater.start_polling(timeout=5)
        await application.start()
        await burst(fake, 50, chats, "khởi động")  # warm-up
        elapsed = await burst(fake, updates, chats, "/dangky 1")
        await application.updater.stop()
        await application.stop()
    return elapsed


async def hamletbot(fake: FakeTelegram, updates: int, chats: int) -> float:
    async with staffed_demo("telegram", (str(5000 + i) for i in range(chats))) as app:
        channel = TelegramChannel(token=TOKEN, sessions=app.sessions, clock=app.clock,
                                  log_guard=app.log_guard, base_url=fake.base_url,
                                  poll_timeout=5)
        await channel.start(message_handler(channel, app))
        try:
            await burst(fake, 50, chats, "/dangky 1")  # warm-up
            elapsed = await burst(fake, updates, chats, "/dangky 1")
            sent = fake.sent()
            assert all("Đã ghi nhận 1" in c.params["text"] for c in sent), sent[0].params
        finally:
            await channel.stop()
    return elapsed


async def main(updates: int, chats: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    fake = await FakeTelegram(TOKEN).start()
    try:
        bare = await bare_ptb(fake, updates, chats)
        ours = await hamletbot(fake, updates, chats)
        same = await bare_ptb(fake, updates, chats, aiohttp=True)
    finally:
        await fake.close()
    bare_rate, our_rate, same_rate = updates / bare, updates / ours, updates / same
    print(f"updates: {updates} over {chats} private chats, long polling, fake Bot API on loopback")
    print(f"(a) bare PTB echo bot (httpx, PTB's default): {bare:.2f} s")
    print(f"(b) hamletbot /dangky (dispatch + SQLite WAL transaction + sendMessage): {ours:.2f} s")
    print(f"(c) bare PTB echo bot on hamletbot's aiohttp transport: {same:.2f} s")
    print(f"RESULT bare_ptb_per_s={bare_rate:.0f} hamletbot_per_s={our_rate:.0f} "
          f"ratio={our_rate / bare_rate:.2f} bare_ptb_aiohttp_per_s={same_rate:.0f} "
          f"ratio_same_transport={our_rate / same_rate:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--chats", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.updates, args.chats))
