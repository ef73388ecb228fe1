"""fewer event indexes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 07:00:00.000000

Every event written (each transition, each member a bulk import writes) pays for every index
on events, so three stop costing what no read needs (docs/PERFORMANCE.md, "Indexes and query
shapes"):

- ix_events_member_id_id: ix_events_pathway_as_of leads with member_id, so a member's events
  in id order are the same probe and a sort of that member's few events, on both databases.
- ix_events_machine_effective_at: its one reader, the summary's pathway moves in a period,
  now asks only for the triggers it counts, which ix_events_machine_trigger_effective_at
  serves (faster than the old scan); the training and award reads already had that index.
- ix_events_refers_to becomes partial (refers_to IS NOT NULL): only member_view events refer
  to a move, and both readers (the voice report, a member's moves) ask for non-NULL values.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

REFERS = sa.text('refers_to IS NOT NULL')


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_member_id_id')
        batch_op.drop_index('ix_events_machine_effective_at')
        batch_op.drop_index('ix_events_refers_to')
        batch_op.create_index('ix_events_refers_to', ['refers_to'], unique=False,
                              sqlite_where=REFERS, postgresql_where=REFERS)


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_refers_to')
        batch_op.create_index('ix_events_refers_to', ['refers_to'], unique=False)
        batch_op.create_index('ix_events_machine_effective_at', ['machine', 'effective_at'],
                              unique=False)
        batch_op.create_index('ix_events_member_id_id', ['member_id', 'id'], unique=False)
