"""joinattempt: wrong invite codes per user, for the limit on guessing codes

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'joinattempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_joinattempt_who_at', 'joinattempt', ['platform', 'user_id', 'at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_joinattempt_who_at', table_name='joinattempt')
    op.drop_table('joinattempt')
