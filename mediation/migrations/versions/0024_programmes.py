"""cases belong to a programme; accounts are given roles per programme

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('programme', sa.String(length=40), nullable=False,
                                      server_default='victim_offender_mediation'))
        batch_op.create_index('ix_cases_programme_state_updated', ['programme', 'state', 'updated_at', 'id'],
                              unique=False)
    op.create_table(
        'programme_roles',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('programme', sa.String(length=40), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('granted_by_id', sa.Integer(), nullable=True),
        sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_programme_roles_granted_by_id_users')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_programme_roles_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', 'programme', 'role', name=op.f('pk_programme_roles')),
    )
    with op.batch_alter_table('programme_roles', schema=None) as batch_op:
        batch_op.create_index('ix_programme_roles_programme_role', ['programme', 'role', 'user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('programme_roles', schema=None) as batch_op:
        batch_op.drop_index('ix_programme_roles_programme_role')
    op.drop_table('programme_roles')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_programme_state_updated')
        batch_op.drop_column('programme')
