"""report indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:00:00.000000

As-of reports probe each member's last pathway event before a moment
(member_id, machine, effective_at, seq); attrition, time in level and the summary read one
trigger over a period (machine, trigger, effective_at); the current distribution joins
pathway rows to members without reading the rows (machine, member_id, level, status).
"""

from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_member_id_machine_effective_at_seq',
                              ['member_id', 'machine', 'effective_at', 'seq'], unique=False)
        batch_op.create_index('ix_events_machine_trigger_effective_at',
                              ['machine', 'trigger', 'effective_at'], unique=False)
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.create_index('ix_instances_machine_member_id_level_status',
                              ['machine', 'member_id', 'level', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_index('ix_instances_machine_member_id_level_status')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_machine_trigger_effective_at')
        batch_op.drop_index('ix_events_member_id_machine_effective_at_seq')
