"""Residents' benefit questions: `/hoi câu hỏi`, and free text in a private chat.

The matcher says which answer of handlers/faq_answers.toml fits; the slots read from the
question and the date asked about give the figures; templates/faq/<topic>/<answer>.j2 speak.
`answer_question` is the whole path without the database: `/hoi` and `hamletbot ask` use it.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable

from handlers.context import Context
from handlers.faq_cases import GROUP_NAMES, SEX_NAMES, case_data, refine
from handlers.faq_slots import Slots, read_slots, slot_text
from handlers.matcher import Matcher, normalise
from handlers.types import Choice, Incoming, Reply
from models.faq import FaqLog
from models.policy import Policy, PolicyGap

ANSWERS_FILE = Path(str(files("handlers") / "faq_answers.toml"))
# Payloads of choices: an answer picked from a clarifying question, a topic (older buttons),
# the full legal reference of an answer on a day.
CHOSEN = re.compile(r"#(traloi|chude):([\w.]+)(?:\s+(.*))?", re.DOTALL)
PAYLOAD_BYTES = 64  # Telegram's limit for a button's data
BASIS = re.compile(r"#cancu:([\w.]+)@([0-9]{4}-[0-9]{2}-[0-9]{2})")


@dataclass(frozen=True)
class Catalogue:
    titles: dict[str, str]  # answer id -> Vietnamese title
    basis: dict[str, tuple[str, ...]]  # answer id -> policy keys its footer cites

    @classmethod
    def from_file(cls, path: Path = ANSWERS_FILE) -> Catalogue:
        with open(path, "rb") as f:
            answers = tomllib.load(f)["answers"]
        return cls({k: a["title"] for k, a in answers.items()},
                   {k: tuple(a.get("basis", ())) for k, a in answers.items()})

    def topics(self) -> list[str]:
        return [t for k, t in self.titles.items() if k.endswith(".overview")]


@dataclass(frozen=True)
class Answered:
    replies: list[Reply]
    answer: str | None  # the answer id given, None for off-topic
    score: float
    logged: bool = True  # False for button presses (a choice, the legal reference)


@dataclass(frozen=True)
class Faq:
    """The FAQ's data: read once by the App at start-up (bot/app.py) and passed down."""
    matcher: Matcher
    catalogue: Catalogue

    @classmethod
    def load(cls) -> Faq:
        return cls(Matcher.from_file(), Catalogue.from_file())


def scrub(question: str) -> str:
    """Normalised, digit runs replaced: no phone or ID numbers are stored."""
    return re.sub(r"[0-9]+", "#", normalise(question))[:500]


async def ask(msg: Incoming, ctx: Context) -> list[Reply]:
    """/hoi câu hỏi: hỏi về thai sản, lương hưu, tử tuất, mức đóng, cách đóng,
    ai được tham gia, BHYT hộ gia đình, đăng ký, rút một lần, thẻ BHYT."""
    text = ctx.args.strip()
    if not text:
        return ctx.reply("faq/empty.j2")
    done = answer_question(text, ctx.local_now.date(), ctx.policy, ctx.faq, ctx.render)
    if done.logged:
        ctx.session.add(FaqLog(question=scrub(text), topic=done.answer, score=done.score,
                               created_at=ctx.now))
    return done.replies


def answer_question(text: str, day: date, policy: Policy, faq: Faq,
                    render: Callable[..., str]) -> Answered:
    """The reply the bot gives to the question on that day."""
    matcher, catalogue = faq.matcher, faq.catalogue
    basis = BASIS.fullmatch(text)
    if basis and basis.group(1) in catalogue.titles:
        return Answered(_basis(basis.group(1), date.fromisoformat(basis.group(2)), policy,
                               catalogue, render), basis.group(1), 1.0, logged=False)
    chosen = CHOSEN.fullmatch(text)
    if chosen:
        picked = chosen.group(2) if "." in chosen.group(2) else f"{chosen.group(2)}.overview"
        if picked in catalogue.titles:
            said = chosen.group(3) or ""
            picked = refine(picked, read_slots(said, day))
            return Answered(_answer(picked, said, day, policy, catalogue, render), picked, 1.0,
                            logged=False)
    match = matcher.match(text)
    found = answer_id(match)
    slots = read_slots(text, day)
    if found is None:
        return Answered(_safe(lambda: [Reply(render(
            "faq/fallback.j2", p=policy.at(day), topics=catalogue.topics()))], day, policy,
            render), None, match.score)
    options = [found, *(a if "." in a else f"{a}.overview" for a in match.alternatives)]
    options = [a for a in dict.fromkeys(options) if a in catalogue.titles]
    refined = refine(found, slots)
    if match.needs_clarifying and not (refined != found and refined in options):
        titles = [catalogue.titles[a] for a in options]
        return Answered([Reply(render("faq/clarify.j2", titles=titles),
                               choices=tuple(_pick(a, catalogue, slots) for a in options))],
                        found, match.score)
    return Answered(_answer(refined, text, day, policy, catalogue, render), refined, match.score)


def _pick(answer: str, catalogue: Catalogue, slots: Slots) -> Choice:
    payload = f"/hoi #traloi:{answer}"
    said = slot_text(slots, PAYLOAD_BYTES - len(payload.encode()) - 1)
    return Choice(catalogue.titles[answer], f"{payload} {said}".strip())


def answer_id(match: Any) -> str | None:
    """The matcher's answer id; a matcher that only knows topics gives the topic overview."""
    found = getattr(match, "answer", None)
    if found is None and match.topic is not None:
        found = match.topic if "." in match.topic else f"{match.topic}.overview"
    return found


def _answer(answer: str, text: str, day: date, policy: Policy, catalogue: Catalogue,
            render: Callable[..., str]) -> list[Reply]:
    def build() -> list[Reply]:
        view = policy.at(day)
        slots = read_slots(text, day)
        data = case_data(answer, view, slots, policy)
        basis_view = data.pop("basis_view", view)
        topic, name = answer.split(".")
        body = render(f"faq/{topic}/{name}.j2", p=view, s=slots, groups=GROUP_NAMES,
                      sexes=SEX_NAMES, **data)
        keys = catalogue.basis[answer]
        footer = basis_view.footer(*keys)
        if footer is None:
            if keys:  # nothing it rests on holds that day: not an answer to give
                raise PolicyGap(f"{answer}: no basis on {basis_view.day}")
            return [Reply(body)]
        line = render("faq/footer.j2", f=footer)
        more = Choice(render("faq/basis_button.j2"), f"/hoi #cancu:{answer}@{basis_view.day}")
        return [Reply(f"{body}\n{line}", choices=(more,))]
    return _safe(build, day, policy, render)


def _basis(answer: str, day: date, policy: Policy, catalogue: Catalogue,
           render: Callable[..., str]) -> list[Reply]:
    footer = policy.at(day).footer(*catalogue.basis[answer])
    return [Reply(render("faq/basis.j2", f=footer, title=catalogue.titles[answer], day=day))]


def _safe(build: Callable[[], list[Reply]], day: date, policy: Policy,
          render: Callable[..., str]) -> list[Reply]:
    """A day the policy data does not reach gets a plain answer, not a crash."""
    try:
        return build()
    except PolicyGap:
        return [Reply(render("faq/no_data.j2", day=day,
                             hotline=policy.at(day).get("contact.hotline")))]
