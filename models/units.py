"""The unit tree (city → commune → hamlet) and yearly targets."""
from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

KINDS = ("city", "commune", "hamlet")
# Walks up or down the tree stop after this many levels: the import keeps it a tree three
# levels deep, and a bound means a bad row in the database can never hang the bot.
MAX_DEPTH = 8
PROGRAMMES = ("bhxh_tn", "bhyt")


class Unit(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    # People living in the unit (`hamletbot population import`): health insurance coverage
    # is achieved / population; a coverage target (whole percent) stands in for a health
    # insurance target where the unit has none.
    population: int | None = None
    coverage_target_pct: int | None = None


class Target(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("unit_id", "programme", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    programme: str = Field(max_length=16)
    year: int
    value: int


async def unit_by_code(code: str, *, session: AsyncSession) -> Unit | None:
    return (await session.exec(select(Unit).where(Unit.code == code))).first()


async def subtree_ids(unit: Unit, *, session: AsyncSession) -> list[int]:
    """The unit and all its descendants (the tree is shallow: city → commune → hamlet)."""
    if unit.kind == "hamlet":  # the lowest level: no query needed
        return [unit.id]
    ids, frontier = [unit.id], [unit.id]
    for _ in range(MAX_DEPTH):
        rows = await session.exec(select(Unit.id).where(Unit.parent_id.in_(frontier)))
        frontier = [i for i in rows if i not in ids]
        if not frontier:
            break
        ids.extend(frontier)
    return ids


async def is_within(unit_id: int, ancestor_id: int, *, session: AsyncSession) -> bool:
    """True when `unit_id` is `ancestor_id` or lies below it."""
    current: int | None = unit_id
    for _ in range(MAX_DEPTH):
        if current is None:
            return False
        if current == ancestor_id:
            return True
        current = (await session.exec(select(Unit.parent_id).where(Unit.id == current))).first()
    return False
