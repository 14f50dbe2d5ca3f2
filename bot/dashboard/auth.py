"""Who is looking: the signed session cookie, and which units they may see.

The cookie holds a random session token and its HMAC; the token is stored only hashed
(models/web_access.py), so the signature turns a forged or tampered cookie away before
the database is asked.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import WebSettings
from models.members import Member
from models.units import Unit, is_within
from models.web_access import SESSION_HOURS, session_member

log = logging.getLogger(__name__)

COOKIE = "hamletbot_web"


class Signer:
    def __init__(self, settings: WebSettings) -> None:
        secret = settings.session_secret()
        if secret is None:
            log.info("web: %s is not set; dashboard sessions end when the bot restarts",
                     settings.session_secret_env)
        self._key = (secret or secrets.token_hex(32)).encode()

    def _mac(self, token: str) -> str:
        digest = hmac.new(self._key, token.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def sign(self, token: str) -> str:
        return f"{token}.{self._mac(token)}"

    def unsign(self, value: str) -> str | None:
        token, _, mac = value.rpartition(".")
        return token if token and hmac.compare_digest(mac, self._mac(token)) else None


def set_session_cookie(response: web.StreamResponse, value: str, *, secure: bool) -> None:
    # Lax, not Strict: the link is opened from the chat app, a cross-site navigation, and
    # the redirect that follows the sign-in must carry the cookie.
    response.set_cookie(COOKIE, value, max_age=SESSION_HOURS * 3600, path="/web",
                        httponly=True, samesite="Lax", secure=secure)


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/web")


def session_token(request: web.Request, signer: Signer) -> str | None:
    value = request.cookies.get(COOKIE)
    return signer.unsign(value) if value else None


@dataclass(frozen=True)
class Viewer:
    member: Member
    token: str


async def viewer_of(request: web.Request, signer: Signer, *, now, session: AsyncSession
                    ) -> Viewer | None:
    token = session_token(request, signer)
    if token is None:
        return None
    member = await session_member(token, now=now, session=session)
    return Viewer(member, token) if member else None


async def may_see(member: Member, unit: Unit, *, session: AsyncSession) -> bool:
    """Admins see every unit; coordinators and staff their own unit and what lies below."""
    return member.role == "admin" or await is_within(unit.id, member.unit_id, session=session)
