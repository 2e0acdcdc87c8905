"""organisations, the partner directory and referrals

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 19:25:13.112687
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    organisations = op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('slug', name=op.f('uq_organisations_slug'))
    )
    # Every account, case and held request so far belongs to the first organisation (the server default 1).
    op.bulk_insert(organisations, [{"id": 1, "slug": "main", "name": "Main organisation",
                                    "created_at": datetime.now(UTC)}])
    if op.get_bind().dialect.name == "postgresql":  # an explicit id does not move the sequence
        op.execute("SELECT setval(pg_get_serial_sequence('organisations', 'id'), 1)")
    op.create_table('partner_services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('custody_stage', sa.String(length=16), nullable=False),
    sa.Column('area', sa.String(length=80), nullable=False),
    sa.Column('area_key', sa.String(length=80), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_partner_services_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_services'))
    )
    with op.batch_alter_table('partner_services', schema=None) as batch_op:
        batch_op.create_index('ix_partner_services_kind_area', ['kind', 'area_key', 'id'], unique=False)
        batch_op.create_index('ix_partner_services_organisation', ['organisation_id', 'id'], unique=False)

    op.create_table('partner_service_languages',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['partner_services.id'], name=op.f('fk_partner_service_languages_service_id_partner_services')),
    sa.PrimaryKeyConstraint('service_id', 'language', name=op.f('pk_partner_service_languages'))
    )
    with op.batch_alter_table('partner_service_languages', schema=None) as batch_op:
        batch_op.create_index('ix_partner_service_languages_language', ['language', 'service_id'], unique=False)

    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('workflow_version', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('referring_organisation_id', sa.Integer(), nullable=False),
    sa.Column('referring_worker_id', sa.Integer(), nullable=False),
    sa.Column('receiving_organisation_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('receiving_worker_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('consent_version', sa.String(length=32), nullable=True),
    sa.Column('consent_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consent_withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('withdrawn_by', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_referrals_case_id_cases')),
    sa.ForeignKeyConstraint(['person_id'], ['users.id'], name=op.f('fk_referrals_person_id_users')),
    sa.ForeignKeyConstraint(['receiving_organisation_id'], ['organisations.id'], name=op.f('fk_referrals_receiving_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['receiving_worker_id'], ['users.id'], name=op.f('fk_referrals_receiving_worker_id_users')),
    sa.ForeignKeyConstraint(['referring_organisation_id'], ['organisations.id'], name=op.f('fk_referrals_referring_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['referring_worker_id'], ['users.id'], name=op.f('fk_referrals_referring_worker_id_users')),
    sa.ForeignKeyConstraint(['service_id'], ['partner_services.id'], name=op.f('fk_referrals_service_id_partner_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
    sa.UniqueConstraint('reference', name=op.f('uq_referrals_reference'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_person', ['person_id', 'id'], unique=False)
        batch_op.create_index('ix_referrals_receiving_state_updated', ['receiving_organisation_id', 'state', 'updated_at', 'id'], unique=False)
        batch_op.create_index('ix_referrals_referring_updated', ['referring_organisation_id', 'updated_at', 'id'], unique=False)
        batch_op.create_index('ix_referrals_worker_updated', ['referring_worker_id', 'updated_at', 'id'], unique=False)

    op.create_table('referral_fields',
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('consented', sa.Boolean(), nullable=False),
    sa.Column('sealed_value', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_fields_referral_id_referrals')),
    sa.PrimaryKeyConstraint('referral_id', 'field', name=op.f('pk_referral_fields'))
    )
    op.create_table('referral_keys',
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=16), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kek_id', sa.String(length=40), nullable=True),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_referral_keys_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_keys_referral_id_referrals')),
    sa.PrimaryKeyConstraint('referral_id', 'side', name=op.f('pk_referral_keys'))
    )
    with op.batch_alter_table('referral_keys', schema=None) as batch_op:
        batch_op.create_index('ix_referral_keys_kek', ['kek_id'], unique=False)

    op.create_table('referral_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sealed_body', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_referral_notes_author_id_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_notes_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_notes'))
    )
    with op.batch_alter_table('referral_notes', schema=None) as batch_op:
        batch_op.create_index('ix_referral_notes_referral', ['referral_id', 'id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_index('ix_cases_organisation_state_updated', ['organisation_id', 'state', 'updated_at', 'id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cases_organisation_id_organisations'), 'organisations', ['organisation_id'], ['id'])

    with op.batch_alter_table('held_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_held_requests_organisation_id_organisations'), 'organisations', ['organisation_id'], ['id'])

    # A process records every organisation's active KEK (mediation.heartbeat).
    with op.batch_alter_table('process_heartbeats', schema=None) as batch_op:
        batch_op.alter_column('active_kek', existing_type=sa.String(length=40), type_=sa.Text(),
                              existing_nullable=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_index('ix_users_organisation_role_username', ['organisation_id', 'role', 'username'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_organisation_id_organisations'), 'organisations', ['organisation_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('process_heartbeats', schema=None) as batch_op:
        batch_op.alter_column('active_kek', existing_type=sa.Text(), type_=sa.String(length=40),
                              existing_nullable=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_index('ix_users_organisation_role_username')
        batch_op.drop_column('organisation_id')

    with op.batch_alter_table('held_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_held_requests_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_column('organisation_id')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_index('ix_cases_organisation_state_updated')
        batch_op.drop_column('organisation_id')

    with op.batch_alter_table('referral_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_notes_referral')

    op.drop_table('referral_notes')
    with op.batch_alter_table('referral_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_keys_kek')

    op.drop_table('referral_keys')
    op.drop_table('referral_fields')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_worker_updated')
        batch_op.drop_index('ix_referrals_referring_updated')
        batch_op.drop_index('ix_referrals_receiving_state_updated')
        batch_op.drop_index('ix_referrals_person')

    op.drop_table('referrals')
    with op.batch_alter_table('partner_service_languages', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_service_languages_language')

    op.drop_table('partner_service_languages')
    with op.batch_alter_table('partner_services', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_services_organisation')
        batch_op.drop_index('ix_partner_services_kind_area')

    op.drop_table('partner_services')
    op.drop_table('organisations')
