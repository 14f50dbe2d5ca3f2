"""What the learned FAQ matcher sees of a question, and its fitted linear model.

A question becomes the normalised text (handlers/faq_rules.normalise, emoji as words), whose character n-grams (2-5 letters inside word boundaries, like
scikit-learn's char_wb) and words and word pairs are weighted by TF-IDF, plus the phrase
rules' evidence per topic. The weights are fitted offline by `hamletbot faq-train` with
scikit-learn and shipped as handlers/faq_model/model.npz; here they are applied with numpy
alone, so start-up stays fast.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from handlers.faq_rules import normalise

MODEL_FILE = Path(__file__).resolve().parent / "faq_model" / "model.npz"
CHAR_NGRAMS = (2, 5)
# Emoji that carry a message on their own: a greeting, thanks or an acknowledgement.
_EMOJI = {"👋": "emojichao", "🤗": "emojichao", "👍": "emojiok", "👌": "emojiok",
          "🙏": "emojicamon", "❤": "emojicamon", "😊": "emojiok", "🥰": "emojicamon",
          "😂": "emojicuoi", "🤣": "emojicuoi", "😁": "emojicuoi"}
_DIGITS = re.compile(r"[0-9]")


def prepare(text: str) -> str:
    """'Nhà tui 4 người 👍' → 'nha toi 4 nguoi emojiok': what the rules and the model read."""
    for emoji, word in _EMOJI.items():
        if emoji in text:
            text = text.replace(emoji, f" {word} ")
    return normalise(text)


def analyse(prepared: str) -> list[str]:
    """The terms of a prepared question, digits as zeros (the vectoriser's analyzer)."""
    words = _DIGITS.sub("0", prepared).split()
    terms = [f"w:{w}" for w in words]
    terms += [f"w:{a}_{b}" for a, b in zip(words, words[1:])]
    low, high = CHAR_NGRAMS
    for word in words:
        padded = f" {word} "
        for n in range(low, high + 1):
            if n > len(padded):
                break
            terms += [padded[i:i + n] for i in range(len(padded) - n + 1)]
    return terms


@dataclass(frozen=True)
class Model:
    """A fitted multinomial logistic regression over TF-IDF terms + rule features."""
    classes: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray  # (terms,)
    coef: np.ndarray  # (terms + rule features, classes)
    intercept: np.ndarray  # (classes,)
    meta: dict

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> Model:
        with np.load(path, allow_pickle=False) as data:
            terms = data["terms"].tolist()
            return cls(classes=tuple(data["classes"].tolist()),
                       vocabulary={t: i for i, t in enumerate(terms)},
                       idf=data["idf"].astype(np.float64),
                       coef=data["coef"].astype(np.float64),
                       intercept=data["intercept"].astype(np.float64),
                       meta=json.loads(str(data["meta"])))

    def save(self, path: Path) -> None:
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            np.savez_compressed(f, terms=np.array(terms), classes=np.array(self.classes),
                                idf=self.idf.astype(np.float32),
                                coef=self.coef.astype(np.float32),
                                intercept=self.intercept.astype(np.float32),
                                meta=np.array(json.dumps(self.meta, sort_keys=True)))

    def probabilities(self, prepared: str, rules: list[float]) -> np.ndarray:
        """P(class | question), in the order of `classes`; `prepared`: see prepare()."""
        get = self.vocabulary.get
        counts = [(i, n) for t, n in Counter(analyse(prepared)).items()
                  if (i := get(t)) is not None]
        logits = self.intercept.copy()
        if counts:
            index, times = zip(*counts)
            rows = np.array(index, dtype=np.intp)
            values = np.array(times, dtype=np.float64) * self.idf[rows]
            values /= np.sqrt(values @ values)
            logits += values @ self.coef[rows]
        logits += np.asarray(rules) @ self.coef[len(self.idf):]
        logits -= logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()
