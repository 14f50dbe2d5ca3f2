"""SIGTERM: the bot stops taking updates, finishes the message in flight (its reply goes out,
or is queued in the outbox when the platform does not answer), and exits 0 within a bound.

The real bot runs as a subprocess against the fake Bot API (tests/fakes/bot_process.py);
the fake holds the bot's sendMessage to keep a message in flight.
"""
from __future__ import annotations

from sqlmodel import select

from bot.app import running_app
from bot.config import Settings
from models.outbox import Outbox
from tests.fakes.bot_process import BotProcess, prepare_database, report_update, write_config
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_harness import TOKEN

STAFF = 31_000
BOUND_SECONDS = 20  # PTB's 5 s read timeout on the held send, plus start-up slack


async def stopping_with_a_reply_in_flight(tmp_path, database_url, fake):
    """The bot, started, handling a report whose reply the fake holds; SIGTERM sent."""
    await prepare_database(database_url, [STAFF])
    bot = BotProcess(fake, write_config(tmp_path / "bot.toml", database_url=database_url,
                                        base_url=fake.base_url), tmp_path / "bot.log")
    await bot.start()
    release = fake.hold("sendMessage")
    await fake.push(report_update(STAFF, 3))
    await fake.wait_for("sendMessage", 1, timeout=30)  # the reply is in flight, held
    bot.proc.send_signal(15)
    return bot, release


async def test_sigterm_lets_the_reply_in_flight_go_out(tmp_path, database_url):
    fake = await FakeTelegram(TOKEN).start()
    try:
        bot, release = await stopping_with_a_reply_in_flight(tmp_path, database_url, fake)
        release.set()  # the platform answers late: after SIGTERM was sent
        assert await bot.terminate(timeout=BOUND_SECONDS) == 0
    finally:
        await fake.close()
    [reply] = fake.sent()
    assert "Đã ghi nhận 3" in reply.params["text"]
    # The update was confirmed (a getUpdates offset past it) only after its reply went out.
    methods = [c.method for c in fake.calls]
    assert methods[-1] == "getUpdates" and fake.calls[-1].params["timeout"] == 0
    assert methods.index("sendMessage") < len(methods) - 1 and fake.unconfirmed == 0


async def test_sigterm_queues_a_reply_the_platform_never_answers(tmp_path, database_url):
    fake = await FakeTelegram(TOKEN).start()
    try:
        bot, release = await stopping_with_a_reply_in_flight(tmp_path, database_url, fake)
        assert await bot.terminate(timeout=BOUND_SECONDS) == 0
    finally:
        release.set()  # only now: the bot gave up waiting and has exited
        await fake.close()
    settings = Settings.model_validate({"database": {"url": database_url}})
    async with running_app(settings) as app:
        async with app.sessions() as session:
            queued = (await session.exec(select(Outbox))).all()
    assert [row.chat_id for row in queued] == [str(STAFF)]
    assert "Đã ghi nhận 3" in queued[0].payload["text"]
