"""mention.extra: what a spider keeps beside the columns (company reply, app version …)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # existing rows get an empty object; the crawler fills it on their next crawl
    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extra', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.drop_column('extra')
