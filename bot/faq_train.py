"""`hamletbot faq-train`: fit the FAQ matcher's model on the corpus and measure it on folds
it was not trained on.

scikit-learn fits (TfidfVectorizer with our analyzer, LogisticRegression); the result is
saved as handlers/faq_model/model.npz with the corpus digest and the fold figures, and
applied at run time with numpy alone (handlers/faq_features.py).
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import click
import numpy as np

from bot.faq_corpus import Example, build_corpus, read_seeds
from handlers.faq_features import CHAR_NGRAMS, MODEL_FILE, Model, analyse, prepare
from handlers.faq_rules import TOPICS_FILE, Rules, load_topics
from handlers.matcher import Decision, Matcher

PARAMS = {"C": 20.0, "min_df": 2, "folds": 5, "char_ngrams": list(CHAR_NGRAMS), "version": 1}


def digest(corpus: list[Example], topics: Path = TOPICS_FILE) -> str:
    """What the model was fitted from: the corpus, the rules and the parameters."""
    h = hashlib.sha256(json.dumps(PARAMS, sort_keys=True).encode())
    h.update(topics.read_bytes())
    for e in corpus:
        h.update(f"{e.label}\t{e.text}\n".encode())
    return h.hexdigest()


def fit(corpus: list[Example], rules: Rules) -> Model:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = TfidfVectorizer(analyzer=analyse, min_df=PARAMS["min_df"], dtype=np.float64)
    prepared = [prepare(e.text) for e in corpus]
    terms = vectoriser.fit_transform(prepared)
    evidence = csr_matrix(np.array([rules.features(p) for p in prepared]))
    model = LogisticRegression(C=PARAMS["C"], max_iter=3000)
    model.fit(hstack([terms, evidence]).tocsr(), [e.label for e in corpus])
    vocabulary = {t: int(i) for t, i in vectoriser.vocabulary_.items()}
    return Model(classes=tuple(model.classes_.tolist()), vocabulary=vocabulary,
                 idf=vectoriser.idf_, coef=model.coef_.T.copy(), intercept=model.intercept_,
                 meta={})


def matcher_for(model: Model, config: dict, rules: Rules) -> Matcher:
    return Matcher(rules, model, Decision(**config["classifier"]),
                   {t: spec["title"] for t, spec in config["topics"].items()})


def cross_validate(corpus: list[Example], config: dict, rules: Rules) -> list[tuple[str, str]]:
    """(expected label, answer given or "none") for every example, each predicted by a model
    fitted on the other folds; a seed and all its variants stay in one fold."""
    from sklearn.model_selection import GroupKFold

    groups = [e.seed for e in corpus]
    out: list[tuple[str, str] | None] = [None] * len(corpus)
    for train, test in GroupKFold(n_splits=PARAMS["folds"]).split(corpus, groups=groups):
        matcher = matcher_for(fit([corpus[i] for i in train], rules), config, rules)
        for i in test:
            out[i] = (corpus[i].label, matcher.match(corpus[i].text).answer or "none")
    return [pair for pair in out if pair]


def topic_of(label: str | None) -> str:
    """An answer id's topic; small talk and off-topic both count as "none" for topics."""
    topic = (label or "none").split(".")[0]
    return "none" if topic == "smalltalk" else topic


def figures(pairs: list[tuple[str, str]]) -> dict:
    """Top-1 accuracy by answer and by topic, off-topic precision and recall."""
    answered_off = sum(topic_of(e) == "none" and topic_of(g) != "none" for e, g in pairs)
    said_none = [(e, g) for e, g in pairs if g == "none"]
    true_none = [(e, g) for e, g in pairs if e == "none"]
    per_answer, per_topic = Counter(), Counter()
    hits_answer, hits_topic = Counter(), Counter()
    for e, g in pairs:
        per_answer[e] += 1
        per_topic[topic_of(e)] += 1
        hits_answer[e] += e == g
        hits_topic[topic_of(e)] += topic_of(e) == topic_of(g)
    return {
        "n": len(pairs),
        "answer_accuracy": _ratio(sum(hits_answer.values()), len(pairs)),
        "topic_accuracy": _ratio(sum(hits_topic.values()), len(pairs)),
        "off_topic_answered": answered_off,
        "none_precision": _ratio(sum(e == "none" for e, _ in said_none), len(said_none)),
        "none_recall": _ratio(sum(g == "none" for _, g in true_none), len(true_none)),
        "per_topic": {t: _ratio(hits_topic[t], n) for t, n in sorted(per_topic.items())},
        "per_answer": {a: _ratio(hits_answer[a], n) for a, n in sorted(per_answer.items())},
    }


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 1.0


def report(name: str, figs: dict) -> list[str]:
    lines = [f"{name}: {figs['n']} questions, top-1 topic {figs['topic_accuracy']:.3f}, "
             f"answer {figs['answer_accuracy']:.3f}; off-topic precision "
             f"{figs['none_precision']:.3f} recall {figs['none_recall']:.3f}, "
             f"answered with a topic: {figs['off_topic_answered']}"]
    lines += [f"  topic  {t:<22} {v:.3f}" for t, v in figs["per_topic"].items()]
    lines += [f"  answer {a:<22} {v:.3f}" for a, v in figs["per_answer"].items()]
    return lines


def train(path: Path = MODEL_FILE, folds: bool = True) -> tuple[Model, list[str]]:
    config = load_topics()
    rules = Rules(config)
    corpus = build_corpus(read_seeds())
    model = fit(corpus, rules)
    meta = {"digest": digest(corpus), "examples": len(corpus), "params": PARAMS}
    lines = [f"corpus: {len(corpus)} examples, {len(model.classes)} classes, "
             f"{len(model.vocabulary)} terms"]
    if folds:
        meta["folds"] = figures(cross_validate(corpus, config, rules))
        lines += report(f"{PARAMS['folds']}-fold by seed", meta["folds"])
    model = replace(model, meta=meta)
    model.save(path)
    return model, lines


@click.command("faq-train")
@click.option("--no-folds", is_flag=True, help="Skip the cross-validation (faster).")
def faq_train(no_folds: bool) -> None:
    """Fit the FAQ matcher on handlers/faq_corpus and save handlers/faq_model/model.npz."""
    _, lines = train(folds=not no_folds)
    for line in lines:
        click.echo(line)
    click.echo(f"saved {MODEL_FILE}")
