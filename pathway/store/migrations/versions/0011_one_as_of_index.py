"""one as-of index on events

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:00:00.000000

ix_events_member_id_machine_effective_at_seq is a prefix of ix_events_pathway_as_of (the same
four columns, then to_state and unit_id): every read it served, the covering index serves as
well, while each event written (every transition, every imported member) paid for both.
"""

from __future__ import annotations

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_member_id_machine_effective_at_seq')


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_member_id_machine_effective_at_seq',
                              ['member_id', 'machine', 'effective_at', 'seq'], unique=False)
