"""running processes and the KEK each uses, so that a KEK is never retired under a live process

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('process_heartbeats',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('program', sa.String(length=80), nullable=False),
    sa.Column('active_kek', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_heartbeats'))
    )
    with op.batch_alter_table('process_heartbeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_heartbeats_seen_at'), ['seen_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('process_heartbeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_heartbeats_seen_at'))

    op.drop_table('process_heartbeats')
