"""claims made once: a ledger entry reversed at most once; a choice taken by its token

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    doubled = op.get_bind().execute(sa.text(
        "SELECT id FROM report r WHERE reverses_id IS NOT NULL AND id > "
        "(SELECT min(id) FROM report d WHERE d.reverses_id = r.reverses_id)")).scalars().all()
    if doubled:
        # Second reversals of one entry (the race this migration closes) double-count.
        # The ledger is not rewritten behind the operator's back: name them and stop.
        raise RuntimeError(f"ledger entries {sorted(doubled)} reverse an entry that an "
                           "earlier one already reversed; delete them (they count twice), "
                           "then start again")
    op.create_index('ix_report_reverses_id', 'report', ['reverses_id'], unique=True)
    # Choices wait 24 hours at most; those shown before the upgrade are simply asked again.
    op.execute("DELETE FROM pendingchoice")
    with op.batch_alter_table('pendingchoice') as batch_op:
        batch_op.add_column(sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=16),
                                      nullable=False))
        batch_op.add_column(sa.Column('message_ref',
                                      sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pendingchoice') as batch_op:
        batch_op.drop_column('message_ref')
        batch_op.drop_column('token')
    op.drop_index('ix_report_reverses_id', table_name='report')
