"""continuous safety: a history of safety assessments (sealed risk factors, consultations and note),
acknowledgements of the limits of confidentiality with their wording version, and disclosures that must be
reported (sealed)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 21:06:03.207377
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('confidentiality_acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('wording_version', sa.String(length=40), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by_mediator', sa.Boolean(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_confidentiality_acknowledgements_case_id_cases')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_confidentiality_acknowledgements_participant_id_participants')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_confidentiality_acknowledgements_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_confidentiality_acknowledgements'))
    )
    with op.batch_alter_table('confidentiality_acknowledgements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_confidentiality_acknowledgements_case_id'), ['case_id'], unique=False)

    op.create_table('disclosures',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('sealed_details', sa.LargeBinary(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_disclosures_case_id_cases')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_disclosures_participant_id_participants')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_disclosures_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosures'))
    )
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosures_case_id'), ['case_id'], unique=False)

    op.create_table('safety_assessments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('sealed_details', sa.LargeBinary(), nullable=False),
    sa.Column('assessed_by_id', sa.Integer(), nullable=False),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessed_by_id'], ['users.id'], name=op.f('fk_safety_assessments_assessed_by_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_safety_assessments_case_id_cases')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_safety_assessments_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_assessments'))
    )
    with op.batch_alter_table('safety_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_assessments_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_safety_assessments_participant', ['participant_id', 'assessed_at'], unique=False)

    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confidentiality_acknowledged', sa.String(length=40), nullable=True))



def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+), not a batch copy: copying participants would drop and recreate a table
    # that messages and message shares point at, which SQLite refuses while they hold rows.
    op.drop_column('participants', 'confidentiality_acknowledged')

    with op.batch_alter_table('safety_assessments', schema=None) as batch_op:
        batch_op.drop_index('ix_safety_assessments_participant')
        batch_op.drop_index(batch_op.f('ix_safety_assessments_case_id'))

    op.drop_table('safety_assessments')
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosures_case_id'))

    op.drop_table('disclosures')
    with op.batch_alter_table('confidentiality_acknowledgements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_confidentiality_acknowledgements_case_id'))

    op.drop_table('confidentiality_acknowledgements')
