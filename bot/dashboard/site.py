"""The dashboard's shared machinery: HTML rendering, the sign-in pages, and `unit_page`,
which resolves the viewer and the unit, checks the subtree, and renders a page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any, Awaitable, Callable

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import App
from bot.dashboard.auth import (Signer, clear_session_cookie, may_see, session_token,
                                set_session_cookie, viewer_of)
from bot.render import TEMPLATES_DIR, num, pct, vdate
from models.members import Member
from models.units import Unit, unit_by_code
from models.web_access import consume_link, end_session, open_session

STATIC_DIR = Path(__file__).resolve().parent / "static"  # package data: CSS and JS
HEADERS = {  # pages carry a unit's figures and names: never cached, framed or referred
    "Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; style-src 'self'; img-src 'self' data:",
}


def make_html_environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), undefined=StrictUndefined,
                      autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=num, pct=pct, date=vdate)
    return env


class Site:
    def __init__(self, app: App) -> None:
        self.app = app
        self.env = make_html_environment()
        self.signer = Signer(app.settings.web)
        self.secure = app.settings.web.public_url.startswith("https://")

    def today(self) -> date:
        return self.app.clock().astimezone(self.app.tz).date()

    def html(self, template: str, status: int = 200, **data: Any) -> web.Response:
        body = self.env.get_template(f"web/{template}").render(**data)
        return web.Response(text=body, status=status, content_type="text/html",
                            charset="utf-8", headers=HEADERS)

    def message(self, name: str, status: int, **data: Any) -> web.Response:
        """A page with one message (templates/web/message.html picks the sentence)."""
        return self.html("message.html", status, name=name, viewer=None, **data)

    # --- signing in and out ---------------------------------------------------------------

    async def login_form(self, request: web.Request) -> web.Response:
        # Opening the link only shows a button: chat apps fetch links for their previews,
        # and such a fetch must not spend it.
        return self.html("login.html", viewer=None, token=request.match_info["token"])

    async def login(self, request: web.Request) -> web.Response:
        now = self.app.clock()
        async with self.app.sessions() as session:
            member_id = await consume_link(request.match_info["token"][:100], now=now,
                                           session=session)
            if member_id is None:
                return self.message("link_spent", 403)
            token = await open_session(member_id, now=now, session=session)
            home = await session.get(Unit, (await session.get(Member, member_id)).unit_id)
            await session.commit()
        response = web.Response(status=303, headers={"Location": f"/web/u/{home.code}"})
        set_session_cookie(response, self.signer.sign(token), secure=self.secure)
        return response

    async def logout(self, request: web.Request) -> web.Response:
        token = session_token(request, self.signer)
        if token:
            async with self.app.sessions() as session:
                await end_session(token, now=self.app.clock(), session=session)
                await session.commit()
        response = self.message("logged_out", 200)
        clear_session_cookie(response)
        return response

    async def home(self, request: web.Request) -> web.Response:
        async with self.app.sessions() as session:
            viewer = await viewer_of(request, self.signer, now=self.app.clock(),
                                     session=session)
            if viewer is None:
                return self.message("signed_out", 401)
            home = await session.get(Unit, viewer.member.unit_id)
        raise web.HTTPSeeOther(f"/web/u/{home.code}")


class BadInput(Exception):
    """A query parameter the page cannot use; the page says which (templates/web/message)."""

    def __init__(self, name: str, typed: str) -> None:
        super().__init__(name)
        self.name, self.typed = name, typed[:30]


@dataclass
class PageContext:
    request: web.Request
    site: Site
    session: AsyncSession
    member: Member
    unit: Unit
    today: date


PageHandler = Callable[[PageContext], Awaitable[web.StreamResponse]]


def unit_page(site: Site, handler: PageHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Every page of a unit: a live session, a known unit, inside the viewer's subtree;
    a bad query parameter is answered with a page that names it."""

    @wraps(handler)
    async def serve(request: web.Request) -> web.StreamResponse:
        async with site.app.sessions() as session:
            viewer = await viewer_of(request, site.signer, now=site.app.clock(),
                                     session=session)
            if viewer is None:
                return site.message("signed_out", 401)
            unit = await unit_by_code(request.match_info["code"][:64].upper(), session=session)
            if unit is None:
                return site.message("unknown_unit", 404, code=request.match_info["code"][:30])
            if not await may_see(viewer.member, unit, session=session):
                return site.message("outside", 403, code=unit.code)
            try:
                return await handler(PageContext(request, site, session, viewer.member, unit,
                                                 site.today()))
            except BadInput as bad:
                return site.message(bad.name, 400, typed=bad.typed, unit=unit)

    return serve
