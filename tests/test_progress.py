"""/tiendo and how achieved is counted: ledger entries dated in the year, in local time."""
from __future__ import annotations

from datetime import datetime, timezone

from models.progress import unit_progress
from models.units import unit_by_code
from tests.conftest import Person, add_member


async def test_staff_sees_own_hamlet(staff):
    answer = await staff.say("/tiendo")
    assert "Tiến độ Khu vực 1 (Long Mỹ) năm 2026 (đến 25/11/2026)" in answer
    assert "BHXH tự nguyện: 401/453 (88,52%), còn thiếu 52" in answer
    assert "trực thuộc" not in answer


async def test_coordinator_sees_children(coordinator):
    answer = await coordinator.say("/td")
    # the real Long My figure: 1,215 of 1,509
    assert "BHXH tự nguyện: 1.215/1.509 (80,52%), còn thiếu 294" in answer
    for hamlet in ("Khu vực 1", "Khu vực 2", "Khu vực 3", "Khu vực 4"):
        assert hamlet in answer


async def test_city_target_is_sum_of_communes(demo, clock):
    await add_member(demo, "u-admin", "admin", "CT")
    answer = await Person(demo, clock, "u-admin").say("/tiendo")
    assert "Thành phố Cần Thơ" in answer
    assert "BHXH tự nguyện: 3.166/5.059" in answer  # 1215+1145+806 of 1509+2250+1300


async def test_stranger_has_no_progress(stranger):
    assert "chưa tham gia" in await stranger.say("/tiendo")


async def test_achieved_counts_local_new_year(staff, clock):
    """23:30 on 31 Dec in Vietnam is 16:30 UTC: it counts for the old year; 00:30 on 1 Jan
    (17:30 UTC on 31 Dec) already counts for the new one."""
    clock.now = datetime(2026, 12, 31, 16, 30, tzinfo=timezone.utc)
    await staff.say("/dangky 3")
    clock.now = datetime(2026, 12, 31, 17, 30, tzinfo=timezone.utc)
    await staff.say("/dangky 4")
    async with staff.app.sessions() as session:
        unit = await unit_by_code("LM-KV1", session=session)
        old = await unit_progress(unit, 2026, session=session)
        new = await unit_progress(unit, 2027, session=session)
    assert old[0].achieved == 401 + 3
    assert new[0].achieved == 4 and new[0].target is None
    assert "BHXH tự nguyện: 4 (chưa có chỉ tiêu)" in await staff.say("/tiendo")


async def test_unlinked_group_shows_the_senders_unit(staff):
    assert "Tiến độ Khu vực 1 (Long Mỹ)" in await staff.in_group("g-none").say("/tiendo")
