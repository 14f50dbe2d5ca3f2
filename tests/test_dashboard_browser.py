"""The dashboard in a real browser: headless Chromium from the Debian package, driven by
Playwright (.ci/run installs both). A coordinator opens a /web link, sees the city's
overview, drills down two levels, checks the figures against the ledger, sorts a table and
takes screenshots; a second user cannot open another subtree's page or a spent link.

Screenshots go to a temporary folder; with HAMLETBOT_SCREENSHOTS=docs/screenshots they
replace the ones README shows.
"""
from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer, unused_port

from bot.config import WebSettings
from bot.dashboard import add_dashboard
from bot.web import make_web_app
from tests.conftest import Person, add_member
from tests.test_dashboard import ledger_sum

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
PORT = unused_port()
ORIGIN = f"http://127.0.0.1:{PORT}"
# Hamlets with staff, and the weeks before this one in which each reported (0: this week).
REPORTERS = {"LM-KV1": [0, 1, 2, 3, 5, 6, 8], "LM-KV2": [0, 2, 3, 4, 7], "LM-KV3": [1, 4, 9],
             "OM-TH": [0, 1, 2, 3, 4, 5, 6, 7], "OM-TL": [3, 6], "MT-MK": [0, 1, 5]}


@pytest.fixture
def settings(settings):
    # Plain HTTP on loopback for the browser: built without the https check on purpose.
    return settings.model_copy(update={"web": WebSettings.model_construct(
        **{**WebSettings().model_dump(), "public_url": ORIGIN})})


@pytest.fixture
async def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs the chromium package")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        await browser.close()


@pytest.fixture
async def server(demo, clock):
    for n, (code, weeks) in enumerate(REPORTERS.items()):
        await add_member(demo, f"u-s{n}", "staff", code, name=f"Cán bộ {code}")
        person, now = Person(demo, clock, f"u-s{n}"), clock.now
        for week in weeks:
            clock.now = now - timedelta(days=7 * week)
            await person.say(f"/dangky {n + week % 3 + 1} bhyt {2 * n + week}")
        clock.now = now
    web_app = make_web_app()
    add_dashboard(web_app, demo)
    server = TestServer(web_app, host="127.0.0.1", port=PORT)
    await server.start_server()
    yield server
    await server.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("HAMLETBOT_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def link_of(person: Person) -> str:
    found = re.search(re.escape(ORIGIN) + r"/web/login/\S+", await person.say("/web"))
    assert found
    return found[0]


async def open_link(page, link: str) -> None:
    await page.goto(link)
    await page.get_by_role("button", name="Vào bảng theo dõi").click()
    await page.wait_for_load_state()


async def figure(page, name: str) -> int:
    return int((await page.locator(f'[data-figure="{name}"]').inner_text()).replace(".", ""))


async def check_against_ledger(page, app, code: str) -> None:
    for programme in ("bhxh_tn", "bhyt"):
        assert await figure(page, f"achieved-{programme}") == await ledger_sum(
            app, code, programme, 2026), (code, programme)


async def test_a_coordinator_drills_down_and_the_figures_match_the_ledger(
        server, demo, clock, browser, shots):
    await add_member(demo, "u-city", "coordinator", "CT", name="Anh Minh")
    link = await link_of(Person(demo, clock, "u-city"))
    page = await browser.new_page(viewport={"width": 1200, "height": 900}, locale="vi-VN")
    await open_link(page, link)
    assert page.url == f"{ORIGIN}/web/u/CT"
    assert await page.locator("h1").inner_text() == "Thành phố Cần Thơ"
    await check_against_ledger(page, demo, "CT")
    await page.screenshot(path=shots / "overview-city.png", full_page=True)

    # the children table sorts in the browser: by achieved, highest first on a second click
    table = page.locator('table[data-programme="bhxh_tn"]')
    header = table.locator("th", has_text="Đã đạt")
    await header.click()
    await header.click()
    assert await header.get_attribute("aria-sort") == "descending"
    values = [int(v) for v in await table.locator("tbody tr td:nth-child(2)").evaluate_all(
        "cells => cells.map(c => c.dataset.sort)")]
    assert values == sorted(values, reverse=True) and len(values) == 3

    await table.get_by_role("link", name="Phường Long Mỹ").click()
    assert await page.locator("h1").inner_text() == "Phường Long Mỹ"
    await check_against_ledger(page, demo, "LM")
    await page.locator('table[data-programme="bhyt"]').get_by_role(
        "link", name="Khu vực 1 (Long Mỹ)").click()
    assert page.url == f"{ORIGIN}/web/u/LM-KV1"
    await check_against_ledger(page, demo, "LM-KV1")
    await page.get_by_role("link", name="Sổ số liệu").click()
    await page.select_option('select[name="programme"]', "bhxh_tn")
    await page.get_by_role("button", name="Lọc").click()
    assert await figure(page, "ledger-total") == await ledger_sum(demo, "LM-KV1", "bhxh_tn", 2026)

    await page.goto(f"{ORIGIN}/web/u/LM")
    await page.screenshot(path=shots / "overview-commune.png", full_page=True)
    for tab, name in (("Tình hình báo cáo", "heatmap"), ("Bảng xếp hạng", "board"),
                      ("Sổ số liệu", "ledger")):
        await page.get_by_role("link", name=tab).click()
        await page.screenshot(path=shots / f"{name}-commune.png", full_page=True)
    await page.goto(f"{ORIGIN}/web/u/CT/heatmap")
    await page.screenshot(path=shots / "heatmap-city.png", full_page=True)

    phone = await browser.new_page(viewport={"width": 390, "height": 844}, locale="vi-VN",
                                   device_scale_factor=2, is_mobile=True)
    await open_link(phone, await link_of(Person(demo, clock, "u-city")))
    await phone.goto(f"{ORIGIN}/web/u/LM")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
    await phone.screenshot(path=shots / "phone-commune.png", full_page=True)


async def test_another_user_stays_in_their_subtree_and_a_spent_link_stays_spent(
        server, demo, clock, browser):
    await add_member(demo, "u-city", "coordinator", "CT")
    spent = await link_of(Person(demo, clock, "u-city"))
    first = await browser.new_page()
    await open_link(first, spent)
    assert first.url.endswith("/web/u/CT")

    await add_member(demo, "u-om", "staff", "OM-TH")
    other = await (await browser.new_context()).new_page()
    await open_link(other, await link_of(Person(demo, clock, "u-om")))
    assert other.url.endswith("/web/u/OM-TH")
    for path in ("/web/u/LM", "/web/u/OM", "/web/u/CT/ledger", "/web/u/OM-TL/heatmap"):
        response = await other.goto(ORIGIN + path)
        assert response.status == 403
        assert "không thuộc phạm vi" in await other.locator("[role=alert]").inner_text()
    await open_link(other, spent)
    assert "đã được dùng hoặc đã hết hạn" in await other.locator("[role=alert]").inner_text()
    assert other.url.endswith("/web/login/" + spent.rsplit("/", 1)[1])
    await other.goto(ORIGIN + "/web/u/OM-TH")
    await other.get_by_role("button", name="Đăng xuất").click()
    response = await other.goto(ORIGIN + "/web/u/OM-TH")
    assert response.status == 401
