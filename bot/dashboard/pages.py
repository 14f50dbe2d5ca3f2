"""The pages of one unit: overview (with children and trend), reporting heatmap, weekly
leaderboard, the ledger, and downloads."""
from __future__ import annotations

import asyncio
import csv
import io
from datetime import date

from aiohttp import web

from bot.dashboard.charts import trend
from bot.dashboard.site import BadInput, PageContext
from bot.dashboard.views import as_of, heatmap, path_to, rows, weekly_totals, year_tree
from handlers.export import depth_first, export_workbook, file_name
from models.base import as_utc
from models.dashboard import LedgerFilter, ledger_page
from models.leaderboard import board as ranked
from models.ledger import ENTRY_KINDS
from models.rollup import rollup
from models.units import PROGRAMMES, subtree_ids, unit_by_code
from models.weeks import Week

LEDGER_PAGE = 50


def _year(ctx: PageContext) -> int:
    typed = ctx.request.query.get("year", "")
    if not typed:
        return ctx.today.year
    if not (typed.isascii() and typed.isdigit() and 2000 <= int(typed[:5]) <= ctx.today.year):
        raise BadInput("bad_year", typed)
    return int(typed)


def _day(ctx: PageContext, key: str, default: date) -> date:
    typed = ctx.request.query.get(key, "")
    try:
        return date.fromisoformat(typed) if typed else default
    except ValueError:
        raise BadInput("bad_date", typed) from None


async def _page(ctx: PageContext, template: str, section: str, year: int, **data) -> web.Response:
    top = None if ctx.member.role == "admin" else ctx.member.unit_id
    path = await path_to(ctx.unit, top, session=ctx.session)
    return ctx.site.html(template, viewer=ctx.member, unit=ctx.unit, path=path, section=section,
                         year=year, today=ctx.today, as_of=as_of(year, ctx.today),
                         programmes=PROGRAMMES, **data)


async def overview(ctx: PageContext) -> web.Response:
    year = _year(ctx)
    tree = await year_tree(ctx.unit, year, ctx.today, session=ctx.session)
    async with ctx.site.app.sessions() as other:  # the two reads run side by side
        (own, children), (ends, series) = await asyncio.gather(
            rows(tree, ctx.unit.id, session=ctx.session), weekly_totals(tree, session=other))
    charts = {p: trend(ends, series[p], own.figures[p].target) for p in PROGRAMMES}
    return await _page(ctx, "overview.html", "overview", year, own=own, children=children,
                       charts=charts, week=tree.week)


async def reporting(ctx: PageContext) -> web.Response:
    year = _year(ctx)
    tree = await year_tree(ctx.unit, year, ctx.today, session=ctx.session)
    weeks, heat = await heatmap(tree, ctx.unit.id, session=ctx.session)
    return await _page(ctx, "heatmap.html", "heatmap", year, weeks=weeks, heat=heat)


async def board(ctx: PageContext) -> web.Response:
    last = Week.containing(ctx.today).previous()
    typed = ctx.request.query.get("week", "")
    try:
        week = Week.parse(typed) if typed else last
    except ValueError:
        raise BadInput("bad_week", typed) from None
    if week.start > ctx.today or week.year < 2000:
        raise BadInput("bad_week", typed)
    figures = await rollup(ctx.unit, week.end, session=ctx.session)
    return await _page(ctx, "board.html", "board", week.year,
                       board=ranked(figures, ctx.unit.id), week=week, last=last)


async def ledger(ctx: PageContext) -> web.Response:
    query = ctx.request.query
    year = _year(ctx)
    wanted = LedgerFilter(_day(ctx, "from", date(year, 1, 1)),
                          _day(ctx, "to", as_of(year, ctx.today)),
                          query.get("programme") if query.get("programme") in PROGRAMMES else None,
                          query.get("kind") if query.get("kind") in ENTRY_KINDS else None)
    scope = await subtree_ids(ctx.unit, session=ctx.session)
    below = query.get("unit", "").strip().upper()[:64]
    if below:
        sub = await unit_by_code(below, session=ctx.session)
        if sub is None or sub.id not in scope:
            raise BadInput("not_below", below)
        scope = await subtree_ids(sub, session=ctx.session)
    page = int(query["page"]) if query.get("page", "").isdigit() else 1
    entries, count, total = await ledger_page(scope, wanted, offset=(page - 1) * LEDGER_PAGE,
                                              limit=LEDGER_PAGE, session=ctx.session)
    tz = ctx.site.app.tz
    shown = [(e, name, who, as_utc(e.created_at).astimezone(tz)) for e, name, who in entries]
    return await _page(ctx, "ledger.html", "ledger", year, entries=shown, count=count,
                       total=total, wanted=wanted, below=below, page=page,
                       pages=max(1, -(-count // LEDGER_PAGE)), kinds=ENTRY_KINDS)


async def downloads(ctx: PageContext) -> web.Response:
    return await _page(ctx, "downloads.html", "downloads", _year(ctx))


async def xlsx(ctx: PageContext) -> web.Response:
    """The file /xuat sends, built by the same code."""
    year = _year(ctx)
    app = ctx.site.app
    data = await export_workbook(ctx.unit, year, today=ctx.today, tz=app.tz,
                                 session=ctx.session, render=app.render)
    return _file(data, file_name(ctx.unit, year),
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


async def summary_csv(ctx: PageContext) -> web.Response:
    """One row per unit of the subtree and programme, as the first sheet of the XLSX."""
    year = _year(ctx)
    render = ctx.site.app.render
    tree = await year_tree(ctx.unit, year, ctx.today, session=ctx.session)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(render("web/csv_columns.j2").splitlines())
    for uid in depth_first(tree):
        info = tree.units[uid]
        for programme, f in tree.figures(uid).items():
            writer.writerow([info.code, info.name, render("export/level.j2", kind=info.kind),
                             render("export/programme.j2", programme=programme),
                             f.target if f.target is not None else "", f.achieved,
                             f"{f.ratio:.4f}" if f.ratio is not None else "", f.gain,
                             f.needed_per_week if f.needed_per_week is not None else "",
                             f.projected])
    # A byte order mark: Excel opens UTF-8 CSV with Vietnamese letters intact only with it.
    data = ("\ufeff" + out.getvalue()).encode("utf-8")
    return _file(data, file_name(ctx.unit, year).replace(".xlsx", ".csv"), "text/csv")


def _file(data: bytes, name: str, content_type: str) -> web.Response:
    return web.Response(body=data, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
