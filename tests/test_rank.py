"""rank() orders by the exact ratio achieved/target, as Fraction would, ties sharing a rank."""
from __future__ import annotations

from fractions import Fraction

from hypothesis import given, strategies as st

from models.leaderboard import Standing, UnitInfo, rank
from models.rollup import Figures


def _standing(i: int, achieved: int, target: int | None) -> Standing:
    unit = UnitInfo(i, f"U{i}", f"Ấp {i:03}", "hamlet", 1)
    return Standing(unit, None, Figures("bhxh_tn", achieved, target, 0, 0, 35))


@given(st.lists(st.tuples(st.integers(-5, 10**7), st.one_of(st.none(), st.integers(1, 10**7))),
                max_size=30))
def test_rank_matches_the_exact_ratio_order(rows):
    # ratios that differ by less than a float's precision among them
    rows += [(10**7 - 1, 10**7), (10**7 - 2, 10**7 - 1), (0, 3), (0, 5), (2, 4), (1, 2),
             (10**17, 10**17 + 1), (10**17 + 1, 10**17 + 2)]  # one float, unequal
    ranked = rank([_standing(i, a, t) for i, (a, t) in enumerate(rows)])
    ratios = [Fraction(s.figures.achieved, s.figures.target) for s in ranked if s.rank]
    assert ratios == sorted(ratios, reverse=True)
    for before, after in zip(ranked, ranked[1:]):
        if after.rank is not None:
            same = Fraction(before.figures.achieved, before.figures.target) == Fraction(
                after.figures.achieved, after.figures.target)
            assert (after.rank == before.rank) == same
            if same:
                assert before.unit.name < after.unit.name
    assert all(s.rank is None for s in ranked if not s.figures.target)
