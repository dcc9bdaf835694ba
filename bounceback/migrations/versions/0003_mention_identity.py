"""mention identity: identity_hash (one post seen via two sources), duplicate_of_id; crawlrun.items_duplicate

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 17:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

from bounceback.identity import identity_hash


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

BACKFILL_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('duplicate_of_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_mention_duplicate_of_id_mention', 'mention', ['duplicate_of_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_mention_identity_hash'), ['identity_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_mention_duplicate_of_id'), ['duplicate_of_id'], unique=False)
    with op.batch_alter_table('crawlrun', schema=None) as batch_op:
        batch_op.add_column(sa.Column('items_duplicate', sa.Integer(), server_default=sa.text('0'), nullable=False))
    _backfill_identity()


def _backfill_identity() -> None:
    """Existing mentions get their identity (no row is marked duplicate: they were triaged already)."""
    conn = op.get_bind()
    mention = sa.table(
        'mention',
        sa.column('id', sa.Integer),
        sa.column('source_id', sa.Integer),
        sa.column('external_id', sa.String),
        sa.column('url', sa.String),
        sa.column('identity_hash', sa.String),
    )
    source = sa.table('source', sa.column('id', sa.Integer), sa.column('kind', sa.String))
    last_id = 0
    while True:
        rows = conn.execute(
            sa.select(mention.c.id, mention.c.external_id, mention.c.url, source.c.kind)
            .select_from(mention.join(source, source.c.id == mention.c.source_id))
            .where(mention.c.id > last_id)
            .order_by(mention.c.id)
            .limit(BACKFILL_BATCH)
        ).all()
        if not rows:
            return
        conn.execute(
            mention.update().where(mention.c.id == sa.bindparam('b_id')).values(identity_hash=sa.bindparam('b_hash')),
            [{'b_id': r.id, 'b_hash': identity_hash(r.kind, r.external_id, r.url)} for r in rows],
        )
        last_id = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table('crawlrun', schema=None) as batch_op:
        batch_op.drop_column('items_duplicate')
    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mention_duplicate_of_id'))
        batch_op.drop_index(batch_op.f('ix_mention_identity_hash'))
        batch_op.drop_constraint('fk_mention_duplicate_of_id_mention', type_='foreignkey')
        batch_op.drop_column('duplicate_of_id')
        batch_op.drop_column('identity_hash')
