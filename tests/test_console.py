"""The console channel and `hamletbot console --demo`, read like conversations."""
from __future__ import annotations

import io
import re

from click.testing import CliRunner

from bot.cli import cli
from bot.console import ConsoleChannel
from bot.delivery import message_handler


async def converse(app, clock, lines: str, user_id: str = "u-staff") -> str:
    out = io.StringIO()
    channel = ConsoleChannel(user_id=user_id, display_name="Chị Lan", clock=clock,
                             stdin=io.StringIO(lines), stdout=out)
    await channel.start(message_handler(channel, app))
    return out.getvalue()


async def test_report_undo_progress(staff, clock):
    transcript = await converse(staff.app, clock, "/dangky 5\n/huy\n1\n/tiendo\n")
    assert transcript.index("> /dangky 5") < transcript.index("Đã ghi nhận 5")
    assert transcript.index("> /huy") < transcript.index("Đã hủy báo cáo")
    assert "BHXH tự nguyện: 401/453 (88,52%)" in transcript.split("> /tiendo")[1]


async def test_choices_are_numbered_and_answered_by_number(staff, clock):
    transcript = await converse(staff.app, clock, "/dangky 80\n1\n")
    assert "  1. Đúng, ghi nhận\n  2. Không, bỏ qua" in transcript
    assert "Đã ghi nhận 80" in transcript


async def test_console_plays_a_group(staff, coordinator, clock):
    await converse(coordinator.app, clock, ":group lm\n/lienket LM\n", user_id="u-coord")
    transcript = await converse(staff.app, clock, ":group lm\nchuyện phiếm\n/tiendo\n")
    assert "(in group chat group-lm)" in transcript
    assert "> chuyện phiếm\n> /tiendo" in transcript  # chatter gets no answer
    assert "Tiến độ Phường Long Mỹ" in transcript


async def test_edit_corrects(staff, clock):
    transcript = await converse(staff.app, clock, "/dangky 5\n:edit /dangky 6\n")
    assert "nay là 6 BHXH tự nguyện" in transcript


def test_demo_console_through_a_pipe(tmp_path, monkeypatch):
    # SQLite only, on purpose: this is README's first command on the built-in defaults.
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["console", "--demo"], input="/tiendo\n/dangky 5\n")
    assert result.exit_code == 0, result.output
    before = int(re.search(r"BHXH tự nguyện: ([0-9.]+)/453", result.output)[1].replace(".", ""))
    assert "Đã ghi nhận 5 BHXH tự nguyện cho Khu vực 1 (Long Mỹ)" in result.output
    assert "Tiến độ Khu vực 1 (Long Mỹ)" in result.output
    assert "an unused invite code for /thamgia:" in result.output
    # run again: the demo data is not loaded twice, the earlier report is still there
    again = CliRunner().invoke(cli, ["console", "--demo", "--as", "coordinator"],
                               input="/tiendo\n")
    assert "Loaded the demo data" not in again.output
    assert "Khu vực 1 (Long Mỹ)" in again.output
    kv1 = again.output.split("• Khu vực 1 (Long Mỹ)")[1]
    assert f"BHXH tự nguyện: {before + 5}/453" in kv1  # the 5 reported above


async def test_demo_has_staff_and_weeks_of_reports(coordinator, clock):
    """The console demo comes with a history: every demo hamlet but one has staff and weekly
    reports (some nil, some weeks silent) since the baselines, so boards and lists show."""
    from bot.demo import load_demo_history
    async with coordinator.app.sessions() as session:
        await load_demo_history(clock(), coordinator.app.tz, session=session)
        await session.commit()
    board = await coordinator.say("/bxh tuần trước")
    assert "ấp đã báo cáo" in board and "Bốn tuần qua chưa có thêm" not in board
    gains = [int(g) for g in re.findall(r"tuần trước \+([0-9]+)", board.replace(".", ""))]
    assert gains and max(gains) > 0
    listing = await coordinator.say("/chuabaocao")
    assert "chưa báo cáo lần nào" not in listing  # every listed hamlet reported some week
    lines = [line for line in listing.splitlines() if "gần nhất" in line]
    assert lines and all(line.startswith("• ") and line.count("•") == 1 for line in lines)


def test_invite_code_from_cli_joins(tmp_path, monkeypatch):
    # SQLite only, on purpose: the CLI on the built-in default configuration.
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    runner.invoke(cli, ["console", "--demo"], input="")
    made = runner.invoke(cli, ["invite", "create", "--unit", "om-th", "--role", "staff"])
    assert made.exit_code == 0, made.output
    code = made.output.split("/thamgia ")[1].strip()
    joined = runner.invoke(cli, ["console"], input=f"/thamgia {code}\n/dangky 1\n")
    assert "cán bộ ấp của Khu vực Thới Hòa" in joined.output
    assert "Đã ghi nhận 1" in joined.output


def test_invite_for_unknown_unit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["invite", "create", "--unit", "NOPE", "--role", "staff"])
    assert result.exit_code == 1 and "no unit with code NOPE" in result.output


def test_every_subcommand_has_help():
    runner = CliRunner()
    for args in ([], ["console"], ["run"], ["units"], ["units", "import"], ["targets", "import"],
                 ["baselines", "import"], ["invite"], ["invite", "create"]):
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, args


def test_first_admin_joins_with_an_admin_invite(tmp_path, monkeypatch):
    # SQLite only, on purpose: the CLI on the built-in default configuration.
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    runner.invoke(cli, ["console", "--demo"], input="")
    made = runner.invoke(cli, ["invite", "create", "--unit", "CT", "--role", "admin"])
    code = made.output.split("/thamgia ")[1].strip()
    joined = runner.invoke(cli, ["console"], input=f"/thamgia {code}\n/trogiup\n")
    assert "quản trị viên của Thành phố Cần Thơ" in joined.output
    assert "Các lệnh của quản trị viên" in joined.output


def test_console_demo_roles_images_flood_and_mentions(tmp_path, monkeypatch):
    """A resident has no role; a pipe of many lines is not held to the flood limit; a chart
    is saved to a file whose path is printed; a wrong code prints no log line; a mention in
    a group is answered; each role's start-up line suggests commands it may use."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    lines = "/thamgia SAI-MA\n" + "/tiendo\n" * 25 + ":group lm\n@hamletbot tiến độ\n"
    result = runner.invoke(cli, ["console", "--demo"], input=lines)
    assert result.exit_code == 0, result.output
    assert "nhanh quá" not in result.output and "WARNING" not in result.output
    assert result.output.count("Tiến độ Khu vực 1") == 26  # 25 commands and the mention
    coordinator = runner.invoke(cli, ["console", "--demo", "--as", "coordinator"],
                                input="/bxh\n")
    assert "Try /tiendo, /bxh" in coordinator.output and "/dangky" not in \
        coordinator.output.split("Try ")[1].split(";")[0]
    saved = [line.split("[hình ảnh ")[1].rstrip("]") for line in coordinator.output.splitlines()
             if "[hình ảnh " in line]
    assert saved and all(open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n" for path in saved)
    resident = runner.invoke(cli, ["console", "--demo", "--as", "resident"],
                             input="bao 3 nguoi\n/dangky 5\n")
    assert "Ghi nhận" not in resident.output and "Đã ghi nhận" not in resident.output
    assert "(resident)" in resident.output


def test_push_dry_run_saves_the_chart(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    CliRunner().invoke(cli, ["console", "--demo"], input="")
    result = CliRunner().invoke(cli, ["push", "leaderboard", "--unit", "LM", "--dry-run"])
    assert result.exit_code == 0, result.output
    path = result.output.split("[chart: ")[1].split(";")[0]
    assert open(path, "rb").read(4) == b"\x89PNG"
