"""two-factor sign-in: sealed TOTP secrets and hashed single-use recovery codes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 18:03:14.283424
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('two_factor_credentials',
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kek_id', sa.String(length=40), nullable=False),
    sa.Column('sealed_secret', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_step', sa.BigInteger(), nullable=True),
    sa.Column('failed_codes', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sign_in_attempt', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_two_factor_credentials_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_two_factor_credentials'))
    )
    with op.batch_alter_table('two_factor_credentials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_two_factor_credentials_kek_id'), ['kek_id'], unique=False)

    op.create_table('two_factor_recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_two_factor_recovery_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_two_factor_recovery_codes'))
    )
    with op.batch_alter_table('two_factor_recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_two_factor_recovery_codes_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('two_factor_recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_two_factor_recovery_codes_user_id'))

    op.drop_table('two_factor_recovery_codes')
    with op.batch_alter_table('two_factor_credentials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_two_factor_credentials_kek_id'))

    op.drop_table('two_factor_credentials')
