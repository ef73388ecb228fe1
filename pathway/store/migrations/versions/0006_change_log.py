"""A change log: who changed a member's or a unit's details, when, which fields and why.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'change_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=120), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_change_log_member_id_members')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_change_log_unit_id_units')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_change_log_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_log')),
    )
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.create_index('ix_change_log_member_id_at', ['member_id', 'at'], unique=False)
        batch_op.create_index('ix_change_log_unit_id_at', ['unit_id', 'at'], unique=False)
    with op.batch_alter_table('idempotent_responses', schema=None) as batch_op:
        batch_op.create_index('ix_idempotent_responses_created_at', ['created_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('idempotent_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_idempotent_responses_created_at')
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.drop_index('ix_change_log_unit_id_at')
        batch_op.drop_index('ix_change_log_member_id_at')
    op.drop_table('change_log')
