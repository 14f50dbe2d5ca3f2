"""Files served by link (Zalo exports): only under their own name, which reaches the
Content-Disposition header escaped (RFC 6266 / RFC 5987), never as raw header text."""
from __future__ import annotations

from urllib.parse import unquote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.images import ImageStore
from tests.conftest import FakeClock

PUBLIC = "https://bot.example.vn"


@pytest.fixture
async def store():
    images = ImageStore(PUBLIC, clock=FakeClock())
    web_app = web.Application()
    images.add_routes(web_app)
    async with TestClient(TestServer(web_app, host="127.0.0.1")) as client:
        yield images, client


@pytest.mark.parametrize("name", ['tien-do-LM-2026.xlsx', 'Tiến độ "Ấp 1"; x=y.xlsx',
                                  'a\\b%22.xlsx'])
async def test_a_file_is_served_under_its_escaped_name(store, name):
    images, client = store
    url = images.publish_file(name, b"PK data")
    response = await client.get(url.removeprefix(PUBLIC))
    assert response.status == 200 and await response.read() == b"PK data"
    header = response.headers["Content-Disposition"]
    plain, extended = header.split("; filename*=UTF-8''")
    assert plain.startswith('attachment; filename="') and plain.count('"') == 2
    assert unquote(extended) == name and '"' not in extended and ";" not in extended


async def test_another_name_in_the_url_is_not_found(store):
    images, client = store
    url = images.publish_file("lm.xlsx", b"PK data")
    token = url.split("/")[-2]
    response = await client.get(f'/file/{token}/x";%20filename=evil.exe')
    assert response.status == 404
