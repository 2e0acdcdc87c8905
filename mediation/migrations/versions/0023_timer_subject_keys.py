"""timers name record-id subjects; notices may be about no case

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_key', sa.String(length=32), nullable=True))
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM notices WHERE case_id IS NULL")
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.drop_column('subject_key')
