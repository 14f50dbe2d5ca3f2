"""FAQ matcher speed: questions per second, one at a time on one core, and start-up time.

Run: python bench/faq.py [FILE.jsonl]. Start-up = importing the matcher + building the index.
The last line is `RESULT questions_per_s=… startup_s=…`.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    t0 = time.perf_counter()
    from handlers.matcher import Matcher
    matcher = Matcher.from_file()
    startup = time.perf_counter() - t0
    default = ROOT.parent / "shared" / "faq_eval" / "visible.jsonl"
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    if not path.exists():
        path = ROOT / "tests" / "faq_heldout.jsonl"
    questions = [json.loads(line)["q"] for line in path.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    # Vary each question so the typo-correction cache does not make every repeat free.
    batch = [f"{q} {i}" if i % 2 else q for i in range(50) for q in questions]
    t1 = time.perf_counter()
    for q in batch:
        matcher.match(q)
    elapsed = time.perf_counter() - t1
    print(f"questions: {len(batch)} from {path.name}")
    print(f"RESULT questions_per_s={len(batch) / elapsed:.0f} startup_s={startup:.3f}")


if __name__ == "__main__":
    main()
