"""weblink, websession, apitoken: access to the web dashboard and the JSON feed

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_hash = sqlmodel.sql.sqltypes.AutoString(length=64)


def _table(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', _hash, nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(['member_id'], ['member.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index(f'ix_{name}_member_id', name, ['member_id'], unique=False)


def upgrade() -> None:
    _table('weblink', sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
           sa.Column('used_at', sa.DateTime(timezone=True), nullable=True))
    _table('websession', sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
           sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
    _table('apitoken',
           sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
           sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for name in ('apitoken', 'websession', 'weblink'):
        op.drop_index(f'ix_{name}_member_id', table_name=name)
        op.drop_table(name)
