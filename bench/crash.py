"""Benchmark: the kill test of tests/test_crash.py over many cycles.

The real bot (`hamletbot run` against the in-process fake Bot API, by Telegram polling or
webhook) gets a burst of `/dangky N` reports per cycle and is killed with SIGKILL after a
seeded random number of replies, then restarted; the fake redelivers what Telegram would
(updates not yet confirmed by a getUpdates offset; webhook updates not answered 200). At
the end every acknowledged report (answered "Đã ghi nhận", or answered 200 to Telegram)
must be in the ledger exactly once.

Run:  python bench/crash.py [--cycles 50] [--seed 1] [--mode polling|webhook] [--db URL]
Ends with `RESULT cycles=… acknowledged=… found_once=…` (target: the last two equal).
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository root (tests/fakes)

from tests.fakes.bot_process import crash_cycles  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mode", choices=["polling", "webhook"], default="polling")
    parser.add_argument("--db", "--database-url", dest="db", default="",
                        help="an empty PostgreSQL database; default: a SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite+aiosqlite:///{Path(tmp) / 'crash.db'}"
        started = time.perf_counter()
        r = await crash_cycles(Path(tmp), url, cycles=args.cycles, seed=args.seed,
                               mode=args.mode)
        elapsed = time.perf_counter() - started
    print(f"mode={args.mode} sent={r.sent} lost_unacknowledged={r.lost} counted_twice={len(r.counted_twice)} "
          f"unknown={len(r.unknown)} last_exit={r.exit_code} seconds={elapsed:.0f}")
    print(f"RESULT cycles={r.cycles} acknowledged={r.acknowledged} found_once={r.found_once}")


if __name__ == "__main__":
    asyncio.run(main())
