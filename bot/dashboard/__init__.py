"""The read-only web dashboard for steering committees, and its JSON feed.

`add_dashboard(web_app, app)` adds every route to the bot's aiohttp server: pages under
/web/ (signed in with a one-time link from /web in the chat), static files under
/web/static/, the feed under /api/v1/.
"""
from __future__ import annotations

from aiohttp import web

from bot.app import App
from bot.dashboard import pages
from bot.dashboard.api import add_api
from bot.dashboard.site import STATIC_DIR, Site, unit_page


def add_dashboard(web_app: web.Application, app: App) -> None:
    site = Site(app)
    router = web_app.router
    router.add_get("/web", site.home)
    router.add_get("/web/login/{token}", site.login_form)
    router.add_post("/web/login/{token}", site.login)
    router.add_post("/web/logout", site.logout)
    router.add_static("/web/static", STATIC_DIR)
    for suffix, handler in (("", pages.overview), ("/heatmap", pages.reporting),
                            ("/board", pages.board), ("/ledger", pages.ledger),
                            ("/downloads", pages.downloads), ("/export.xlsx", pages.xlsx),
                            ("/export.csv", pages.summary_csv)):
        router.add_get("/web/u/{code}" + suffix, unit_page(site, handler))
    add_api(web_app, site)
