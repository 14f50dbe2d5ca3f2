"""One delivery policy: a reply that fails live goes to the outbox and is decided on exactly
as the sender decides on a row it failed to deliver (retry, unlink a gone chat, tell the
admins). A fake channel and a fake clock; nothing really sleeps."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlmodel import select

from bot.channels import Misconfigured, RecipientGone, RetryableError
from bot.config import SenderSettings
from bot.delivery import DeliveryPolicy, send_or_queue
from bot.metrics import Metrics
from bot.render import make_renderer
from handlers.types import Reply
from models.members import ChatLink
from models.outbox import Outbox
from models.units import unit_by_code
from tests.conftest import add_member
from tests.test_sender import FakeChannel, make_sender, statuses


def policy_for(app, clock) -> DeliveryPolicy:
    return DeliveryPolicy(sessions=app.sessions, render=make_renderer(), settings=SenderSettings(),
                          clock=clock, platforms=["telegram"], rand=random.Random(7).random)


async def reply_live(app, clock, channel, chat_id: str, texts: list[str]) -> None:
    await send_or_queue(channel, chat_id, [Reply(t) for t in texts], key="reply:m1",
                        policy=policy_for(app, clock), metrics=Metrics())


async def test_a_live_retry_waits_its_back_off_then_the_sender_sends_in_order(app, clock):
    channel = FakeChannel("telegram", clock)
    channel.fail["1"] = [RetryableError("429 Too Many Requests", retry_after=30)]
    start = clock()
    await reply_live(app, clock, channel, "1", ["một", "hai"])
    async with app.sessions() as session:
        first = (await session.exec(select(Outbox).where(Outbox.key == "reply:m1:0"))).one()
    assert (first.status, first.attempts) == ("pending", 1) and "429" in first.last_error
    assert first.next_attempt.replace(tzinfo=start.tzinfo) >= start + timedelta(seconds=30)
    sender = make_sender(app, clock, channel)
    assert await sender.drain("telegram") == 0  # not before the retry-after
    clock.advance(seconds=31)
    await sender.drain("telegram")
    assert [t for _, _, t in channel.sent] == ["một", "hai"]
    assert await statuses(app) == {"reply:m1:0": ("sent", 2), "reply:m1:1": ("sent", 1)}


async def test_a_live_reply_to_a_gone_group_unlinks_it_and_tells_the_admins(demo, clock):
    await add_member(demo, "42", "admin", "CT", platform="telegram")
    async with demo.sessions() as session:
        lm = await unit_by_code("LM", session=session)
        session.add(ChatLink(platform="telegram", chat_id="-5", unit_id=lm.id))
        await session.commit()
    channel = FakeChannel("telegram", clock)
    channel.fail["-5"] = [RecipientGone("403 Forbidden: bot was kicked")]
    await reply_live(demo, clock, channel, "-5", ["một", "hai"])
    st = await statuses(demo)
    assert st["reply:m1:0"] == ("failed", 1) and st["reply:m1:1"] == ("failed", 0)
    async with demo.sessions() as session:
        assert not (await session.exec(select(ChatLink))).one().active
    await make_sender(demo, clock, channel).drain("telegram")
    assert [(c, "hamletbot outbox status" in t) for _, c, t in channel.sent] == [("42", True)]


async def test_a_live_bad_request_fails_only_that_reply(app, clock):
    channel = FakeChannel("telegram", clock)
    channel.fail["1"] = [Misconfigured("400 Bad Request: message text is empty")]
    await reply_live(app, clock, channel, "1", ["một", "hai"])
    assert (await statuses(app))["reply:m1:0"] == ("failed", 1)
    await make_sender(app, clock, channel).drain("telegram")
    assert [t for _, _, t in channel.sent] == ["hai"]


async def test_a_redelivered_message_does_not_decide_twice(app, clock):
    channel = FakeChannel("telegram", clock)
    channel.fail["1"] = [RetryableError("502 Bad Gateway"), RetryableError("502 Bad Gateway")]
    await reply_live(app, clock, channel, "1", ["một"])
    await reply_live(app, clock, channel, "1", ["một"])
    assert await statuses(app) == {"reply:m1:0": ("pending", 1)}
