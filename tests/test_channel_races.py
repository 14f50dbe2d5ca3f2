"""Duplicates and races through the webhooks: every update delivered twice, in a shuffled
order, all at once (Telegram: POSTs to the webhook; Zalo: POSTs handled before the 200).
Each report is counted once and both deliveries of a message get the same answer."""
from __future__ import annotations

import asyncio
import random
import re
from collections import Counter

from tests.conftest import add_member
from tests.fakes import telegram_harness as tg_fakes
from tests.fakes.zalo_harness import fake, running_zalo, text_event  # noqa: F401
from tests.ledger_helpers import ledger_rows, ledger_sum

HAMLETS = ["LM-KV1", "LM-KV2", "LM-KV3"]
COUNTS = [1, 2, 3, 4]  # each staff member reports these, one message each
ACCEPTED = re.compile(r"Đã ghi nhận (\d+) BHXH tự nguyện")


def twice_shuffled(items: list, seed: int) -> list:
    deliveries = items * 2
    random.Random(seed).shuffle(deliveries)
    return deliveries


async def check_counted_once(app, texts_by_chat: dict[str, list[str]], before: int) -> None:
    assert await ledger_rows(app) - before == len(HAMLETS) * len(COUNTS)
    for hamlet in HAMLETS:
        assert await ledger_sum(app, hamlet) == sum(COUNTS)
    assert len(texts_by_chat) == len(HAMLETS)
    for chat, texts in texts_by_chat.items():
        # each answer twice, word for word: the redelivery got the stored answer
        assert set(Counter(texts).values()) == {2}, (chat, texts)
        counts = sorted(int(m.group(1)) for t in set(texts) if (m := ACCEPTED.search(t)))
        assert counts == COUNTS, (chat, texts)


async def test_telegram_webhook_twice_shuffled_at_once(demo):
    for i, hamlet in enumerate(HAMLETS):
        await add_member(demo, str(4000 + i), "staff", hamlet, platform="telegram")
    before = await ledger_rows(demo)
    async with tg_fakes.running_telegram(demo, "webhook") as tg:
        updates = []
        for i in range(len(HAMLETS)):
            sender = tg_fakes.user(4000 + i, "Hoa")
            updates += [tg.fake.stamp(tg_fakes.text_update(sender, tg_fakes.chat(4000 + i),
                                                           f"/dangky {n}")) for n in COUNTS]
        deliveries = twice_shuffled(updates, seed=7)
        await asyncio.gather(*(tg.send_update(u) for u in deliveries))
        await tg.handled_reaches(len(deliveries))
    texts: dict[str, list[str]] = {}
    for call in tg.fake.sent():
        texts.setdefault(call.params["chat_id"], []).append(call.params["text"])
    await check_counted_once(demo, texts, before)


async def test_zalo_webhook_twice_shuffled_at_once(demo, fake, monkeypatch):  # noqa: F811
    users = [f"5e6f708192a3b4c5d6e{i}" for i in range(len(HAMLETS))]
    for user_id, hamlet in zip(users, HAMLETS):
        await add_member(demo, user_id, "staff", hamlet, platform="zalo")
    before = await ledger_rows(demo)
    async with running_zalo(demo, fake, "webhook", monkeypatch):
        events = [{"ok": True, "result": text_event(user_id, "Chị Hoa", f"/dangky {n}")}
                  for user_id in users for n in COUNTS]
        statuses = await asyncio.gather(*(fake.deliver(e) for e in twice_shuffled(events, 11)))
    assert set(statuses) == {200}
    texts: dict[str, list[str]] = {}
    for call in fake.calls:
        if call.method == "sendMessage":
            texts.setdefault(call.params["chat_id"], []).append(call.params["text"])
    await check_counted_once(demo, texts, before)
