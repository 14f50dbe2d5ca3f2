"""bot/telegram.py as tables: update JSON → Incoming; reply + canned API answers → requests
and shared errors; plus per-chat ordering and set-webhook."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlmodel import select
from telegram import Bot, Update

from bot.channels import Misconfigured, RecipientGone, RetryableError
from bot.config import Settings
from bot.telegram import ChatOrder, TelegramChannel, set_webhook, to_incoming
from bot.web import make_web_app
from handlers.types import Choice, Document, Reply
from models.members import ChatLink
from tests.conftest import START
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_harness import SECRET, TOKEN

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
AT = datetime.fromtimestamp(1795658400, timezone.utc)


def load(name: str) -> Update:
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return Update.de_json(data, Bot(TOKEN))


# fixture → (chat_id, chat_kind, user_id, display_name, text, message_id, addressed, edit)
INCOMING = {
    "private_command": ("1001", "private", "1001", "Lan Nguyễn", "/dangky 5", "11", False, ""),
    "private_text": ("1001", "private", "1001", "Lan Nguyễn",
                     "Mức đóng BHXH tự nguyện là bao nhiêu?", "11", False, ""),
    "group_command_at_bot": ("-3003", "group", "2002", "Minh", "/tiendo@hamlet_bot", "11",
                             False, ""),
    "group_command_other_bot": ("-3003", "group", "2002", "Minh", "/tiendo@other_bot", "11",
                                False, ""),
    "group_chatter": ("-3003", "group", "2002", "Minh", "chuyện phiếm trong nhóm", "11",
                      False, ""),
    "group_mention": ("-3003", "group", "2002", "Minh", "@hamlet_bot tiến độ thế nào?", "11",
                      True, ""),
    "group_mention_other": ("-3003", "group", "2002", "Minh", "@someone_else xem giúp", "11",
                            False, ""),
    "group_reply_to_bot": ("-3003", "group", "2002", "Minh", "còn ấp nào chưa báo?", "11",
                           True, ""),
    "supergroup_command": ("-1003003", "group", "2002", "Minh", "/bxh", "11", False, ""),
    "edited_message": ("1001", "private", "1001", "Lan Nguyễn", "/dangky 6", "11", False,
                       "1795658460-10"),
    "photo_caption": ("1001", "private", "1001", "Lan Nguyễn", "/dangky 3", "11", False, ""),
}
NOTHING = ["sticker", "channel_post", "migrate_to", "migrate_from", "from_other_bot"]


@pytest.mark.parametrize("name", sorted(INCOMING))
def test_update_to_incoming(name):
    chat_id, kind, user_id, display, text, message_id, addressed, edit = INCOMING[name]
    msg = to_incoming(load(name), bot_id=777000, bot_username="hamlet_bot", now=START)
    assert (msg.platform, msg.chat_id, msg.chat_kind, msg.user_id, msg.display_name, msg.text,
            msg.message_id, msg.addressed_to_bot, msg.edit_id) == (
        "telegram", chat_id, kind, user_id, display, text, message_id, addressed, edit)
    assert msg.is_edit == bool(edit) and not msg.is_choice
    assert msg.bot_username == "hamlet_bot"
    edited_at = int(edit.split("-")[0]) if edit else None  # edit id: edit_date-update_id
    assert msg.time == (datetime.fromtimestamp(edited_at, timezone.utc) if edit else AT)


def test_button_press_to_incoming():
    msg = to_incoming(load("callback_query"), bot_id=777000, bot_username="hamlet_bot", now=START)
    assert (msg.chat_id, msg.user_id, msg.text, msg.message_id, msg.is_choice, msg.time) == (
        "1001", "1001", "c:1a2b3c4d:1", "cb4382bfdwdsb323b2d9", True, START)


@pytest.mark.parametrize("name", NOTHING)
def test_updates_without_a_message_for_the_bot(name):
    assert to_incoming(load(name), bot_id=777000, bot_username="hamlet_bot", now=START) is None


@pytest.fixture
async def fake():
    server = await FakeTelegram(TOKEN).start()
    yield server
    await server.close()
    assert server.unexpected == []


@pytest.fixture
async def channel(app, fake):
    """Started in webhook mode: no polling traffic among the recorded requests."""
    channel = TelegramChannel(token=TOKEN, sessions=app.sessions, clock=app.clock,
                              log_guard=app.log_guard, mode="webhook", secret=SECRET, web_app=make_web_app(),
                              base_url=fake.base_url, request_timeout=0.5)
    await channel.start(lambda msg: asyncio.sleep(0))
    fake.forget()
    yield channel
    await channel.stop()


LONG = "\n".join(f"Dòng {i:04d} " + "ấp " * 20 for i in range(120))  # ~8,900 characters
YES_NO = (Choice("Đúng", "c:ab12:1"), Choice("Không", "c:ab12:2"))
KEYBOARD = {"inline_keyboard": [[{"text": "Đúng", "callback_data": "c:ab12:1"}],
                                [{"text": "Không", "callback_data": "c:ab12:2"}]]}
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100

# reply → [(method, text or caption, has keyboard, has photo)]
SENDS = [
    (Reply("Xin chào"), [("sendMessage", "Xin chào", False, False)]),
    (Reply("Xác nhận?", choices=YES_NO), [("sendMessage", "Xác nhận?", True, False)]),
    (Reply(LONG, choices=YES_NO), [("sendMessage", None, False, False),
                                   ("sendMessage", None, False, False),
                                   ("sendMessage", None, True, False)]),
    (Reply("Bảng xếp hạng", image=PNG), [("sendPhoto", "Bảng xếp hạng", False, True)]),
    (Reply("Chọn", image=PNG, choices=YES_NO), [("sendPhoto", "Chọn", True, True)]),
    (Reply("x" * 1500, image=PNG), [("sendPhoto", None, False, True),
                                    ("sendMessage", "x" * 1500, False, False)]),
    (Reply("   "), []),
]


@pytest.mark.parametrize("reply, expected", SENDS)
async def test_reply_to_requests(channel, fake, reply, expected):
    await channel.send("1001", reply)
    got = [(c.method, c.params.get("text", c.params.get("caption")), "reply_markup" in c.params,
            c.files.get("photo") == PNG) for c in fake.calls]
    assert len(got) == len(expected)
    for (method, text, markup, photo), (want_method, want_text, want_markup, want_photo) \
            in zip(got, expected):
        assert (method, markup, photo) == (want_method, want_markup, want_photo)
        assert want_text is None or text == want_text
    assert all(c.params["chat_id"] == "1001" for c in fake.calls)
    assert all(len(c.params.get("text", "")) <= 4096 for c in fake.calls)
    keyboards = [c.params["reply_markup"] for c in fake.calls if "reply_markup" in c.params]
    assert keyboards in ([], [KEYBOARD])
    if reply.text == LONG:
        assert "\n".join(c.params["text"] for c in fake.calls) == LONG


ERRORS = [
    (429, "Too Many Requests: retry after 7", {"retry_after": 7}, RetryableError, 7.0),
    (500, "Internal Server Error", None, RetryableError, None),
    (502, "Bad Gateway", None, RetryableError, None),
    (403, "Forbidden: bot was blocked by the user", None, RecipientGone, None),
    (403, "Forbidden: bot was kicked from the group chat", None, RecipientGone, None),
    (400, "Bad Request: chat not found", None, RecipientGone, None),
    (400, "Bad Request: message text is empty", None, Misconfigured, None),
    (401, "Unauthorized", None, Misconfigured, None),
    (404, "Not Found", None, Misconfigured, None),
]


@pytest.mark.parametrize("code, description, parameters, error, retry_after", ERRORS)
async def test_api_errors_map_to_shared_errors(channel, fake, code, description, parameters,
                                               error, retry_after):
    fake.fail("sendMessage", code, description, parameters)
    with pytest.raises(error) as raised:
        await channel.send("1001", Reply("Xin chào"))
    assert getattr(raised.value, "retry_after", None) == retry_after
    assert TOKEN not in str(raised.value)


async def test_slow_answer_is_retryable(channel, fake):
    release = fake.hold("sendMessage")  # held until released: longer than the 0.5 s timeout
    with pytest.raises(RetryableError, match="TimedOut"):
        await channel.send("1001", Reply("Xin chào"))
    release.set()


async def test_chat_migrated_on_send_moves_the_link_and_resends(app, channel, fake, demo):
    async with app.sessions() as session:
        session.add(ChatLink(platform="telegram", chat_id="-3003", unit_id=1))
        await session.commit()
    fake.fail("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat",
              {"migrate_to_chat_id": -1003003})
    await channel.send("-3003", Reply("Bảng xếp hạng tuần"))
    assert [c.params["chat_id"] for c in fake.sent()] == ["-3003", "-1003003"]
    async with app.sessions() as session:
        link = (await session.exec(select(ChatLink))).one()
    assert link.chat_id == "-1003003"


async def test_wrong_token_at_start_is_misconfigured(app, fake):
    channel = TelegramChannel(token="1:wrong-token-abc", sessions=app.sessions, clock=app.clock,
                              log_guard=app.log_guard, base_url=fake.base_url)
    with pytest.raises(Misconfigured) as raised:
        await channel.start(lambda msg: asyncio.sleep(0))
    assert "wrong-token" not in str(raised.value)
    await channel.application.shutdown()


async def test_chat_order_keeps_one_chat_in_order_and_chats_apart():
    order, log = ChatOrder(limit=4), []
    first_may_finish = asyncio.Event()

    async def job(name: str, wait: asyncio.Event | None = None) -> None:
        if wait:
            await wait.wait()
        log.append(name)
        if name == "b1":
            first_may_finish.set()  # chat b ran while chat a's first job was still waiting

    order.submit("a", lambda: job("a1", first_may_finish))
    order.submit("a", lambda: job("a2"))
    order.submit("b", lambda: job("b1"))
    await asyncio.wait_for(order.drain(), 5)
    assert log == ["b1", "a1", "a2"]


async def test_set_webhook_registers_url_and_secret(fake, monkeypatch):
    monkeypatch.setenv("HAMLETBOT_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("HAMLETBOT_TELEGRAM_SECRET", SECRET)
    settings = Settings.model_validate({
        "telegram": {"token_env": "HAMLETBOT_TELEGRAM_TOKEN", "mode": "webhook",
                     "webhook_secret_env": "HAMLETBOT_TELEGRAM_SECRET",
                     "base_url": fake.base_url},
        "web": {"public_url": "https://bot.example.vn/"}})
    url = await set_webhook(settings)
    assert url == "https://bot.example.vn/telegram/webhook"
    assert fake.webhook["url"] == url and fake.webhook["secret_token"] == SECRET
    assert fake.webhook["allowed_updates"] == ["message", "edited_message", "callback_query",
                                              "my_chat_member"]


async def test_document_goes_out_by_send_document_then_the_text(channel, fake):
    data = b"PK\x03\x04 xlsx bytes"
    await channel.send("1001", Reply("Tệp Excel tiến độ", document=Document("lm.xlsx", data)))
    assert [c.method for c in fake.calls] == ["sendDocument", "sendMessage"]
    assert fake.calls[0].files["document"] == data
    assert fake.calls[1].params["text"] == "Tệp Excel tiến độ"
