"""as-of covering index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 08:00:00.000000

The as-of level distribution reads, per member, the last pathway event before a moment:
its state and its unit. With (member_id, machine, effective_at, seq, to_state, unit_id)
PostgreSQL answers each probe from the index alone (index-only scan) instead of fetching one
heap page per member: at 1M members / 10M events, 5.2 s -> 3.2 s for the probe loop
(docs/PERFORMANCE.md).
"""

from __future__ import annotations

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_pathway_as_of',
                              ['member_id', 'machine', 'effective_at', 'seq', 'to_state',
                               'unit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_pathway_as_of')
