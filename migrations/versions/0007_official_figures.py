"""officialfigure: BHXH's dated snapshots; unit.population and coverage_target_pct

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'officialfigure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('programme', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('participants', sa.Integer(), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('imported_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_officialfigure_latest', 'officialfigure',
                    ['unit_id', 'programme', 'as_of', 'superseded_at', 'participants'],
                    unique=False)
    with op.batch_alter_table('unit') as batch:
        batch.add_column(sa.Column('population', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('coverage_target_pct', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('unit') as batch:
        batch.drop_column('coverage_target_pct')
        batch.drop_column('population')
    op.drop_index('ix_officialfigure_latest', table_name='officialfigure')
    op.drop_table('officialfigure')
