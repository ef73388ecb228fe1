"""The distribution ledger: per-day changes of the level distribution, and checkpoints.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:45:00.000000

The as-of distribution probed every member's history (3-4 s at 1M members / 10M events on
PostgreSQL); from the ledger it is a checkpoint plus a couple of weeks of changes
(docs/PERFORMANCE.md). The ledger is filled here from the existing events, counting days in
the service's zone (PATHWAY_TIMEZONE).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pathway.config import Settings
from pathway.store import ledger

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('distribution_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_distribution_changes'))
    )
    with op.batch_alter_table('distribution_changes', schema=None) as batch_op:
        batch_op.create_index('ix_distribution_changes_day',
                              ['day', 'unit_id', 'kind', 'level', 'status', 'delta', 'id'],
                              unique=False)
    op.create_table('distribution_checkpoints',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('through_change', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_distribution_checkpoints'))
    )
    op.create_table('distribution_counts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'unit_id', 'kind', 'level', 'status',
                            name=op.f('pk_distribution_counts'))
    )
    ledger.rebuild(op.get_bind(), Settings.from_env().timezone)


def downgrade() -> None:
    op.drop_table('distribution_counts')
    op.drop_table('distribution_checkpoints')
    with op.batch_alter_table('distribution_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_distribution_changes_day')
    op.drop_table('distribution_changes')
