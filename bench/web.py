"""The web dashboard at national scale: a commune's page and a city's page, on SQLite (or
PostgreSQL with --db).

The data is bench/leaderboard.py's (34 provinces, ~3,300 communes, ~100,000 hamlets, 5
million ledger rows over 2026; generated once and cached), plus one staff member per hamlet
so the reporting completeness has hamlets to count. An admin opens a one-time link, then
each overview page (figures, children, this week's completeness, trend charts) is fetched
over HTTP from the bot's aiohttp app, best of 5 after one warm-up.

    python bench/web.py [--rows 5000000] [--fresh] [--db postgresql://user:pass@host/db]
"""
from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime, timezone

import leaderboard as data  # bench/leaderboard.py: the national data set and its generator

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)  # Wednesday of data.WEEK + 1
PAGES = {"commune": "/web/u/P17-C042", "city": "/web/u/P17"}


async def add_staff(app) -> None:
    """One staff member per hamlet, once."""
    from sqlalchemy import insert
    from sqlmodel import select

    from models.members import Member
    from models.units import Unit

    async with app.sessions() as session:
        if (await session.exec(select(Member.id).limit(1))).first() is not None:
            return
        hamlets = list(await session.exec(select(Unit.id).where(Unit.kind == "hamlet")))
        await session.exec(insert(Member), params=[
            dict(platform="bench", user_id=f"s{uid}", display_name=f"Cán bộ {uid}",
                 role="staff", unit_id=uid, active=True, joined_at=NOW) for uid in hamlets])
        await session.commit()


async def admin_link(app) -> str:
    from models.members import Member, member_of
    from models.units import unit_by_code
    from models.web_access import create_link

    async with app.sessions() as session:
        admin = await member_of("bench", "admin", session=session)
        if admin is None:
            unit = await unit_by_code("P17", session=session)
            admin = Member(platform="bench", user_id="admin", display_name="Quản trị",
                           role="admin", unit_id=unit.id)
            session.add(admin)
            await session.flush()
        token = await create_link(admin, now=NOW, session=session)
        await session.commit()
        return token


async def measure(url: str) -> dict[str, float]:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.app import running_app
    from bot.config import Settings
    from bot.dashboard import add_dashboard
    from bot.web import make_web_app

    settings = Settings.model_validate({"database": {"url": url}})
    async with running_app(settings, clock=lambda: NOW) as app:
        await add_staff(app)
        web_app = make_web_app()
        add_dashboard(web_app, app)
        async with TestClient(TestServer(web_app, host="127.0.0.1")) as client:
            signed_in = await client.post(f"/web/login/{await admin_link(app)}",
                                          allow_redirects=False)
            cookie = {"Cookie": f"hamletbot_web={signed_in.cookies['hamletbot_web'].value}"}
            best = {}
            for name, path in PAGES.items():
                timings = []
                for _ in range(6):
                    t0 = time.perf_counter()
                    response = await client.get(path, headers=cookie)
                    body = await response.text()
                    timings.append(time.perf_counter() - t0)
                    assert response.status == 200 and "Đã đạt" in body, response.status
                best[name] = min(timings[1:]) * 1000
                print(f"{name} page {path}: {len(body) // 1024} KB, best of 5 "
                      f"{best[name]:.0f} ms (first {timings[0] * 1000:.0f} ms)", flush=True)
    return best


def main() -> None:
    args, url = data.national_args(__doc__)
    if args.db:
        if args.fresh or asyncio.run(data.postgres_rows(url)) != args.rows:
            asyncio.run(data.generate_postgres(url, args.rows))
    else:
        url = f"sqlite+aiosqlite:///{data.DB}"
        if args.fresh or not data.DB.exists():
            data.generate(data.DB, args.rows)
    best = asyncio.run(measure(url))
    print(f"database: {'PostgreSQL' if args.db else 'SQLite'}; targets: commune < 200 ms, "
          f"city < 1000 ms")
    print(f"RESULT commune_page_ms={best['commune']:.0f} city_page_ms={best['city']:.0f}")


if __name__ == "__main__":
    sys.exit(main())
