"""a participant's private line to their mediator, sealed drafts, cover notes, per-case read receipts

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 21:05:56
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'drafts',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('sealed_body', sa.LargeBinary(), nullable=False),
        sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_drafts_author_id_users')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_drafts_case_id_cases')),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id'],
                                name=op.f('fk_drafts_participant_id_participants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_drafts')),
        sa.UniqueConstraint('participant_id', 'purpose', name='uq_drafts_participant_purpose'),
    )
    op.create_index(op.f('ix_drafts_case_id'), 'drafts', ['case_id'])
    op.create_table(
        'private_notes',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('direction', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('written_by_id', sa.Integer(), nullable=False),
        sa.Column('sealed_body', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('handled_how', sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_private_notes_case_id_cases')),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id'],
                                name=op.f('fk_private_notes_participant_id_participants')),
        sa.ForeignKeyConstraint(['written_by_id'], ['users.id'], name=op.f('fk_private_notes_written_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_private_notes')),
    )
    op.create_index('ix_private_notes_case_created', 'private_notes', ['case_id', 'created_at'])
    op.create_index(op.f('ix_private_notes_participant_id'), 'private_notes', ['participant_id'])
    # Plain ALTER TABLE, never a batch copy: SQLite would drop the triggers that keep delivered messages frozen.
    op.add_column('cases', sa.Column('read_receipts', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('messages', sa.Column('sealed_cover_note', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column('messages', 'sealed_cover_note')  # SQLite 3.35+ drops a column in place, triggers kept
    op.drop_column('cases', 'read_receipts')
    op.drop_index(op.f('ix_private_notes_participant_id'), table_name='private_notes')
    op.drop_index('ix_private_notes_case_created', table_name='private_notes')
    op.drop_table('private_notes')
    op.drop_index(op.f('ix_drafts_case_id'), table_name='drafts')
    op.drop_table('drafts')
