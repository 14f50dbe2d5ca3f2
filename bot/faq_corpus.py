"""The FAQ training corpus: hand-written seeds (handlers/faq_corpus/*.txt) and the variants
people would type of each: without diacritics, with short and Southern forms, with a
greeting or a particle around it, with typos, words run together.

Variants are drawn with a random generator seeded by the seed's own text, so the corpus is
the same on every run and a new seed does not change the variants of the others.
"""
from __future__ import annotations

import random
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from handlers.text import fold

CORPUS_DIR = Path(__file__).resolve().parent.parent / "handlers" / "faq_corpus"
PER_ANSWER = 72  # variants and seeds per answer id (the brief asks for at least 60)
PER_OFF_TOPIC_SEED = 3

# Word → ways people write it (on the text with diacritics; folded forms follow).
SHORT_FORMS = {
    "không": ["ko", "k", "hông", "hong", "hok", "khum", "hem", "khg"],
    "được": ["dc", "đc", "đươc", "dk"], "bao nhiêu": ["bn", "nhiêu", "bnhiu", "bao nhiu"],
    "bảo hiểm xã hội": ["bhxh", "BHXH", "bh xh", "bảo hiểm xh"],
    "bảo hiểm y tế": ["bhyt", "BHYT", "bh yt"], "tự nguyện": ["tn", "TN", "tnguyen"],
    "đăng ký": ["dk", "đk", "dki", "đăng kí"], "người": ["ng"], "vậy": ["z", "v", "dạ", "dị"],
    "gì": ["j", "chi", "gi"], "tôi": ["tui", "mình", "em", "t"], "với": ["vs", "zới"],
    "rồi": ["r", "òi"], "tháng": ["th"], "triệu": ["tr", "củ"], "mẹ": ["má"],
    "cha": ["tía", "ba"], "bố": ["ba", "tía"], "sinh": ["sanh"], "nhận": ["lãnh"],
    "bây giờ": ["giờ", "bi giờ"], "thế nào": ["sao", "ntn", "làm sao"], "biết": ["bít"],
    "lương hưu": ["lương huu", "luong hưu"], "muốn": ["mún"], "nhiều": ["nhìu"],
    "tiền": ["tìn"], "thôi": ["thui"], "khi nào": ["chừng nào", "bao giờ", "lúc nào"],
    "dùng": ["xài", "sử dụng"], "mang": ["đem"], "nghìn": ["ngàn"], "ở đâu": ["chỗ nào"],
    "chồng": ["ông xã", "ck"], "vợ": ["bà xã", "vk"], "bao lâu": ["nhiêu lâu", "mấy ngày"],
}
PREFIXES = ["cho hỏi", "cho tui hỏi", "ad ơi", "anh ơi cho hỏi", "chị ơi", "bot ơi",
            "xin hỏi", "em hỏi xíu", "hỏi chút", "cô ơi", "dạ cho em hỏi", "ad cho hỏi",
            "chào bot, cho hỏi", "hỏi ngu chút", "nhờ tư vấn", "alo ad", "bác ơi",
            "tui muốn hỏi", "cho mình hỏi"]
SUFFIXES = ["vậy", "ạ", "hả", "z", "nha", "nhé", "vậy ad", "?", "??", "dạ", "ạ, cảm ơn",
            "vậy bot", "hen", "hông biết", "không ạ", "...", "ad ơi", "giùm tui", "thế"]


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # an answer id, or "none"
    seed: int  # which hand-written seed it comes from (folds keep a seed's variants together)


def read_seeds(directory: Path = CORPUS_DIR) -> list[tuple[str, str]]:
    """(label, seed) in file order; a file's "## label" line starts a label's seeds."""
    seeds: list[tuple[str, str]] = []
    for path in sorted(directory.glob("*.txt")):
        label = None
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line.startswith("## "):
                label = line[3:].strip()
            elif line and not line.startswith("# ") and label:
                seeds.append((label, line))
    return seeds


def build_corpus(seeds: list[tuple[str, str]]) -> list[Example]:
    """Each seed and its variants; every answer gets about PER_ANSWER examples."""
    per_label: dict[str, int] = {}
    for label, _ in seeds:
        per_label[label] = per_label.get(label, 0) + 1
    corpus: list[Example] = []
    for index, (label, seed) in enumerate(seeds):
        if label == "none":
            wanted = PER_OFF_TOPIC_SEED
        else:
            wanted = -(-PER_ANSWER // per_label[label])
        for text in variants(seed, wanted):
            corpus.append(Example(text, label, index))
    return corpus


def variants(seed: str, wanted: int) -> list[str]:
    """The seed and `wanted - 1` distinct variants of it (fewer if it has no more)."""
    rng = random.Random(zlib.crc32(seed.encode("utf-8")))
    out = [seed]
    for _ in range(wanted * 20):
        if len(out) >= wanted:
            break
        text = vary(seed, rng)
        if text not in out:
            out.append(text)
    return out


def vary(text: str, rng: random.Random) -> str:
    if rng.random() < 0.6:
        text = shorten(text, rng)
    if rng.random() < 0.35 and len(text) > 12:
        text = f"{rng.choice(PREFIXES)} {text}"
    if rng.random() < 0.35:
        sep = "" if rng.random() < 0.5 else " "
        text = f"{text}{sep}{rng.choice(SUFFIXES)}"
    if rng.random() < 0.5:
        text = fold(text)
    if rng.random() < 0.35:
        text = typo(text, rng)
    if rng.random() < 0.15:
        text = run_on(text, rng)
    if rng.random() < 0.1:
        text = text.upper() if rng.random() < 0.3 else text[:1].upper() + text[1:]
    return text


def shorten(text: str, rng: random.Random) -> str:
    """Some words replaced by a short or Southern form."""
    for word, forms in SHORT_FORMS.items():
        if rng.random() < 0.6:
            text = re.sub(rf"(?i)\b{word}\b", lambda _: rng.choice(forms), text)
    return text


def typo(text: str, rng: random.Random) -> str:
    """One longer word with two letters swapped, a letter lost or doubled."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    elif kind == 1:
        w = w[:j] + w[j + 1:]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def run_on(text: str, rng: random.Random) -> str:
    """Two neighbouring words typed without the space between them."""
    spaces = [m.start() for m in re.finditer(" ", text)]
    if not spaces:
        return text
    i = rng.choice(spaces)
    return text[:i] + text[i + 1:]
