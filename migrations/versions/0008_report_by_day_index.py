"""report: the date index also covers completeness (local_date, unit_id, kind, created_at)

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_report_by_day', 'report',
                    ['local_date', 'unit_id', 'kind', 'created_at'], unique=False)
    op.drop_index('ix_report_local_date', table_name='report')


def downgrade() -> None:
    op.create_index('ix_report_local_date', 'report', ['local_date'], unique=False)
    op.drop_index('ix_report_by_day', table_name='report')
