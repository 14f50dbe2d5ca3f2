"""report: a covering index for the leaderboard's roll-up

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_report_rollup', 'report',
                    ['unit_id', 'programme', 'local_date', 'kind', 'count'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_report_rollup', table_name='report')
