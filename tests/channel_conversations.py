"""One conversation, run on every channel (console, Telegram, Zalo) by its own harness.

A harness delivers each step the way its platform would (an update JSON to the fake
server, a webhook POST, a console line) and returns the texts the bot sent back. The
table is data so that every channel is held to the same behaviour.

Before the table runs, the demo data is loaded and `{code}` is replaced by a fresh staff
invite code for the hamlet MT-MK; the coordinator of Phường Long Mỹ (LM) already exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Step:
    who: Literal["resident", "coordinator"]  # the resident becomes staff at step 1
    chat: Literal["private", "group"]
    action: Literal["say", "choose"]  # choose: press/answer choice number `text`
    text: str
    expect: str  # a phrase of the answer; "" = the bot stays silent


CONVERSATION = [
    Step("resident", "private", "say", "/dangky 5", "chưa tham gia"),
    Step("resident", "private", "say", "/thamgia {code}", "cán bộ ấp của Ấp Mỹ Khánh"),
    Step("resident", "private", "say", "/dangky 5", "Đã ghi nhận 5 BHXH tự nguyện"),
    Step("resident", "private", "say", "/huy", "Anh/chị muốn hủy báo cáo này?"),
    Step("resident", "private", "choose", "1", "Đã hủy báo cáo"),
    Step("resident", "private", "say", "/tiendo", "Tiến độ Ấp Mỹ Khánh"),
    Step("resident", "private", "say", "/dangky 60", "xác nhận"),
    Step("resident", "private", "choose", "1", "Đã ghi nhận 60"),
    Step("resident", "private", "say", "/dangki 2", "Có phải anh/chị muốn gõ /dangky?"),
    Step("coordinator", "group", "say", "/lienket MT", "không thuộc đơn vị anh/chị phụ trách"),
    Step("coordinator", "group", "say", "/lienket LM", "Đã liên kết nhóm này với Phường Long Mỹ"),
    Step("coordinator", "group", "say", "chuyện phiếm trong nhóm", ""),
    Step("coordinator", "group", "say", "/tiendo", "Tiến độ Phường Long Mỹ"),
    Step("resident", "group", "say", "/dangky 2", "thuộc Phường Long Mỹ"),
]
