"""mention.retriage_at (engagement grew: re-judge in the next scoring pass), mention.retriaged_at

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 18:30:00.000000
"""
from alembic import op
import sqlalchemy as sa

import bounceback.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # existing rows are unmarked: their next engagement update marks them if they are still young
    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retriage_at', bounceback.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('retriaged_at', bounceback.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_mention_retriage_at'), ['retriage_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mention_retriaged_at'), ['retriaged_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mention_retriaged_at'))
        batch_op.drop_index(batch_op.f('ix_mention_retriage_at'))
        batch_op.drop_column('retriaged_at')
        batch_op.drop_column('retriage_at')
