"""The one planner: a Reply → ordered parts for each set of channel capabilities (a table of
cases), and the capabilities the real channels declare."""
from __future__ import annotations

import logging

import pytest

from bot.planner import Capabilities, File, FileLink, Photo, Text, plan
from handlers.types import Choice, Document, Reply

PNG = b"\x89PNG fake"
DOC = Document("lm.xlsx", b"PK xlsx")
YES_NO = (Choice("Đúng", "/a"), Choice("Không", "/b"))
LONG = "một hai ba\nbốn năm sáu\nbảy tám chín"  # 34 characters, three lines

# small limits keep the table readable: 24 characters a message, 12 a caption
BUTTONS = Capabilities(24, caption_limit=12, buttons=True, photo="upload", documents="upload")
BY_URL = Capabilities(24, caption_limit=24, photo="url", documents="link", hint="(số)")
TEXT_ONLY = Capabilities(None)


def summary(parts) -> list[tuple]:
    """(kind, text or caption, number of buttons) per part."""
    out = []
    for p in parts:
        if isinstance(p, File):
            out.append(("file", p.document.name, 0))
        elif isinstance(p, FileLink):
            out.append(("link", p.document.name, 0))
        elif isinstance(p, Photo):
            out.append(("photo", p.caption, len(p.choices)))
        else:
            out.append(("text", p.text, len(p.choices)))
    return out


CASES = [
    # reply, capabilities, expected parts
    (Reply("Xin chào"), BUTTONS, [("text", "Xin chào", 0)]),
    (Reply("Xin chào"), BY_URL, [("text", "Xin chào", 0)]),
    (Reply("   "), BUTTONS, []),
    (Reply("Chọn?", choices=YES_NO), BUTTONS, [("text", "Chọn?", 2)]),
    (Reply("Chọn?", choices=YES_NO), BY_URL,
     [("text", "Chọn?\n  1. Đúng", 0), ("text", "  2. Không\n(số)", 0)]),
    (Reply("Chọn?", choices=YES_NO), TEXT_ONLY, [("text", "Chọn?\n  1. Đúng\n  2. Không", 0)]),
    (Reply(LONG, choices=YES_NO), BUTTONS,
     [("text", "một hai ba\nbốn năm sáu", 0), ("text", "bảy tám chín", 2)]),
    (Reply("Bảng", image=PNG), BUTTONS, [("photo", "Bảng", 0)]),
    (Reply("Bảng", image=PNG), BY_URL, [("photo", "Bảng", 0)]),
    (Reply("Bảng", image=PNG, choices=YES_NO), BUTTONS, [("photo", "Bảng", 2)]),
    # the first piece does not fit a caption: the photo goes bare, the text after it
    (Reply("x" * 15, image=PNG, choices=YES_NO), BUTTONS,
     [("photo", None, 0), ("text", "x" * 15, 2)]),
    (Reply(LONG, image=PNG), BY_URL,
     [("photo", "một hai ba\nbốn năm sáu", 0), ("text", "bảy tám chín", 0)]),
    (Reply("", image=PNG), BUTTONS, [("photo", None, 0)]),
    # a channel without photos: the text goes alone
    (Reply("Bảng", image=PNG), TEXT_ONLY, [("text", "Bảng", 0)]),
    # a document: uploaded first, or linked last
    (Reply("Tệp", document=DOC), BUTTONS, [("file", "lm.xlsx", 0), ("text", "Tệp", 0)]),
    (Reply("Tệp", document=DOC), BY_URL, [("text", "Tệp", 0), ("link", "lm.xlsx", 0)]),
    (Reply("Tệp", document=DOC), TEXT_ONLY, [("text", "Tệp", 0)]),
    (Reply("Tệp", image=PNG, document=DOC, choices=YES_NO), BUTTONS,
     [("file", "lm.xlsx", 0), ("photo", "Tệp", 2)]),
]


@pytest.mark.parametrize("reply, caps, expected", CASES)
def test_plan(reply, caps, expected):
    parts = plan(reply, caps)
    assert summary(parts) == expected
    for part in parts:
        text = part.text if isinstance(part, Text) else getattr(part, "caption", None) or ""
        assert caps.text_limit is None or len(text) <= caps.text_limit


@pytest.mark.parametrize("reply, what", [(Reply("Bảng", image=PNG), "photo"),
                                         (Reply("Tệp", document=DOC), "file")])
def test_what_is_dropped_is_logged(reply, what, caplog):
    plan(reply, TEXT_ONLY, channel="sms")
    assert f"sms: this channel cannot carry a {what}" in caplog.text


def test_the_channels_declare_what_they_carry():
    from bot.console import ConsoleChannel
    from bot.images import ImageStore
    from bot.telegram import TelegramChannel
    from bot.zalo import ZaloChannel

    telegram = TelegramChannel.capabilities
    assert (telegram.buttons, telegram.photo, telegram.documents) == (True, "upload", "upload")
    assert (telegram.text_limit, telegram.caption_limit) == (4096, 1024)

    def zalo(public_url: str) -> Capabilities:
        images = ImageStore(public_url, clock=lambda: None)
        return ZaloChannel(token="t", base_url="http://127.0.0.1:9", mode="polling",
                           images=images).capabilities

    assert (zalo("https://bot.example.vn").photo, zalo("").photo) == ("url", None)
    assert zalo("").documents == "link" and not zalo("").buttons
    console = ConsoleChannel(user_id="u", display_name="U", clock=lambda: None).capabilities
    assert (console.text_limit, console.buttons, console.documents) == (None, False, "upload")


def test_buttons_go_on_the_last_part_that_carries_text(caplog):
    caplog.set_level(logging.WARNING)
    assert summary(plan(Reply("", choices=YES_NO), BUTTONS, channel="x")) == []
    assert "choices without a text or photo" in caplog.text
