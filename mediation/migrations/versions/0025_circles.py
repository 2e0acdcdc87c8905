"""Circles of Support and Accountability: circles, their volunteers' screening, membership, outer circle,
meetings (attendance, sealed minutes) and concerns (sealed text and escalation)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 16:14:01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'circle_volunteer_screenings',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('applied_on', sa.Date(), nullable=False),
        sa.Column('references_checked_on', sa.Date(), nullable=True),
        sa.Column('police_check_on', sa.Date(), nullable=True),
        sa.Column('interviewed_on', sa.Date(), nullable=True),
        sa.Column('trained_on', sa.Date(), nullable=True),
        sa.Column('updated_by_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_circle_volunteer_screenings_updated_by_id_users')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_circle_volunteer_screenings_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_circle_volunteer_screenings'))
    )
    op.create_table(
        'circles',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('core_member_id', sa.Integer(), nullable=True),
        sa.Column('supervisor_id', sa.Integer(), nullable=True),
        sa.Column('engagement_year', sa.Integer(), nullable=False),
        sa.Column('year_ends_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('renewal_wish', sa.String(length=8), nullable=True),
        sa.Column('renewal_wish_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sealed_request', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_circles_case_id_cases')),
        sa.ForeignKeyConstraint(['core_member_id'], ['users.id'], name=op.f('fk_circles_core_member_id_users')),
        sa.ForeignKeyConstraint(['supervisor_id'], ['users.id'], name=op.f('fk_circles_supervisor_id_users')),
        sa.PrimaryKeyConstraint('case_id', name=op.f('pk_circles'))
    )
    with op.batch_alter_table('circles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circles_core_member_id'), ['core_member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_circles_supervisor_id'), ['supervisor_id'], unique=False)
    op.create_table(
        'circle_meetings',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('planned_by_id', sa.Integer(), nullable=False),
        sa.Column('minutes_due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sealed_minutes', sa.LargeBinary(), nullable=True),
        sa.Column('minutes_by_id', sa.Integer(), nullable=True),
        sa.Column('minutes_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['circles.case_id'], name=op.f('fk_circle_meetings_case_id_circles')),
        sa.ForeignKeyConstraint(['minutes_by_id'], ['users.id'], name=op.f('fk_circle_meetings_minutes_by_id_users')),
        sa.ForeignKeyConstraint(['planned_by_id'], ['users.id'], name=op.f('fk_circle_meetings_planned_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_circle_meetings'))
    )
    with op.batch_alter_table('circle_meetings', schema=None) as batch_op:
        batch_op.create_index('ix_circle_meetings_case_starts', ['case_id', 'starts_at', 'id'], unique=False)
        batch_op.create_index('ix_circle_meetings_due', ['status', 'minutes_due_at', 'id'], unique=False)
    op.create_table(
        'circle_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('volunteer_id', sa.Integer(), nullable=False),
        sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['circles.case_id'], name=op.f('fk_circle_members_case_id_circles')),
        sa.ForeignKeyConstraint(['volunteer_id'], ['users.id'], name=op.f('fk_circle_members_volunteer_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_circle_members')),
        sa.UniqueConstraint('case_id', 'volunteer_id', name=op.f('uq_circle_members_case_id_volunteer_id'))
    )
    with op.batch_alter_table('circle_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circle_members_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_circle_members_volunteer_id'), ['volunteer_id'], unique=False)
    op.create_table(
        'circle_outer_members',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=24), nullable=False),
        sa.Column('sealed_name', sa.LargeBinary(), nullable=False),
        sa.Column('sealed_organisation', sa.LargeBinary(), nullable=True),
        sa.Column('staff_user_id', sa.Integer(), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['circles.case_id'], name=op.f('fk_circle_outer_members_case_id_circles')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_circle_outer_members_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['staff_user_id'], ['users.id'], name=op.f('fk_circle_outer_members_staff_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_circle_outer_members'))
    )
    with op.batch_alter_table('circle_outer_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circle_outer_members_case_id'), ['case_id'], unique=False)
    op.create_table(
        'circle_concerns',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.String(length=32), nullable=False),
        sa.Column('raised_by_id', sa.Integer(), nullable=False),
        sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('serious', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('sealed_text', sa.LargeBinary(), nullable=False),
        sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sealed_escalated_to', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_circle_concerns_acknowledged_by_id_users')),
        sa.ForeignKeyConstraint(['case_id'], ['circles.case_id'], name=op.f('fk_circle_concerns_case_id_circles')),
        sa.ForeignKeyConstraint(['meeting_id'], ['circle_meetings.id'], name=op.f('fk_circle_concerns_meeting_id_circle_meetings')),
        sa.ForeignKeyConstraint(['raised_by_id'], ['users.id'], name=op.f('fk_circle_concerns_raised_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_circle_concerns'))
    )
    with op.batch_alter_table('circle_concerns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circle_concerns_case_id'), ['case_id'], unique=False)
    op.create_table(
        'circle_meeting_attendees',
        sa.Column('meeting_id', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['circle_meetings.id'], name=op.f('fk_circle_meeting_attendees_meeting_id_circle_meetings')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_circle_meeting_attendees_user_id_users')),
        sa.PrimaryKeyConstraint('meeting_id', 'user_id', name=op.f('pk_circle_meeting_attendees'))
    )


def downgrade() -> None:
    op.drop_table('circle_meeting_attendees')
    with op.batch_alter_table('circle_concerns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circle_concerns_case_id'))
    op.drop_table('circle_concerns')
    with op.batch_alter_table('circle_outer_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circle_outer_members_case_id'))
    op.drop_table('circle_outer_members')
    with op.batch_alter_table('circle_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circle_members_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_circle_members_case_id'))
    op.drop_table('circle_members')
    with op.batch_alter_table('circle_meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_circle_meetings_due')
        batch_op.drop_index('ix_circle_meetings_case_starts')
    op.drop_table('circle_meetings')
    with op.batch_alter_table('circles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circles_supervisor_id'))
        batch_op.drop_index(batch_op.f('ix_circles_core_member_id'))
    op.drop_table('circles')
    op.drop_table('circle_volunteer_screenings')
