"""The JSON feed for the city's own systems: /api/v1/units/{code}/progress and /children.

Bearer tokens belong to admins (`hamletbot token create`); figures come from the same
views as the pages. Errors are machine-readable codes, not sentences.
"""
from __future__ import annotations

from aiohttp import web

from bot.dashboard.site import Site
from bot.dashboard.views import Row, as_of, rows, year_tree
from models.units import unit_by_code
from models.web_access import token_member


def _error(code: str, status: int) -> web.Response:
    return web.json_response({"error": code}, status=status,
                             headers={"Cache-Control": "no-store"})


def _row(row: Row) -> dict:
    c = row.completeness
    return {"code": row.unit.code, "name": row.unit.name, "kind": row.unit.kind,
            "programmes": {p: {"achieved": f.achieved, "target": f.target, "ratio": f.ratio,
                               "gain_this_week": f.gain, "needed_per_week": f.needed_per_week,
                               "projected": f.projected}
                           for p, f in row.figures.items()},
            "completeness": {"reported": c.reported, "staffed": c.staffed}}


def add_api(web_app: web.Application, site: Site) -> None:
    async def serve(request: web.Request, with_children: bool) -> web.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        today = site.today()
        typed = request.query.get("year", str(today.year))
        if not (typed.isascii() and typed.isdigit() and 2000 <= int(typed[:5]) <= today.year):
            return _error("bad_year", 400)
        async with site.app.sessions() as session:
            member = (await token_member(token.strip(), session=session)
                      if scheme.lower() == "bearer" and token else None)
            if member is None:
                return _error("unauthorized", 401)
            unit = await unit_by_code(request.match_info["code"][:64].upper(), session=session)
            if unit is None:
                return _error("unknown_unit", 404)
            year = int(typed)
            tree = await year_tree(unit, year, today, session=session)
            own, children = await rows(tree, unit.id, session=session)
        body = {"year": year, "as_of": as_of(year, today).isoformat(), "unit": _row(own)}
        if with_children:
            body["children"] = [_row(child) for child in children]
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    async def progress(request: web.Request) -> web.Response:
        return await serve(request, with_children=False)

    async def children(request: web.Request) -> web.Response:
        return await serve(request, with_children=True)

    web_app.router.add_get("/api/v1/units/{code}/progress", progress)
    web_app.router.add_get("/api/v1/units/{code}/children", children)
