"""Leaderboards at national scale on SQLite (or PostgreSQL with --db).

Generates (once, cached in bench/out/leaderboard.db) 34 provinces, ~3,300 communes, ~100,000
hamlets with targets and 5 million ledger rows over 2026, with the sync sqlite3 module;
then, through the project's code, times every unit's weekly leaderboard (one pass over the
whole tree) and one commune's, and reports the peak RSS.

    python bench/leaderboard.py [--rows 5000000] [--fresh] [--db postgresql://user:pass@host/db]
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
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DB = Path(__file__).resolve().parent / "out" / "leaderboard.db"  # bench/out/ is ignored
WEEK = "2026-W47"


def tree(rng: random.Random) -> tuple[list, list, list]:
    """34 provinces × 97 communes × 30 hamlets, with targets."""
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
    return units, targets, hamlets


def ledger(rng: random.Random, hamlets: list[int], rows: int):
    """(unit_id, programme, count, local_date, source_key, kind) over 2026 to 25 November."""
    start = date(2026, 1, 1).toordinal()
    days = date(2026, 11, 25).toordinal() - start
    for i in range(rows):
        yield (rng.choice(hamlets), "bhxh_tn" if i % 3 else "bhyt", rng.randint(1, 5),
               date.fromordinal(start + rng.randrange(days)), f"b{i}", "report")


def generate(path: Path, rows: int) -> None:
    path.parent.mkdir(exist_ok=True)
    path.unlink(missing_ok=True)
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))  # the real schema and indexes
    rng = random.Random(1)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    units, targets, hamlets = tree(rng)
    con.executemany("INSERT INTO unit (id, code, name, kind, parent_id) VALUES (?,?,?,?,?)", units)
    con.executemany("INSERT INTO target (unit_id, programme, year, value) VALUES (?,?,?,?)",
                    targets)
    now = "2026-11-25 02:00:00.000000"
    batch = []
    for unit, programme, count, day, key, kind in ledger(rng, hamlets, rows):
        batch.append((unit, programme, count, day.isoformat(), now, key, kind))
        if len(batch) == 200_000:
            _insert(con, batch)
            batch = []
    _insert(con, batch)
    con.commit()
    con.execute("ANALYZE")
    con.close()
    print(f"generated {len(units)} units, {len(targets)} targets, {rows} ledger rows",
          flush=True)


async def generate_postgres(url: str, rows: int) -> None:
    """The same data into PostgreSQL (emptied first), with COPY."""
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    con = await asyncpg.connect(dsn)
    await con.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    await con.close()
    await _migrate(url)
    rng = random.Random(1)
    units, targets, hamlets = tree(rng)
    now = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
    con = await asyncpg.connect(dsn)
    await con.copy_records_to_table("unit", records=units,
                                    columns=["id", "code", "name", "kind", "parent_id"])
    await con.copy_records_to_table("target", records=targets,
                                    columns=["unit_id", "programme", "year", "value"])
    await con.copy_records_to_table(
        "report", records=((u, p, c, d, now, k, kind) for u, p, c, d, k, kind
                           in ledger(rng, hamlets, rows)),
        columns=["unit_id", "programme", "count", "local_date", "created_at", "source_key",
                 "kind"])
    await con.execute("SELECT setval('unit_id_seq', (SELECT max(id) FROM unit)); ANALYZE")
    await con.close()
    print(f"generated {len(units)} units, {len(targets)} targets, {rows} ledger rows",
          flush=True)


async def postgres_rows(url: str) -> int:
    import asyncpg
    try:
        con = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    except Exception:
        return 0
    try:
        return await con.fetchval("SELECT count(*) FROM report")
    except asyncpg.UndefinedTableError:
        return 0
    finally:
        await con.close()


def _insert(con: sqlite3.Connection, batch: list) -> None:
    con.executemany("INSERT INTO report (unit_id, programme, count, local_date, created_at, "
                    "source_key, kind) VALUES (?,?,?,?,?,?,?)", batch)


async def _migrate(url: str) -> None:
    from bot.db import make_engine, migrate
    engine = make_engine(url)
    await migrate(engine)
    await engine.dispose()


async def measure(url: str) -> tuple[float, float, int]:
    from bot.db import make_engine, make_sessions
    from models.leaderboard import Week, board, boards
    from models.rollup import rollup
    from models.units import unit_by_code

    engine = make_engine(url)
    sessions = make_sessions(engine)
    week = Week.parse(WEEK)
    async with sessions() as session:
        t0, cpu = time.perf_counter(), time.process_time()
        tree = await rollup(None, week.end, session=session)
        count = sum(1 for _ in boards(tree))  # each board built, then let go
        all_units, cpu = time.perf_counter() - t0, time.process_time() - cpu
        del tree
        unit = await unit_by_code("P17-C042", session=session)
        timings = []
        for _ in range(5):
            t0 = time.perf_counter()
            board(await rollup(unit, week.end, session=session), unit.id)
            timings.append(time.perf_counter() - t0)
    await engine.dispose()
    return all_units, min(timings) * 1000, count, cpu


def national_args(doc: str) -> tuple[argparse.Namespace, str]:
    """The options of the benches on the national data set, and the PostgreSQL URL ("" for
    the SQLite file)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--fresh", action="store_true", help="regenerate the data")
    parser.add_argument("--db", default="", help="a PostgreSQL URL (postgresql://user:pass@host/db)"
                        " to run on instead of the SQLite file; its schema is replaced")
    args = parser.parse_args()
    return args, args.db.replace("postgresql://", "postgresql+asyncpg://", 1)


def main() -> None:
    args, url = national_args(__doc__)
    if args.db:
        if args.fresh or asyncio.run(postgres_rows(url)) != args.rows:
            t0 = time.perf_counter()
            asyncio.run(generate_postgres(url, args.rows))
            print(f"generation took {time.perf_counter() - t0:.0f} s", flush=True)
            os.execv(sys.executable, [sys.executable, __file__, "--db", args.db,
                                      "--rows", str(args.rows)])
    else:
        url = f"sqlite+aiosqlite:///{DB}"
    if not args.db and (args.fresh or not DB.exists()):
        t0 = time.perf_counter()
        generate(DB, args.rows)
        print(f"generation took {time.perf_counter() - t0:.0f} s", flush=True)
        # measure in a fresh process: the generator's memory must not count as peak RSS
        os.execv(sys.executable, [sys.executable, __file__])
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    all_units, one_unit, count, cpu = asyncio.run(measure(url))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"database: {'PostgreSQL' if args.db else 'SQLite'}")
    print(f"{count} boards (every unit with children) in {all_units:.2f} s; one commune's "
          f"board in {one_unit:.1f} ms (best of 5); peak RSS {rss:.0f} MB "
          f"(before measuring: {rss_before:.0f} MB)")
    # this process's CPU time for all units (the database's is not in it): steadier than
    # the elapsed time on a shared machine
    print(f"RESULT all_units_s={all_units:.2f} one_unit_ms={one_unit:.1f} rss_mb={rss:.0f} "
          f"all_units_cpu_s={cpu:.2f}")


if __name__ == "__main__":
    main()
