"""The monthly report at national scale on SQLite (or PostgreSQL with --db).

Uses bench/leaderboard.py's data (34 provinces, ~3,300 communes, ~100,000 hamlets, 5
million ledger rows over 2026; generated once) with bench/web.py's staff member in every
hamlet, so completeness has hamlets to count, and BHXH's official figures: 12 monthly
snapshots (the last day of each month of 2026) per province and commune and programme,
added once. Then, through the project's code, times
October 2026's report of every unit with units below it (the whole tree's month read
once, every report's figures and rankings built, as the push on the 1st does for its
recipients; rendering them all is timed apart, render_all_s), one commune's completeness
over the month, and reports the peak RSS.

    python bench/monthly.py [--rows 5000000] [--fresh] [--db postgresql://user:pass@host/db]
"""
from __future__ import annotations

import asyncio
import os
import resource
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import leaderboard as data  # noqa: E402  bench/leaderboard.py: the national data set
from web import add_staff  # noqa: E402  bench/web.py: one staff member per hamlet, once

MONTH = (2026, 10)


async def add_extras(url: str) -> None:
    """Staff (bench/web.py's) and the official snapshots, each added once."""
    from bot.db import make_engine, make_sessions

    engine = make_engine(url)
    sessions = make_sessions(engine)
    await add_staff(SimpleNamespace(sessions=sessions))
    await add_official(sessions)
    await engine.dispose()


async def add_official(sessions) -> None:
    from datetime import date, datetime, timezone

    from sqlalchemy import insert
    from sqlmodel import select

    from models.official import OfficialFigure
    from models.units import PROGRAMMES, Unit

    async with sessions() as session:
        if (await session.exec(select(OfficialFigure.id).limit(1))).first() is not None:
            return
        units = list(await session.exec(select(Unit.id).where(Unit.kind != "hamlet")))
        now = datetime(2026, 11, 25, tzinfo=timezone.utc)
        month_ends = [date(2026, m + 1, 1).toordinal() - 1 for m in range(1, 12)] + [
            date(2026, 12, 31).toordinal()]
        await session.exec(insert(OfficialFigure), params=[
            dict(unit_id=uid, programme=p, as_of=date.fromordinal(day), imported_at=now,
                 participants=(uid * 7 + i * 131) % 5000 + 100 * i, imported_by="bench")
            for uid in units for p in PROGRAMMES for i, day in enumerate(month_ends)])
        await session.commit()


async def measure(url: str) -> tuple[float, float, float, float, int]:
    from bot.db import make_engine, make_sessions
    from bot.render import make_renderer
    from handlers.context import Rules
    from handlers.monthly import monthly_reply
    from models.completeness import Deadline, completeness_over
    from models.monthly import Month, month_tree
    from models.units import unit_by_code

    engine = make_engine(url)
    sessions = make_sessions(engine)
    render, month = make_renderer(), Month(*MONTH)
    tz, deadline = ZoneInfo("Asia/Ho_Chi_Minh"), Deadline()
    review = Rules().review_threshold
    async with sessions() as session:
        t0 = time.perf_counter()
        tree = await month_tree(None, month, month.end, deadline=deadline, tz=tz,
                                review_threshold=review, session=session)
        read = built = time.perf_counter() - t0
        rendered, count = 0.0, 0
        for unit_id in tree.tree.children:  # one report at a time, then let go
            t0 = time.perf_counter()
            report = tree.report(unit_id)
            t1 = time.perf_counter()
            monthly_reply(report, render)
            built, rendered = built + t1 - t0, rendered + time.perf_counter() - t1
            count += 1
        all_units = built
        print(f"whole tree's month read in {read:.2f} s, {count} reports built in "
              f"{built - read:.2f} s, and rendered in {rendered:.2f} s", flush=True)
        del tree, report
        unit = await unit_by_code("P17-C042", session=session)
        weeks = month.weeks(month.end)
        one, report = [], []
        for _ in range(5):
            t0 = time.perf_counter()
            await completeness_over([unit], weeks, deadline=deadline, tz=tz, session=session)
            one.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            mt = await month_tree(unit, month, month.end, deadline=deadline, tz=tz,
                                  review_threshold=review, session=session)
            monthly_reply(mt.report(unit.id), render)
            report.append(time.perf_counter() - t0)
    await engine.dispose()
    return all_units, min(one) * 1000, min(report) * 1000, rendered, count


def main() -> None:
    args, url = data.national_args(__doc__)
    prepared = False
    if args.db:
        if args.fresh or asyncio.run(data.postgres_rows(url)) != args.rows:
            asyncio.run(data.generate_postgres(url, args.rows))
            prepared = True
    else:
        url = f"sqlite+aiosqlite:///{data.DB}"
        if args.fresh or not data.DB.exists():
            data.generate(data.DB, args.rows)
            prepared = True
    asyncio.run(add_extras(url))
    if prepared:  # measure in a fresh process: the generator's memory must not count
        os.execv(sys.executable, [sys.executable, __file__,
                                  *(a for a in sys.argv[1:] if a != "--fresh")])
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    all_units, one_unit, one_report, rendered, count = asyncio.run(measure(url))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"database: {'PostgreSQL' if args.db else 'SQLite'}; month {MONTH[1]}/{MONTH[0]}")
    print(f"{count} monthly reports (every unit with units below it) in {all_units:.2f} s; "
          f"one commune's completeness over the month in {one_unit:.1f} ms and its whole "
          f"report in {one_report:.1f} ms (best of 5); peak RSS {rss:.0f} MB "
          f"(before measuring: {rss_before:.0f} MB)")
    print(f"RESULT monthly_all_units_s={all_units:.2f} completeness_one_unit_ms={one_unit:.1f} "
          f"rss_mb={rss:.0f} render_all_s={rendered:.2f}")


if __name__ == "__main__":
    main()
