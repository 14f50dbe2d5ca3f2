"""The FAQ matcher: which answer of the catalogue (handlers/faq_answers.toml) a resident's
message asks for, small talk, or nothing of ours (off-topic).

A learned classifier (handlers/faq_features.py: character n-grams + the phrase rules of
handlers/faq_rules.py, fitted on handlers/faq_corpus by `hamletbot faq-train`) gives every
answer id, "smalltalk.*" and "none" a probability. The answers of one topic add up to the
topic's probability. A topic is answered only when it beats "none" and reaches
`min_topic_prob`; within it, the most likely answer, or the topic's overview when no answer
stands out. Two topics both likely and neither sure → the caller asks which one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from handlers.faq_features import MODEL_FILE, Model, prepare
from handlers.faq_rules import Rules, load_topics, normalise

__all__ = ["Match", "Matcher", "normalise"]
OFF_TOPIC = "none"
SMALLTALK = "smalltalk"
_WORD = re.compile(r"[a-z]")
_JOINED = re.compile(r"\b(va|voi|hay|hoac|cung|lan)\b")  # "thai sản và lương hưu"


@dataclass(frozen=True)
class Match:
    answer: str | None  # an answer id of the catalogue; None: off-topic
    topic: str | None  # the answer id's topic, "smalltalk", or None
    score: float  # 0..1, the topic's probability
    alternatives: tuple[str, ...] = field(default_factory=tuple)  # answer ids to offer
    needs_clarifying: bool = False


NO_MATCH = Match(None, None, 0.0)


@dataclass(frozen=True)
class Decision:
    """The thresholds of the decision, from [classifier] in faq_topics.toml."""
    min_topic_prob: float  # a topic needs this much probability, and more than "none"
    overview_share: float  # the best answer needs this share of its topic, else the overview
    clarify_min: float  # a runner-up topic with this much probability...
    clarify_below: float  # ...while the winner has less than this → ask which one
    clarify_named_min: float  # a second topic the question names, with this much → ask


class Matcher:
    def __init__(self, rules: Rules, model: Model, decision: Decision, titles: dict[str, str]):
        self.rules = rules
        self.model = model
        self.decision = decision
        self.titles = titles  # topic → Vietnamese title
        self._topic_of = [c.split(".")[0] for c in model.classes]
        self.topics = tuple(dict.fromkeys(self._topic_of))
        self._answers = {t: [c for c in model.classes if c.split(".")[0] == t]
                         for t in self.topics}

    @classmethod
    def from_file(cls, topics: Path | None = None, model: Path = MODEL_FILE) -> Matcher:
        config = load_topics(topics)
        return cls(Rules(config), Model.load(model), Decision(**config["classifier"]),
                   {t: spec["title"] for t, spec in config["topics"].items()})

    def probabilities(self, text: str) -> dict[str, float]:
        prepared = prepare(text)
        return self._probabilities(prepared, self.rules.features(prepared))

    def _probabilities(self, prepared: str, features: list[float]) -> dict[str, float]:
        probs = self.model.probabilities(prepared, features)
        return dict(zip(self.model.classes, probs.tolist()))

    def match(self, text: str) -> Match:
        prepared = prepare(text)
        if not _WORD.search(prepared):
            return NO_MATCH  # nothing but digits, punctuation or nothing at all
        features, named = self.rules.read(prepared)
        joined = named if _JOINED.search(prepared) else set()
        return self.decide(self._probabilities(prepared, features), joined)

    def decide(self, probs: dict[str, float], named: set[str] = frozenset()) -> Match:
        """The answer for these probabilities; `named`: topics the question names outright
        and joins ("thai sản và lương hưu" names two: ask which one, however sure the model)."""
        mass: dict[str, float] = dict.fromkeys(self.topics, 0.0)
        for cls_, topic in zip(self.model.classes, self._topic_of):
            mass[topic] += probs[cls_]
        ranked = sorted(mass.items(), key=lambda kv: (-kv[1], kv[0]))
        topic, top = ranked[0]
        d = self.decision
        if topic == OFF_TOPIC or top < d.min_topic_prob:
            return Match(None, None, round(top if topic != OFF_TOPIC else 0.0, 3))
        answer = self._best_answer(topic, probs, top)
        if topic == SMALLTALK:
            return Match(answer, topic, round(top, 3))
        runners = [t for t, m in ranked[1:3]
                   if t not in (OFF_TOPIC, SMALLTALK) and m >= d.clarify_min]
        also_named = [t for t, m in ranked[1:] if t in named and m >= d.clarify_named_min]
        if topic in named and also_named:  # two topics named outright: offer their overviews
            others = tuple(f"{t}.overview" for t in also_named[:2])
            return Match(f"{topic}.overview", topic, round(top, 3), others, needs_clarifying=True)
        if top >= d.clarify_below or not runners:
            return Match(answer, topic, round(top, 3))
        others = tuple(self._best_answer(t, probs, mass[t]) for t in runners)
        return Match(answer, topic, round(top, 3), others, needs_clarifying=True)

    def _best_answer(self, topic: str, probs: dict[str, float], mass: float) -> str:
        best = max(self._answers[topic], key=lambda c: (probs[c], c))
        overview = f"{topic}.overview"
        if probs[best] < self.decision.overview_share * mass and overview in probs:
            return overview
        return best
