"""indexes for lists that stay small; public requests held apart from cases

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Each replaced index is the prefix of a composite one that serves the same look-ups and a list's page.
REPLACED = {
    'cases': [('ix_cases_state', ['state']), ('ix_cases_assigned_mediator_id', ['assigned_mediator_id']),
              ('ix_cases_referred_by_id', ['referred_by_id'])],
    'messages': [('ix_messages_state', ['state'])],
}
ADDED = {
    'cases': [('ix_cases_state_updated', ['state', 'updated_at', 'id']),
              ('ix_cases_mediator_state_updated', ['assigned_mediator_id', 'state', 'updated_at', 'id']),
              ('ix_cases_referrer_created', ['referred_by_id', 'created_at', 'id'])],
    'messages': [('ix_messages_state_submitted', ['state', 'submitted_at', 'id'])],
    'users': [('ix_users_role_username', ['role', 'username'])],
}


def upgrade() -> None:
    op.create_table(
        'held_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('receipt_code', sa.String(length=20), nullable=False),
        sa.Column('relationship', sa.String(length=32), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_held_requests_case_id_cases')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_held_requests_decided_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_held_requests')),
        sa.UniqueConstraint('receipt_code', name=op.f('uq_held_requests_receipt_code')),
    )
    op.create_index('ix_held_requests_status_received', 'held_requests', ['status', 'received_at', 'id'])
    for table, indexes in ADDED.items():
        for name, columns in indexes:
            op.create_index(name, table, columns)
    for table, indexes in REPLACED.items():
        for name, _ in indexes:
            op.drop_index(name, table_name=table)


def downgrade() -> None:
    for table, indexes in REPLACED.items():
        for name, columns in indexes:
            op.create_index(name, table, columns)
    for table, indexes in ADDED.items():
        for name, _ in indexes:
            op.drop_index(name, table_name=table)
    op.drop_index('ix_held_requests_status_received', table_name='held_requests')
    op.drop_table('held_requests')
