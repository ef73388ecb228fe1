"""The proposals board ("you said, we did"): proposals and their append-only history.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'proposals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('anonymous', sa.Boolean(), nullable=False),
        sa.Column('author_user_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=32), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_user_id'], ['users.id'],
                                name=op.f('fk_proposals_author_user_id_users')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_proposals_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals')),
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index('ix_proposals_unit_id_updated_at', ['unit_id', 'updated_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_author_user_id'), ['author_user_id'],
                              unique=False)
    op.create_table(
        'proposal_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('trigger', sa.String(length=64), nullable=False),
        sa.Column('from_state', sa.String(length=32), nullable=True),
        sa.Column('to_state', sa.String(length=32), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('actor', sa.String(length=120), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('forum', sa.String(length=200), nullable=True),
        sa.Column('forum_on', sa.Date(), nullable=True),
        sa.Column('decision', sa.String(length=32), nullable=True),
        sa.Column('idempotency_key', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'],
                                name=op.f('fk_proposal_events_proposal_id_proposals')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_proposal_events_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_events')),
        sa.UniqueConstraint('proposal_id', 'seq', name=op.f('uq_proposal_events_proposal_id')),
    )


def downgrade() -> None:
    op.drop_table('proposal_events')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_author_user_id'))
        batch_op.drop_index('ix_proposals_unit_id_updated_at')
    op.drop_table('proposals')
