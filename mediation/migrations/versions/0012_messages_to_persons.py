"""messages to persons: each message is addressed to one participant; what is shared with a support person

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 21:30:00

``recipient_side`` stays (history, and dropping it would rebuild the table under its triggers); reading goes by
``recipient_participant_id``, backfilled with the lowest-numbered primary person or representative of that side.
The database keeps refusing changes to a delivered message, now to its recipient person too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_BEFORE = ("case_id", "author_participant_id", "written_by_id", "recipient_side", "kind", "revision",
           "sealed_body", "blob_id", "sealed_redaction", "delivered_redacted")
_AFTER = (*_BEFORE, "recipient_participant_id")
_DELIVERED = "('delivered', 'read')"

_BACKFILL = """
UPDATE messages SET recipient_participant_id = (
    SELECT MIN(p.id) FROM participants p
    WHERE p.case_id = messages.case_id AND p.side = messages.recipient_side
      AND p.role IN ('primary', 'representative'))
"""


def _drop_protection() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS messages_delivered_frozen")
        op.execute("DROP TRIGGER IF EXISTS messages_delivered_kept")
    else:
        op.execute("DROP TRIGGER IF EXISTS messages_delivered_frozen ON messages")
        op.execute("DROP TRIGGER IF EXISTS messages_delivered_kept ON messages")


def _protect(frozen: tuple[str, ...]) -> None:
    """Delivered messages can never be edited or deleted (as in 0003, over the given columns)."""
    if op.get_bind().dialect.name == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in frozen)
        op.execute(
            "CREATE TRIGGER messages_delivered_frozen BEFORE UPDATE ON messages "
            f"WHEN OLD.state IN {_DELIVERED} AND ({changed} OR NEW.state NOT IN {_DELIVERED} "
            "OR (OLD.state = 'read' AND NEW.state != 'read')) "
            "BEGIN SELECT RAISE(ABORT, 'a delivered message cannot be changed'); END;")
        op.execute(
            f"CREATE TRIGGER messages_delivered_kept BEFORE DELETE ON messages WHEN OLD.state IN {_DELIVERED} "
            "BEGIN SELECT RAISE(ABORT, 'a delivered message cannot be deleted'); END;")
        return
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in frozen)
    op.execute(
        "CREATE TRIGGER messages_delivered_frozen BEFORE UPDATE ON messages FOR EACH ROW "
        f"WHEN (OLD.state IN {_DELIVERED} AND ({changed} OR NEW.state NOT IN {_DELIVERED} "
        "OR (OLD.state = 'read' AND NEW.state <> 'read'))) EXECUTE FUNCTION messages_delivered_frozen();")
    op.execute(
        f"CREATE TRIGGER messages_delivered_kept BEFORE DELETE ON messages FOR EACH ROW "
        f"WHEN (OLD.state IN {_DELIVERED}) EXECUTE FUNCTION messages_delivered_frozen();")


def upgrade() -> None:
    _drop_protection()
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_participant_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_messages_recipient_participant_id'), ['recipient_participant_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_messages_recipient_participant_id_participants'),
                                    'participants', ['recipient_participant_id'], ['id'])
    op.execute(_BACKFILL)
    _protect(_AFTER)

    op.create_table('message_shares',
    sa.Column('message_id', sa.String(length=32), nullable=False),
    sa.Column('support_participant_id', sa.Integer(), nullable=False),
    sa.Column('shared_by_id', sa.Integer(), nullable=False),
    sa.Column('shared_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_shares_message_id_messages')),
    sa.ForeignKeyConstraint(['shared_by_id'], ['users.id'], name=op.f('fk_message_shares_shared_by_id_users')),
    sa.ForeignKeyConstraint(['support_participant_id'], ['participants.id'],
                            name=op.f('fk_message_shares_support_participant_id_participants')),
    sa.PrimaryKeyConstraint('message_id', 'support_participant_id', name=op.f('pk_message_shares'))
    )
    with op.batch_alter_table('message_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_shares_support_participant_id'), ['support_participant_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('message_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_shares_support_participant_id'))
    op.drop_table('message_shares')

    _drop_protection()
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_messages_recipient_participant_id_participants'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_messages_recipient_participant_id'))
        batch_op.drop_column('recipient_participant_id')
    _protect(_BEFORE)
