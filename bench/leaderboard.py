"""Leaderboards at national scale on SQLite.

Generates (once, cached in bench/out/leaderboard.db) 34 provinces, ~3,300 communes, ~100,000
hamlets with targets and 5 million ledger rows over 2026, with the sync sqlite3 module;
then, through the project's code, times every unit's weekly leaderboard (one pass over the
whole tree) and one commune's, and reports the peak RSS.

    python bench/leaderboard.py [--rows 5000000] [--fresh]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sqlite3
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DB = Path(__file__).resolve().parent / "out" / "leaderboard.db"  # bench/out/ is ignored
WEEK = "2026-W47"


def generate(path: Path, rows: int) -> None:
    path.parent.mkdir(exist_ok=True)
    path.unlink(missing_ok=True)
    asyncio.run(_migrate(path))  # the real schema, with the migrations' indexes
    rng = random.Random(1)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    units, targets, hamlets = [], [], []
    uid = 0
    for p in range(34):
        uid += 1
        province = uid
        units.append((province, f"P{p:02}", f"Tỉnh {p:02}", "city", None))
        for c in range(97):
            uid += 1
            commune = uid
            units.append((commune, f"P{p:02}-C{c:03}", f"Xã {p:02}-{c:03}", "commune", province))
            targets.append((commune, "bhxh_tn", 2026, rng.randint(800, 3000)))
            for h in range(30):
                uid += 1
                units.append((uid, f"P{p:02}-C{c:03}-H{h:02}", f"Ấp {h:02}", "hamlet", commune))
                hamlets.append(uid)
                targets.append((uid, "bhxh_tn", 2026, rng.randint(20, 100)))
                targets.append((uid, "bhyt", 2026, rng.randint(500, 3000)))
    con.executemany("INSERT INTO unit (id, code, name, kind, parent_id) VALUES (?,?,?,?,?)", units)
    con.executemany("INSERT INTO target (unit_id, programme, year, value) VALUES (?,?,?,?)",
                    targets)
    start = date(2026, 1, 1).toordinal()
    days = date(2026, 11, 25).toordinal() - start
    now = "2026-11-25 02:00:00.000000"
    batch = []
    for i in range(rows):
        day = date.fromordinal(start + rng.randrange(days)).isoformat()
        batch.append((rng.choice(hamlets), "bhxh_tn" if i % 3 else "bhyt", rng.randint(1, 5),
                      day, now, f"b{i}", "report"))
        if len(batch) == 200_000:
            _insert(con, batch)
            batch = []
    _insert(con, batch)
    con.commit()
    con.execute("ANALYZE")
    con.close()
    print(f"generated {len(units)} units, {len(targets)} targets, {rows} ledger rows",
          flush=True)


def _insert(con: sqlite3.Connection, batch: list) -> None:
    con.executemany("INSERT INTO report (unit_id, programme, count, local_date, created_at, "
                    "source_key, kind) VALUES (?,?,?,?,?,?,?)", batch)


async def _migrate(path: Path) -> None:
    from bot.db import make_engine, migrate
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await migrate(engine)
    await engine.dispose()


async def measure(path: Path) -> tuple[float, float, int]:
    from bot.db import make_engine, make_sessions
    from models.leaderboard import Week, load_tree
    from models.units import unit_by_code

    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    sessions = make_sessions(engine)
    week = Week.parse(WEEK)
    async with sessions() as session:
        t0 = time.perf_counter()
        tree = await load_tree(week, session=session)
        count = sum(1 for _ in tree.boards())  # each board built, then let go
        all_units = time.perf_counter() - t0
        del tree
        unit = await unit_by_code("P17-C042", session=session)
        timings = []
        for _ in range(5):
            t0 = time.perf_counter()
            (await load_tree(week, session=session, root=unit)).board(unit.id)
            timings.append(time.perf_counter() - t0)
    await engine.dispose()
    return all_units, min(timings) * 1000, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--fresh", action="store_true", help="regenerate the data")
    args = parser.parse_args()
    if args.fresh or not DB.exists():
        t0 = time.perf_counter()
        generate(DB, args.rows)
        print(f"generation took {time.perf_counter() - t0:.0f} s", flush=True)
        # measure in a fresh process: the generator's memory must not count as peak RSS
        os.execv(sys.executable, [sys.executable, __file__])
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    all_units, one_unit, count = asyncio.run(measure(DB))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{count} boards (every unit with children) in {all_units:.2f} s; one commune's "
          f"board in {one_unit:.1f} ms (best of 5); peak RSS {rss:.0f} MB "
          f"(before measuring: {rss_before:.0f} MB)")
    print(f"RESULT all_units_s={all_units:.2f} one_unit_ms={one_unit:.1f} rss_mb={rss:.0f}")


if __name__ == "__main__":
    main()
