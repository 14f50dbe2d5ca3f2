"""`/tinh thu nhập`: the monthly voluntary SI contribution and what each group pays."""
from __future__ import annotations

import re

from handlers.context import Context
from handlers.faq_cases import GROUP_NAMES, warning
from handlers.money import parse_amount as parse_income
from handlers.text import fold
from handlers.types import Choice, Incoming, Reply

# What residents type for a group, and the policy's name for it.
GROUP_WORDS = {"ngheo": "poor", "can_ngheo": "near_poor", "cangheo": "near_poor",
               "dan_toc": "ethnic_minority", "dantoc": "ethnic_minority", "khac": "other"}
GROUP_PAYLOAD = {"poor": "ngheo", "near_poor": "can_ngheo", "ethnic_minority": "dan_toc",
                 "other": "khac"}
NOT_POSITIVE = re.compile(r"\s*(-\s*[0-9][0-9.,]*|0+([.,]0+)?)\s*[a-z]*\s*")


def _split_group(args: str) -> tuple[str, str | None]:
    m = re.search(r"\bnhom\s*:\s*(\w+)", fold(args))
    if not m:
        return args, None
    return args[:m.start()] + args[m.end():], GROUP_WORDS.get(m.group(1), "")


async def calculate(msg: Incoming, ctx: Context) -> list[Reply]:
    """/tinh thu nhập: tính tiền đóng BHXH tự nguyện mỗi tháng, ví dụ /tinh 3tr hoặc /tinh 3.000.000."""
    amount_text, group = _split_group(ctx.args)
    income = parse_income(amount_text)
    if income is None and NOT_POSITIVE.fullmatch(fold(amount_text)):
        income = 0  # zero or negative: say the range, not how to type the command
    if income is None or group == "":
        return ctx.reply("calc/usage.j2")
    view = ctx.policy.at(ctx.local_now.date())
    if not (view.min_base <= income <= view.max_base):
        return ctx.reply("calc/bounds.j2", p=view, income=income)
    groups = view.support_groups()
    if group is not None and group not in groups:
        return ctx.reply("calc/usage.j2")
    contribution = view.contribution(income)
    pays = {g: contribution - view.support(g) for g in groups}
    months = view.v("vsi_payment_months")
    if group is None:
        text = ctx.render("calc/result.j2", p=view, income=income, contribution=contribution,
                          months=months, pays=pays, names=GROUP_NAMES, warning=warning(view))
        choices = tuple(Choice(GROUP_NAMES[g], f"/tinh {income} nhom:{GROUP_PAYLOAD[g]}")
                        for g in groups)
        return [Reply(text, choices=choices)]
    return ctx.reply("calc/group.j2", p=view, income=income, contribution=contribution,
                     group=group, group_name=GROUP_NAMES[group], support=view.support(group),
                     pay=pays[group], months=months, warning=warning(view))
