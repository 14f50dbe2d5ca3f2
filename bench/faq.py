"""FAQ matcher speed and accuracy: questions per second, one at a time on one core, start-up
time, and the accuracy on questions the model was not fitted on.

Run: python bench/faq.py [FILE.jsonl]. Start-up = importing the matcher + loading the fitted
model and the phrase rules. Accuracy: the 5-fold figures recorded by `hamletbot faq-train`
(folds by seed) and tests/faq_heldout_answers.jsonl, written apart from the corpus.
The last line is `RESULT questions_per_s=… startup_s=…`.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def main() -> None:
    t0 = time.perf_counter()
    from handlers.matcher import Matcher
    matcher = Matcher.from_file()
    startup = time.perf_counter() - t0
    from bot.faq_train import figures, report
    default = ROOT.parent / "shared" / "faq_eval" / "visible.jsonl"
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    if not path.exists():
        path = ROOT / "tests" / "faq_heldout.jsonl"
    questions = [row["q"] for row in read(path)]
    # Vary each question so the typo-correction cache does not make every repeat free.
    batch = [f"{q} {i}" if i % 2 else q for i in range(50) for q in questions]
    t1 = time.perf_counter()
    for q in batch:
        matcher.match(q)
    elapsed = time.perf_counter() - t1
    held_out = read(ROOT / "tests" / "faq_heldout_answers.jsonl")
    pairs = [(r["answer"], matcher.match(r["q"]).answer or "none") for r in held_out]
    folds = matcher.model.meta.get("folds")
    print(report("folds", folds)[0] if folds else "folds: not measured (faq-train --no-folds)")
    print(report("held-out", figures(pairs))[0])
    print(f"questions: {len(batch)} from {path.name}")
    print(f"RESULT questions_per_s={len(batch) / elapsed:.0f} startup_s={startup:.3f}")


if __name__ == "__main__":
    main()
