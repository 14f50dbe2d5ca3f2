"""BHXH's official figures at national scale on SQLite: the latest snapshot per unit and
the review flags.

The national data set of bench/leaderboard.py (34 provinces, ~3,300 communes, ~100,000
hamlets, 5 million ledger rows; generated there if missing) is copied to
bench/out/official.db, migrated, and given 12 monthly snapshots (the 28th of each month of
2026) for every unit and programme: ~2.4 million rows. Then, through the project's code,
times the latest official figure of every unit and of one commune's subtree, the review
flags of the whole tree and of one commune, and reports the peak RSS.

    python bench/official.py [--fresh]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import shutil
import sqlite3
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import leaderboard as data  # noqa: E402 (bench/leaderboard.py: the national data set)

DB = data.DB.parent / "official.db"
AS_OF = date(2026, 11, 25)
SNAPSHOTS = [date(2026, month, 28) for month in range(1, 13)]


def generate() -> None:
    if not data.DB.exists():
        data.generate(data.DB, 5_000_000)
    shutil.copyfile(data.DB, DB)
    asyncio.run(data._migrate(f"sqlite+aiosqlite:///{DB}"))  # adds officialfigure
    rng = random.Random(2)
    con = sqlite3.connect(DB)
    con.execute("PRAGMA synchronous=OFF")
    units = [r[0] for r in con.execute("SELECT id FROM unit")]
    for programme in ("bhxh_tn", "bhyt"):
        con.executemany(
            "INSERT INTO officialfigure (unit_id, programme, as_of, participants, imported_at,"
            " imported_by) VALUES (?,?,?,?,'2026-11-25 02:00:00.000000','bench')",
            ((u, programme, day.isoformat(), rng.randint(0, 5000))
             for u in units for day in SNAPSHOTS))
    con.commit()
    con.execute("ANALYZE")
    con.close()
    print(f"{len(units) * len(SNAPSHOTS) * 2} snapshots added", flush=True)


async def measure() -> dict[str, float]:
    from bot.db import make_engine, make_sessions
    from models.official import latest_official, review_flags
    from models.rollup import rollup
    from models.units import unit_by_code

    engine = make_engine(f"sqlite+aiosqlite:///{DB}")
    out: dict[str, float] = {}
    async with make_sessions(engine)() as session:
        t0 = time.perf_counter()
        found = await latest_official(None, AS_OF, session=session)
        out["latest_all_s"] = time.perf_counter() - t0
        print(f"latest figures of every unit: {len(found)} in {out['latest_all_s']:.2f} s")
        del found
        tree = await rollup(None, AS_OF, session=session)
        t0 = time.perf_counter()
        flags = await review_flags(tree, threshold=0.2, session=session)
        out["flags_all_s"] = time.perf_counter() - t0
        print(f"review flags of the whole tree (after its roll-up): {len(flags)} in "
              f"{out['flags_all_s']:.2f} s")
        del tree, flags
        commune = await unit_by_code("P17-C042", session=session)
        best = {"latest_commune_ms": [], "flags_commune_ms": []}
        for _ in range(5):
            tree = await rollup(commune, AS_OF, session=session)
            t0 = time.perf_counter()
            await latest_official(tree.units, AS_OF, session=session)
            best["latest_commune_ms"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await review_flags(tree, threshold=0.2, session=session)
            best["flags_commune_ms"].append(time.perf_counter() - t0)
        out.update({k: min(v) * 1000 for k, v in best.items()})
        print(f"one commune (31 units), best of 5: latest {out['latest_commune_ms']:.1f} ms, "
              f"flags {out['flags_commune_ms']:.1f} ms")
    await engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="rebuild bench/out/official.db")
    if parser.parse_args().fresh or not DB.exists():
        t0 = time.perf_counter()
        generate()
        print(f"generation took {time.perf_counter() - t0:.0f} s", flush=True)
        os.execv(sys.executable, [sys.executable, __file__])  # RSS of the measuring only
    figures = asyncio.run(measure())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + " ".join(f"{k}={v:.2f}" if k.endswith("_s") else f"{k}={v:.1f}"
                               for k, v in figures.items()) + f" rss_mb={rss:.0f}")


if __name__ == "__main__":
    main()
