"""Involvement and payment: involvement records and each member's benefit-safe limits.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'involvement_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('activity', sa.String(length=64), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('payment', sa.String(length=16), nullable=False),
        sa.Column('amount_pence', sa.Integer(), nullable=False),
        sa.Column('expenses_pence', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('override_reason', sa.Text(), nullable=True),
        sa.Column('booked_by', sa.Integer(), nullable=True),
        sa.Column('booked_by_name', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['booked_by'], ['users.id'],
                                name=op.f('fk_involvement_records_booked_by_users')),
        sa.ForeignKeyConstraint(['instance_id'], ['instances.id'],
                                name=op.f('fk_involvement_records_instance_id_instances')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_involvement_records_member_id_members')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_involvement_records_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_involvement_records')),
    )
    with op.batch_alter_table('involvement_records', schema=None) as batch_op:
        batch_op.create_index('ix_involvement_records_member_id_held_on',
                              ['member_id', 'held_on'], unique=False)
        batch_op.create_index('ix_involvement_records_held_on_unit_id',
                              ['held_on', 'unit_id'], unique=False)
    op.create_table(
        'benefit_limit_settings',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('rules', sa.JSON(), nullable=False),
        sa.Column('custom_period', sa.String(length=8), nullable=True),
        sa.Column('custom_limit_pence', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_benefit_limit_settings_member_id_members')),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_benefit_limit_settings')),
    )


def downgrade() -> None:
    op.drop_table('benefit_limit_settings')
    with op.batch_alter_table('involvement_records', schema=None) as batch_op:
        batch_op.drop_index('ix_involvement_records_held_on_unit_id')
        batch_op.drop_index('ix_involvement_records_member_id_held_on')
    op.drop_table('involvement_records')
