"""The web dashboard through aiohttp's test client: one-time links, the session cookie,
who may see which unit, expiry on the fake clock, every page, and the downloads."""
from __future__ import annotations

import asyncio
import csv
import io
import re

import pytest
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import select

from bot.config import WebSettings
from bot.dashboard import add_dashboard
from bot.web import make_web_app
from models.ledger import Report
from models.units import subtree_ids, unit_by_code
from tests.conftest import Person, add_member

PUBLIC = "https://bot.example.vn"


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"web": WebSettings(public_url=PUBLIC)})


@pytest.fixture
async def client(demo):
    web_app = make_web_app()
    add_dashboard(web_app, demo)
    async with TestClient(TestServer(web_app, host="127.0.0.1")) as client:
        yield client


async def link_of(person: Person) -> str:
    """The path of the one-time link that /web answers with."""
    text = await person.say("/web")
    found = re.search(re.escape(PUBLIC) + r"(/web/login/\S+)", text)
    assert found, text
    return found[1]


async def sign_in(client, person: Person) -> dict[str, str]:
    response = await client.post(await link_of(person), allow_redirects=False)
    assert response.status == 303
    cookie = response.cookies["hamletbot_web"]
    return {"Cookie": f"hamletbot_web={cookie.value}"}


async def page(client, path: str, cookie: dict[str, str]) -> tuple[int, str]:
    response = await client.get(path, headers=cookie, allow_redirects=False)
    return response.status, await response.text()


async def test_web_answers_with_a_link_in_private_only(coordinator, staff, stranger):
    text = await coordinator.say("/web")
    assert f"{PUBLIC}/web/login/" in text and "một lần, trong 15 phút" in text
    assert "tin nhắn riêng" in await coordinator.in_group("g-1").say("/web")
    assert "chưa tham gia" in await stranger.say("/web")
    assert f"{PUBLIC}/web/login/" in await staff.say("/trangweb")


async def test_without_public_url_web_says_so(demo, clock, settings):
    from bot.app import running_app
    bare = settings.model_copy(update={"web": WebSettings()})
    async with running_app(bare, clock=clock) as app:
        await add_member(app, "u-c", "coordinator", "LM")
        assert "chưa được bật" in await Person(app, clock, "u-c").say("/web")


async def test_sign_in_sets_a_safe_cookie_and_lands_on_the_home_unit(client, coordinator):
    path = await link_of(coordinator)
    form = await client.get(path)  # a chat app's link preview: shows a button, spends nothing
    assert form.status == 200 and "Vào bảng theo dõi" in await form.text()
    response = await client.post(path, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/web/u/LM"
    header = response.headers["Set-Cookie"]
    for flag in ("HttpOnly", "SameSite=Lax", "Secure", "Max-Age=28800", "Path=/web"):
        assert flag in header, header


async def test_a_link_opens_once(client, coordinator):
    path = await link_of(coordinator)
    assert (await client.post(path, allow_redirects=False)).status == 303
    again = await client.post(path, allow_redirects=False)
    assert again.status == 403 and "đã được dùng hoặc đã hết hạn" in await again.text()
    assert (await client.post("/web/login/made-up", allow_redirects=False)).status == 403


async def test_a_link_races_with_itself_and_opens_once(client, coordinator):
    path = await link_of(coordinator)
    answers = await asyncio.gather(*(client.post(path, allow_redirects=False)
                                     for _ in range(8)))
    assert sorted(r.status for r in answers) == [303] + [403] * 7


async def test_a_link_expires_after_15_minutes(client, coordinator, clock):
    fresh = await link_of(coordinator)
    stale = await link_of(coordinator)
    clock.advance(minutes=14)
    assert (await client.post(fresh, allow_redirects=False)).status == 303
    clock.advance(minutes=2)
    assert (await client.post(stale, allow_redirects=False)).status == 403


async def test_a_session_ends_after_8_hours(client, coordinator, clock):
    cookie = await sign_in(client, coordinator)
    clock.advance(hours=7, minutes=59)
    assert (await page(client, "/web/u/LM", cookie))[0] == 200
    clock.advance(minutes=2)
    status, text = await page(client, "/web/u/LM", cookie)
    assert status == 401 and "phiên xem đã hết hạn" in text


async def test_logout_ends_the_session(client, coordinator):
    cookie = await sign_in(client, coordinator)
    response = await client.post("/web/logout", headers=cookie)
    assert response.status == 200 and "Đã đăng xuất" in await response.text()
    assert (await page(client, "/web/u/LM", cookie))[0] == 401


async def test_a_forged_or_missing_cookie_opens_nothing(client, coordinator):
    cookie = await sign_in(client, coordinator)
    token, _, mac = cookie["Cookie"].partition("=")[2].rpartition(".")
    other = "A" if mac[0] != "A" else "B"
    for value in (f"{token}.{other}{mac[1:]}", f"other.{mac}", token, ""):
        assert (await page(client, "/web/u/LM", {"Cookie": f"hamletbot_web={value}"}))[0] == 401
    assert (await page(client, "/web/u/LM", {}))[0] == 401


async def test_a_member_who_left_is_signed_out(client, coordinator):
    cookie = await sign_in(client, coordinator)
    async with coordinator.app.sessions() as session:
        from models.members import member_of
        member = await member_of("console", "u-coord", session=session)
        member.active = False
        session.add(member)
        await session.commit()
    assert (await page(client, "/web/u/LM", cookie))[0] == 401


@pytest.mark.parametrize("role,home,allowed,refused", [
    ("staff", "LM-KV1", ["LM-KV1"], ["LM", "LM-KV2", "CT", "OM-TH"]),
    ("coordinator", "LM", ["LM", "LM-KV2"], ["CT", "OM", "OM-TH"]),
    ("coordinator", "CT", ["CT", "OM", "MT-MK"], []),
    ("admin", "LM", ["CT", "OM", "LM-KV3"], []),
])
async def test_every_page_checks_the_subtree(client, demo, clock, role, home, allowed, refused):
    await add_member(demo, "u-x", role, home)
    cookie = await sign_in(client, Person(demo, clock, "u-x"))
    for code in allowed:
        for suffix in ("", "/heatmap", "/board", "/ledger", "/downloads"):
            assert (await page(client, f"/web/u/{code}{suffix}", cookie))[0] == 200, code + suffix
    for code in refused:
        for suffix in ("", "/heatmap", "/board", "/ledger", "/export.xlsx", "/export.csv"):
            status, text = await page(client, f"/web/u/{code}{suffix}", cookie)
            assert status == 403 and "không thuộc phạm vi" in text, code + suffix
    assert (await page(client, "/web/u/NOPE", cookie))[0] == 404


async def ledger_sum(app, code: str, programme: str, year: int) -> int:
    from datetime import date
    async with app.sessions() as session:
        ids = await subtree_ids(await unit_by_code(code, session=session), session=session)
        return (await session.exec(select(func.coalesce(func.sum(Report.count), 0)).where(
            Report.unit_id.in_(ids), Report.programme == programme,
            Report.local_date >= date(year, 1, 1)))).one()


def figure(text: str, name: str) -> int:
    found = re.search(rf'data-figure="{re.escape(name)}">([\d.]+)<', text)
    assert found, name
    return int(found[1].replace(".", ""))


async def test_figures_equal_the_ledger(client, coordinator, staff, clock):
    await staff.say("/dangky 7")
    await staff.say("/bhyt 12")
    await staff.undo()  # the /bhyt entry is reversed
    cookie = await sign_in(client, coordinator)
    for code in ("LM", "LM-KV1"):
        status, text = await page(client, f"/web/u/{code}", cookie)
        assert status == 200
        for programme in ("bhxh_tn", "bhyt"):
            assert figure(text, f"achieved-{programme}") == await ledger_sum(
                coordinator.app, code, programme, 2026)
        _, audit = await page(client, f"/web/u/{code}/ledger?programme=bhxh_tn", cookie)
        assert figure(audit, "ledger-total") == figure(text, "achieved-bhxh_tn")
    _, text = await page(client, "/web/u/LM", cookie)
    assert 'data-figure="completeness">1/1<' in text  # one staffed hamlet, it reported


async def test_pages_render_for_every_level(client, demo, clock):
    await add_member(demo, "u-a", "admin", "CT")
    cookie = await sign_in(client, Person(demo, clock, "u-a"))
    for code in ("CT", "LM", "LM-KV1"):
        for suffix in ("", "/heatmap", "/board", "/board?week=2026-W40", "/ledger",
                       "/ledger?kind=baseline&unit=LM-KV1&from=2026-01-01", "/downloads",
                       "?year=2025"):
            if "unit=LM-KV1" in suffix and code == "LM-KV1":
                continue
            status, text = await page(client, f"/web/u/{code}{suffix}", cookie)
            assert status == 200, code + suffix
            assert "None" not in text and "{{" not in text and 'lang="vi"' in text


@pytest.mark.parametrize("suffix,words", [
    ("?year=abc", "Năm \"abc\" không hợp lệ"), ("?year=2031", "không hợp lệ"),
    ("/board?week=2026-W99", "Tuần \"2026-W99\" không hợp lệ"),
    ("/board?week=2026-W52", "chưa kết thúc"),
    ("/ledger?from=31/12", "Ngày \"31/12\" không hợp lệ"),
    ("/ledger?unit=OM", "không phải một đơn vị trực thuộc"),
])
async def test_bad_input_is_answered_in_vietnamese(client, coordinator, suffix, words):
    cookie = await sign_in(client, coordinator)
    status, text = await page(client, f"/web/u/LM{suffix}", cookie)
    assert status == 400 and words in text


async def test_downloads(client, coordinator, staff):
    await staff.say("/dangky 3")
    cookie = await sign_in(client, coordinator)
    response = await client.get("/web/u/LM/export.xlsx", headers=cookie)
    assert response.status == 200
    assert 'filename="tien-do-LM-2026.xlsx"' in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(await response.read()))
    assert book.worksheets[0]["A2"].value == "LM"
    response = await client.get("/web/u/LM/export.csv?year=2026", headers=cookie)
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Mã đơn vị", "Tên đơn vị", "Cấp"]
    lm = next(r for r in rows if r[0] == "LM" and r[3] == "BHXH tự nguyện")
    assert int(lm[5]) == await ledger_sum(coordinator.app, "LM", "bhxh_tn", 2026)


async def test_static_files_are_served(client):
    assert "table.sortable" in await (await client.get("/web/static/style.css")).text()
    assert (await client.get("/web/static/sort.js")).status == 200


async def test_a_nil_report_counts_as_reported(client, coordinator, staff):
    """`/dangky 0` says the hamlet reported with nobody new: the dashboard agrees with /tiendo."""
    await staff.say("/dangky 0")
    cookie = await sign_in(client, coordinator)
    _, text = await page(client, "/web/u/LM", cookie)
    assert 'data-figure="completeness">1/1<' in text


async def test_an_undone_report_is_not_reported(client, coordinator, staff):
    """A report taken back with /huy leaves the hamlet silent, as /tiendo and /chuabaocao say."""
    await staff.say("/dangky 2")
    await staff.undo()
    assert "chưa báo cáo" in await coordinator.say("/chuabaocao")
    cookie = await sign_in(client, coordinator)
    _, text = await page(client, "/web/u/LM", cookie)
    assert 'data-figure="completeness">0/1<' in text
