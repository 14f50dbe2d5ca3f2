"""Residents' benefit questions: `/hoi câu hỏi`, and free text in a private chat."""
from __future__ import annotations

import re
from functools import lru_cache

from handlers.context import Context
from handlers.matcher import Matcher, normalise
from handlers.types import Choice, Incoming, Reply
from models.faq import FaqLog
from models.policy import Policy, PolicyView, load_policy

CHOSEN = re.compile(r"#chude:(\w+)")  # the payload of a clarifying choice
SUPPORT_GROUP_NAMES = {"poor": "Hộ nghèo", "near_poor": "Hộ cận nghèo",
                       "ethnic_minority": "Người dân tộc thiểu số", "other": "Người khác"}


@lru_cache(maxsize=1)
def get_matcher() -> Matcher:
    """Built once, on first use (about 10 ms)."""
    return Matcher.from_file()


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    return load_policy()


def policy_view(ctx: Context) -> PolicyView:
    """The figures in force on today's local date."""
    policy: Policy = ctx.policy or default_policy()
    return policy.at(ctx.local_now.date())


def scrub(question: str) -> str:
    """Normalised, digit runs replaced: no phone or ID numbers are stored."""
    return re.sub(r"\d+", "#", normalise(question))[:500]


def render_topic(ctx: Context, topic: str, view: PolicyView) -> str:
    return ctx.render(f"faq/{topic}.j2", p=view, groups=SUPPORT_GROUP_NAMES)


async def ask(msg: Incoming, ctx: Context) -> list[Reply]:
    """/hoi câu hỏi: hỏi về thai sản, lương hưu, tử tuất, mức đóng, cách đóng,
    ai được tham gia, BHYT hộ gia đình, đăng ký, rút một lần, thẻ BHYT."""
    text = ctx.args.strip()
    if not text:
        return ctx.reply("faq/empty.j2")
    matcher = get_matcher()
    view = policy_view(ctx)
    chosen = CHOSEN.fullmatch(text)
    if chosen and chosen.group(1) in matcher.titles:
        return [Reply(render_topic(ctx, chosen.group(1), view))]
    match = matcher.match(text)
    ctx.session.add(FaqLog(question=scrub(text), topic=match.topic, score=match.score,
                           created_at=ctx.now))
    if match.topic is None:
        return ctx.reply("faq/fallback.j2", p=view, topics=list(matcher.titles.values()))
    if match.needs_clarifying:
        topics = (match.topic, *match.alternatives)
        titles = [matcher.titles[t] for t in topics]
        return [Reply(ctx.render("faq/clarify.j2", titles=titles),
                      choices=tuple(Choice(matcher.titles[t], f"/hoi #chude:{t}")
                                    for t in topics))]
    return [Reply(render_topic(ctx, match.topic, view))]
