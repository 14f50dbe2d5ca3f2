"""The JSON feed and its API tokens: Bearer auth, admins only, revocable; the CLI."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import cli
from models.members import member_of
from models.web_access import create_token, revoke_token
from tests.conftest import add_member
from tests.test_dashboard import client  # noqa: F401  (a fixture)


async def token_for(app, user_id: str, role: str, unit: str = "CT") -> str:
    await add_member(app, user_id, role, unit)
    async with app.sessions() as session:
        member = await member_of("console", user_id, session=session)
        token = await create_token(member, "cổng dữ liệu", now=app.clock(), session=session)
        await session.commit()
        return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_progress_and_children(client, demo, staff):
    await staff.say("/dangky 4")
    token = await token_for(demo, "u-admin", "admin")
    response = await client.get("/api/v1/units/lm/progress?year=2026", headers=bearer(token))
    assert response.status == 200
    body = await response.json()
    assert body["year"] == 2026 and body["as_of"] == "2026-11-25"
    unit = body["unit"]
    assert unit["code"] == "LM" and unit["kind"] == "commune"
    figures = unit["programmes"]["bhxh_tn"]
    assert figures["gain_this_week"] == 4
    assert set(figures) == {"achieved", "target", "ratio", "gain_this_week",
                            "needed_per_week", "projected"}
    assert unit["completeness"] == {"reported": 1, "staffed": 1}
    assert "children" not in body
    response = await client.get("/api/v1/units/LM/children", headers=bearer(token))
    children = (await response.json())["children"]
    assert [c["code"] for c in children] == ["LM-KV1", "LM-KV2", "LM-KV3", "LM-KV4"]
    kv1 = children[0]["programmes"]["bhxh_tn"]
    assert sum(c["programmes"]["bhxh_tn"]["achieved"] for c in children) == figures["achieved"]
    assert kv1["gain_this_week"] == 4


async def test_tokens_open_the_feed_only_while_valid(client, demo):
    admin = await token_for(demo, "u-admin", "admin")
    coordinator = await token_for(demo, "u-coord", "coordinator", "LM")
    path = "/api/v1/units/CT/progress"
    assert (await client.get(path, headers=bearer(admin))).status == 200
    for headers in ({}, bearer("hbt_wrong"), bearer(coordinator), {"Authorization": admin},
                    {"Authorization": f"Basic {admin}"}):
        response = await client.get(path, headers=headers)
        assert response.status == 401 and await response.json() == {"error": "unauthorized"}
    async with demo.sessions() as session:
        assert await revoke_token(1, now=demo.clock(), session=session)
        await session.commit()
    assert (await client.get(path, headers=bearer(admin))).status == 401


async def test_bad_requests(client, demo):
    token = await token_for(demo, "u-admin", "admin")
    assert (await client.get("/api/v1/units/NOPE/progress", headers=bearer(token))).status == 404
    for year in ("abc", "1999", "2031"):
        response = await client.get(f"/api/v1/units/CT/progress?year={year}",
                                    headers=bearer(token))
        assert response.status == 400 and (await response.json())["error"] == "bad_year"


@pytest.fixture
async def two_members(demo):
    await add_member(demo, "u-admin", "admin", "CT")
    await add_member(demo, "u-coord", "coordinator", "LM")


def test_token_cli(two_members, database_url, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{database_url}"\n', encoding="utf-8")
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli, ["--config", str(config), "token", *args])

    made = run("create", "--admin", "console:u-admin", "--label", "city portal")
    assert made.exit_code == 0, made.output
    secret = made.output.splitlines()[1]
    assert secret.startswith("hbt_")
    refused = run("create", "--admin", "console:u-coord", "--label", "x")
    assert refused.exit_code == 1 and "not an active admin" in refused.output
    listed = run("list")
    assert "console:u-admin\tcity portal" in listed.output and "active" in listed.output
    assert secret not in listed.output
    assert run("revoke", "1").exit_code == 0
    assert "revoked" in run("list").output
    again = run("revoke", "1")
    assert again.exit_code == 1 and "no active token with id 1" in again.output
