"""intake that reaches people: a held request's sealed details under its own data key, its status secret's
hash, and the sealed intake record a case begins with

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('held_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_secret_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('kek_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('wrapped_key', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('sealed_details', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('key_destroyed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_held_requests_kek_id'), ['kek_id'], unique=False)

    op.create_table('intake_records',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('sealed_text', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_intake_records_author_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_intake_records_case_id_cases')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'],
                            name=op.f('fk_intake_records_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_records'))
    )
    with op.batch_alter_table('intake_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_records_case_id'), ['case_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('intake_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_records_case_id'))
    op.drop_table('intake_records')
    with op.batch_alter_table('held_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_held_requests_kek_id'))
        batch_op.drop_column('key_destroyed_at')
        batch_op.drop_column('sealed_details')
        batch_op.drop_column('wrapped_key')
        batch_op.drop_column('kek_id')
        batch_op.drop_column('status_secret_hash')
