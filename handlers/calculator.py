"""`/tinh thu nhập`: the monthly voluntary SI contribution and what each group pays."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from handlers.context import Context
from handlers.faq import SUPPORT_GROUP_NAMES, policy_view
from handlers.text import fold
from handlers.types import Choice, Incoming, Reply
from models.policy import money

# What residents type for a group, and the policy's name for it.
GROUP_WORDS = {"ngheo": "poor", "can_ngheo": "near_poor", "cangheo": "near_poor",
               "dan_toc": "ethnic_minority", "dantoc": "ethnic_minority", "khac": "other"}
GROUP_PAYLOAD = {"poor": "ngheo", "near_poor": "can_ngheo", "ethnic_minority": "dan_toc",
                 "other": "khac"}
MILLION = {"tr", "trieu", "cu", "m"}
THOUSAND = {"k", "nghin", "ngan", "ng"}
_AMOUNT = re.compile(r"(\d+(?:[.,]\d+)*)\s*([a-z]*)")


def parse_income(text: str) -> int | None:
    """'3000000', '3.000.000', '3tr', '3 triệu', '3,5 triệu', '3.5tr', '3500k' → VND."""
    text = fold(text).strip()
    text = re.sub(r"\s*(dong|d|vnd)$", "", text)
    m = _AMOUNT.fullmatch(text)
    if not m:
        return None
    number, unit = m.groups()
    if len(number) > 20:  # no income has that many digits: treat as garbage, not as a figure
        return None
    if unit in MILLION or unit in THOUSAND:
        value = _decimal(number.replace(",", "."))
        value = value * (10**6 if unit in MILLION else 10**3) if value is not None else None
    elif unit:
        return None
    elif re.fullmatch(r"\d{1,3}([.,]\d{3})+|\d+", number):
        value = Decimal(re.sub(r"[.,]", "", number))
        if value < 1000:  # "/tinh 3" means three million
            value *= 10**6
    else:
        value = _decimal(number.replace(",", "."))
        value = value * 10**6 if value is not None and value < 1000 else None
    return money(value) if value is not None and value > 0 else None


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text.count(".") <= 1 else None
    except InvalidOperation:
        return None


def _split_group(args: str) -> tuple[str, str | None]:
    m = re.search(r"\bnhom\s*:\s*(\w+)", fold(args))
    if not m:
        return args, None
    return args[:m.start()] + args[m.end():], GROUP_WORDS.get(m.group(1), "")


async def calculate(msg: Incoming, ctx: Context) -> list[Reply]:
    """/tinh thu nhập: tính tiền đóng BHXH tự nguyện mỗi tháng, ví dụ /tinh 3tr hoặc /tinh 3.000.000."""
    amount_text, group = _split_group(ctx.args)
    income = parse_income(amount_text)
    if income is None or group == "":
        return ctx.reply("calc/usage.j2")
    view = policy_view(ctx)
    if view.min_base_unverified or not (view.min_base <= income <= view.max_base):
        return ctx.reply("calc/bounds.j2", p=view, income=income)
    groups = view.support_groups()
    if group is not None and group not in groups:
        return ctx.reply("calc/usage.j2")
    contribution = view.contribution(income)
    pays = {g: contribution - view.support(g) for g in groups}
    months = view.v("vsi_payment_months")
    if group is None:
        text = ctx.render("calc/result.j2", p=view, income=income, contribution=contribution,
                          months=months, pays=pays, names=SUPPORT_GROUP_NAMES)
        choices = tuple(Choice(SUPPORT_GROUP_NAMES[g], f"/tinh {income} nhom:{GROUP_PAYLOAD[g]}")
                        for g in groups)
        return [Reply(text, choices=choices)]
    return ctx.reply("calc/group.j2", p=view, income=income, contribution=contribution,
                     group=group, group_name=SUPPORT_GROUP_NAMES[group], support=view.support(group),
                     pay=pays[group], months=months)
