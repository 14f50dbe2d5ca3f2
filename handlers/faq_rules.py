"""The FAQ phrase rules: how much evidence a question gives each of the ten topics.

They are features of the learned matcher (handlers/matcher.py), not the decision. A question is normalised (no case, no diacritics, Southern and short forms expanded, digit
runs as "#"), then each topic adds up the weights of its phrases found in it
(handlers/faq_topics.toml). General insurance words only strengthen a topic that already has
evidence; words of other fields (motorbikes, weather, lottery, loans) weaken every topic.
Words not in the vocabulary are corrected towards it with rapidfuzz (typos like "luogn").
"""
from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from rapidfuzz import fuzz, process

from handlers.text import fold

TOPICS_FILE = Path(str(files("handlers") / "faq_topics.toml"))
MAX_NGRAM = 4

# Southern and Northern accented forms that would lose their meaning without diacritics.
_ACCENTED = {"hông": "không", "hổng": "không", "hem": "không", "hôn": "không",
             "khum": "không", "hok": "không", "nhiêu": "nhiêu",
             # "đẻ" (give birth) folds to "de", the same as the everyday "để" (in order to): say
             # "sinh đẻ" (childbirth), which keeps the "de" that unaccented questions type
             "đẻ": "sinh đẻ"}
# Short and Southern forms, on the unaccented text. A value may be several words.
_SHORT = {
    "ko": "khong", "k": "khong", "kg": "khong", "kh": "khong", "khg": "khong", "hk": "khong",
    "khong": "khong", "hong": "khong", "hok": "khong", "hem": "khong", "khum": "khong",
    "hum": "khong", "nhiu": "nhieu", "bn": "bao nhieu", "bnhieu": "bao nhieu",
    "sanh": "sinh", "tui": "toi", "mik": "minh", "tn": "tu nguyen", "tnguyen": "tu nguyen",
    "dk": "dang ky", "dky": "dang ky", "dki": "dang ky", "dangky": "dang ky",
    "ng": "nguoi", "ngta": "nguoi ta", "dc": "duoc", "dduoc": "duoc", "đc": "duoc",
    "j": "gi", "ji": "gi", "lanh": "linh", "lảnh": "linh", "vs": "voi", "ntn": "nhu thenao",
    "wa": "qua", "r": "roi", "cty": "cong ty", "hgd": "ho gia dinh", "bh": "bao hiem",
    "bhxhtn": "bhxh tu nguyen", "bhyte": "bhyt", "mún": "muon", "mun": "muon",
    "thai_san": "thai san", "thaisan": "thai san", "luonghuu": "luong huu",
    "oi": "oi", "z": "vay", "dzay": "vay", "v": "vay", "zậy": "vay", "ah": "a", "ak": "a",
    "tr": "trieu", "cmnd": "cccd", "cmt": "cccd", "vneid": "vneid", "nhà": "nha",
    "ubnd": "uy ban", "ubx": "uy ban", "hnay": "hom nay", "bhtn": "bhtn",
}
# Multi-word canonical forms, applied after the short forms.
_PHRASES = [(r"bao hiem xa hoi", "bhxh"), (r"bao hiem y te", "bhyt"), (r"bh xh", "bhxh"),
            (r"bh yt", "bhyt"), (r"bao hiem xh", "bhxh"), (r"bao hiem yt", "bhyt"),
            (r"1 lan", "mot lan"),
            # "thể" (can) and "thế" (so) lose their accent too: keep them apart from "thẻ" (card)
            (r"co the(?! (?:bhyt|bao|giay|dien|cua|chua|moi|nay|cu)\b)", "cothe"),
            (r"the nao", "thenao"), (r"nhu the", "nhuthe")]
_PHRASE_PATTERNS = [(re.compile(rf"\b{long}\b"), short) for long, short in _PHRASES]
_TOKEN = re.compile(r"[a-z]+|[0-9]+")
_WORD = re.compile(r"\w+")  # a word as typed, accents and all (punctuation is not part of it)


def normalise(text: str) -> str:
    """'Vợ tui mới sanh, có được tiền gì hông?' → 'vo toi moi sinh co duoc tien gi khong'.

    Digit runs stay digits here (the FAQ log scrubs them separately)."""
    text = unicodedata.normalize("NFC", text).lower().replace("%", " phần trăm ")
    text = fold(_WORD.sub(lambda m: _ACCENTED.get(m[0], m[0]), text))
    tokens: list[str] = []
    for tok in _TOKEN.findall(text):
        if tok == "hong" and tokens and tokens[-1] in ("bi", "lam", "da"):
            tokens.append(tok)  # "bị hỏng": broken, not "không"
            continue
        tokens.extend(_SHORT.get(tok, tok).split())
    text = " ".join(tokens)
    for pattern, short in _PHRASE_PATTERNS:
        text = pattern.sub(short, text)
    return text


class Rules:
    def __init__(self, config: dict):
        settings = config["settings"]
        self.weights = settings["weights"]
        self.domain_cap = float(settings["domain_cap"])
        off_factor = float(settings["off_domain_factor"])
        self.topics: dict[str, dict] = config["topics"]
        self.titles = {t: spec["title"] for t, spec in self.topics.items()}
        # phrase -> [(topic, weight)], topic "" = domain, "-" = off-domain
        self.single: dict[str, list[tuple[str, float]]] = {}
        self.combined: list[tuple[tuple[str, ...], str, float]] = []
        for topic, spec in [("", config["domain"]), ("-", config["off_domain"]),
                            *self.topics.items()]:
            for level, weight in self.weights.items():
                for phrase in spec.get(level, []):
                    self._add(phrase, topic, weight * (off_factor if topic == "-" else 1))
        self.vocab = sorted({w for p in self.single for w in p.split()} |
                            {w for parts, _, _ in self.combined for p in parts
                             for w in p.split()})
        # Known words are never "corrected"; only the topic vocabulary is a target.
        self._vocab_set = frozenset(self.vocab) | frozenset(config["common"]["words"].split())
        # "a + b" phrases by their first part, so a question checks only those it starts
        self._combined_first: dict[str, list[tuple[tuple[str, ...], str, float]]] = {}
        for parts, topic, weight in self.combined:
            self._combined_first.setdefault(parts[0], []).append((parts[1:], topic, weight))
        self._correct = lru_cache(maxsize=20_000)(self._correct_uncached)

    def _add(self, phrase: str, topic: str, weight: float) -> None:
        parts = tuple(" ".join("#" if w.isascii() and w.isdigit() else w
                               for w in normalise(p.replace("#", " 0 ")).split())
                      for p in phrase.split("+"))
        if len(parts) == 1:
            self.single.setdefault(parts[0], []).append((topic, weight))
        else:
            self.combined.append((parts, topic, weight))

    @classmethod
    def from_file(cls, path: Path | None = None) -> Rules:
        return cls(load_topics(path))

    # -- scoring
    def tokens(self, normalised: str) -> list[str]:
        out: list[str] = []
        for tok in normalised.split():
            if tok.isascii() and tok.isdigit():
                out.append("#")
            else:
                out.extend(self._correct(tok))
        return out

    def _correct_uncached(self, tok: str) -> tuple[str, ...]:
        """A word outside the vocabulary: a typo of a known word, or two run together."""
        if tok in self._vocab_set or len(tok) < 5:
            return (tok,)
        for i in range(2, len(tok) - 1):
            if tok[:i] in self._vocab_set and tok[i:] in self._vocab_set:
                return (tok[:i], tok[i:])
        best = process.extractOne(tok, self.vocab, scorer=fuzz.ratio, score_cutoff=80)
        return (best[0],) if best else (tok,)

    def features(self, normalised: str) -> list[float]:
        """Per topic (in file order) its evidence, then the insurance and other-field words;
        each divided by one strong phrase (3 points) and capped, as the model's inputs.
        `normalised`: a question after normalise()."""
        return self.read(normalised)[0]

    def read(self, normalised: str) -> tuple[list[float], set[str]]:
        """The features, and the topics the question names outright (at least one strong
        phrase's worth), from one pass over its phrases."""
        pos, domain, penalty = self._evidence(normalised)
        topic = [min(max(pos.get(t, 0.0) + domain - penalty, 0.0), 9.0) for t in self.topics]
        named = {t for t, v in pos.items() if t in self.topics and v >= self.weights["strong"]}
        return [v / 3.0 for v in (*topic, domain, min(penalty, 9.0))], named

    def _evidence(self, normalised: str) -> tuple[dict[str, float], float, float]:
        toks = self.tokens(normalised)
        grams = {" ".join(toks[i:i + n]) for n in range(1, MAX_NGRAM + 1)
                 for i in range(len(toks) - n + 1)}
        found: dict[str, list[tuple[str, float]]] = {}
        for gram in grams:
            for topic, weight in self.single.get(gram, ()):
                found.setdefault(topic, []).append((gram, weight))
        pos: dict[str, float] = {}
        for topic, hits in found.items():
            spaced = [f" {g} " for g, _ in hits]
            for gram, weight in hits:
                inner = f" {gram} "
                if weight > 0 and any(inner in s and inner != s for s in spaced):
                    continue  # counted as part of a longer phrase
                pos[topic] = pos.get(topic, 0.0) + weight
        for first in grams & self._combined_first.keys():
            for rest, topic, weight in self._combined_first[first]:
                if all(p in grams for p in rest):
                    pos[topic] = pos.get(topic, 0.0) + weight
        domain = min(pos.pop("", 0.0), self.domain_cap)
        return pos, domain, pos.pop("-", 0.0)


def load_topics(path: Path | None = None) -> dict:
    with open(path or TOPICS_FILE, "rb") as f:
        return tomllib.load(f)
