"""/web: a one-time link that opens the web dashboard of my unit in a browser."""
from __future__ import annotations

from handlers.context import Context
from handlers.types import Incoming, Reply
from models.web_access import LINK_MINUTES, create_link

LOGIN_PATH = "/web/login/"


async def web_link(msg: Incoming, ctx: Context) -> list[Reply]:
    """/web: a link to the dashboard of my unit, for one use within 15 minutes (members, in
    a private chat only: the link opens the sender's own session)."""
    if not ctx.web_url:
        return ctx.reply("web/not_configured.j2")
    token = await create_link(ctx.member, now=ctx.now, session=ctx.session)
    return ctx.reply("web/link.j2", url=ctx.web_url + LOGIN_PATH + token,
                     minutes=LINK_MINUTES)
