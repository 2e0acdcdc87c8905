"""persons, not sides: each participant's role in the case, whom a support person supports

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 21:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=16), server_default='primary', nullable=False))
        batch_op.add_column(sa.Column('supports_participant_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('takes_part_in_meetings', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_participants_supports_participant_id_participants'),
                                    'participants', ['supports_participant_id'], ['id'])
    # Everyone so far took part as themselves, except a victim's representative.
    op.execute("UPDATE participants SET role = 'representative' WHERE relationship = 'victim_representative'")


def downgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_participants_supports_participant_id_participants'),
                                 type_='foreignkey')
        batch_op.drop_column('takes_part_in_meetings')
        batch_op.drop_column('supports_participant_id')
        batch_op.drop_column('role')
