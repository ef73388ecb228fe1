"""The member's voice: their view of a pathway move, kept on events.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 01:00:00

``member_view`` holds the view given with a move (or, on a ``member_view`` event, the view
given afterwards); ``refers_to`` is the earlier event such a later view is about.
Milestone claims need no new columns: they are states and triggers of the milestone
lifecycle, kept on its events like any other.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_view', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('refers_to', sa.Integer(), nullable=True))
        batch_op.create_index('ix_events_refers_to', ['refers_to'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_refers_to')
        batch_op.drop_column('refers_to')
        batch_op.drop_column('member_view')
