"""Pathway rows carry the member's unit and kind, so the distribution needs no join.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 08:05:41.991250
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_instances_unit_id_units'), 'units',
                                    ['unit_id'], ['id'])
    op.execute("UPDATE instances SET "
               "unit_id = (SELECT members.unit_id FROM members "
               "WHERE members.id = instances.member_id), "
               "kind = (SELECT members.kind FROM members WHERE members.id = instances.member_id) "
               "WHERE machine = 'pathway'")
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.create_index('ix_instances_machine_unit_id_kind_level_status',
                              ['machine', 'unit_id', 'kind', 'level', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_index('ix_instances_machine_unit_id_kind_level_status')
        batch_op.drop_constraint(batch_op.f('fk_instances_unit_id_units'), type_='foreignkey')
        batch_op.drop_column('kind')
        batch_op.drop_column('unit_id')
