"""encrypted content: case keys, blobs, messages, notes, contact cards, chain heads

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:39:54.085699
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_chain_heads',
    sa.Column('chain', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_chain_heads'))
    )
    op.create_table('blobs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sealed_file_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_blobs_author_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_blobs_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blobs'))
    )
    with op.batch_alter_table('blobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blobs_case_id'), ['case_id'], unique=False)

    op.create_table('case_keys',
    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kek_id', sa.String(length=40), nullable=True),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rewrapped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_keys_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_keys'))
    )
    with op.batch_alter_table('case_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_keys_kek_id'), ['kek_id'], unique=False)

    op.create_table('assessment_notes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('sealed_text', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_assessment_notes_author_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_assessment_notes_case_id_cases')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_assessment_notes_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_notes'))
    )
    with op.batch_alter_table('assessment_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_notes_case_id'), ['case_id'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author_participant_id', sa.Integer(), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=False),
    sa.Column('recipient_side', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('sealed_body', sa.LargeBinary(), nullable=True),
    sa.Column('blob_id', sa.String(length=32), nullable=True),
    sa.Column('sealed_redaction', sa.LargeBinary(), nullable=True),
    sa.Column('delivered_redacted', sa.Boolean(), nullable=False),
    sa.Column('sealed_review_note', sa.LargeBinary(), nullable=True),
    sa.Column('withhold_reason', sa.String(length=32), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_participant_id'], ['participants.id'], name=op.f('fk_messages_author_participant_id_participants')),
    sa.ForeignKeyConstraint(['blob_id'], ['blobs.id'], name=op.f('fk_messages_blob_id_blobs')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_messages_case_id_cases')),
    sa.ForeignKeyConstraint(['read_by_id'], ['users.id'], name=op.f('fk_messages_read_by_id_users')),
    sa.ForeignKeyConstraint(['written_by_id'], ['users.id'], name=op.f('fk_messages_written_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_author_participant_id'), ['author_participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_state'), ['state'], unique=False)

    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sealed_contact', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('contact_revision', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('contact_recorded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_participants_contact_recorded_by_id_users'), 'users',
                                    ['contact_recorded_by_id'], ['id'])


    _protect_delivered_messages()


# Delivered messages can never be edited or deleted by anyone: the database refuses it, not only the code.
_FROZEN = ("case_id", "author_participant_id", "written_by_id", "recipient_side", "kind", "revision",
           "sealed_body", "blob_id", "sealed_redaction", "delivered_redacted")
_DELIVERED = "('delivered', 'read')"


def _protect_delivered_messages() -> None:
    if op.get_bind().dialect.name == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FROZEN)
        op.execute(
            "CREATE TRIGGER messages_delivered_frozen BEFORE UPDATE ON messages "
            f"WHEN OLD.state IN {_DELIVERED} AND ({changed} OR NEW.state NOT IN {_DELIVERED} "
            "OR (OLD.state = 'read' AND NEW.state != 'read')) "
            "BEGIN SELECT RAISE(ABORT, 'a delivered message cannot be changed'); END;")
        op.execute(
            f"CREATE TRIGGER messages_delivered_kept BEFORE DELETE ON messages WHEN OLD.state IN {_DELIVERED} "
            "BEGIN SELECT RAISE(ABORT, 'a delivered message cannot be deleted'); END;")
        return
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FROZEN)
    op.execute(
        "CREATE FUNCTION messages_delivered_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'a delivered message cannot be changed or deleted'; END; $$;")
    op.execute(
        "CREATE TRIGGER messages_delivered_frozen BEFORE UPDATE ON messages FOR EACH ROW "
        f"WHEN (OLD.state IN {_DELIVERED} AND ({changed} OR NEW.state NOT IN {_DELIVERED} "
        "OR (OLD.state = 'read' AND NEW.state <> 'read'))) EXECUTE FUNCTION messages_delivered_frozen();")
    op.execute(
        f"CREATE TRIGGER messages_delivered_kept BEFORE DELETE ON messages FOR EACH ROW WHEN (OLD.state IN {_DELIVERED}) "
        "EXECUTE FUNCTION messages_delivered_frozen();")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER messages_delivered_frozen")
        op.execute("DROP TRIGGER messages_delivered_kept")
    else:
        op.execute("DROP TRIGGER messages_delivered_frozen ON messages")
        op.execute("DROP TRIGGER messages_delivered_kept ON messages")
        op.execute("DROP FUNCTION messages_delivered_frozen()")
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_participants_contact_recorded_by_id_users'), type_='foreignkey')
        batch_op.drop_column('contact_recorded_by_id')
        batch_op.drop_column('contact_revision')
        batch_op.drop_column('sealed_contact')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_state'))
        batch_op.drop_index(batch_op.f('ix_messages_case_id'))
        batch_op.drop_index(batch_op.f('ix_messages_author_participant_id'))

    op.drop_table('messages')
    with op.batch_alter_table('assessment_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_notes_case_id'))

    op.drop_table('assessment_notes')
    with op.batch_alter_table('case_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_keys_kek_id'))

    op.drop_table('case_keys')
    with op.batch_alter_table('blobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blobs_case_id'))

    op.drop_table('blobs')
    op.drop_table('audit_chain_heads')
