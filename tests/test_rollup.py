"""The one roll-up: any set of subtrees reads as the whole tree does, in a few queries."""
from __future__ import annotations

from datetime import date

from sqlalchemy import event

from models.rollup import rollup
from models.units import unit_by_code

DAY = date(2026, 11, 25)


async def test_several_roots_read_as_the_whole_tree(demo):
    async with demo.sessions() as session:
        lm, mt, kv1 = [await unit_by_code(c, session=session) for c in ("LM", "MT", "LM-KV1")]
        whole = await rollup(None, DAY, session=session)
        both = await rollup(iter([lm, mt, kv1]), DAY, session=session)  # KV1 lies under LM
    assert set(both.units) < set(whole.units) and {lm.id, mt.id, kv1.id} <= set(both.units)
    for unit_id in both.units:
        assert both.figures(unit_id) == whole.figures(unit_id)
    assert both.children[lm.id] == whole.children[lm.id]  # by name


async def test_a_query_per_level_and_one_for_the_figures(demo):
    statements: list[list[int]] = []

    def count(*_args) -> None:
        statements[-1].append(1)

    async with demo.sessions() as session:
        units = [await unit_by_code(c, session=session) for c in ("LM-KV1", "LM", "CT")]
        engine = session.bind.sync_engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            for unit in units:
                statements.append([])
                await rollup(unit, DAY, session=session)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    # a hamlet: the sums and targets; a commune: its hamlets first; a city: communes, hamlets
    assert [len(s) for s in statements] == [1, 2, 3]
