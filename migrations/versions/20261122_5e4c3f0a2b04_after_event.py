"""thank-yous, milestones, buddies (follow-through, after the event)

Revision ID: 5e4c3f0a2b04
Revises: 4d3b2e9f1a03
Create Date: 2026-11-22 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matchmaker.db

revision: str = '5e4c3f0a2b04'
down_revision: str | None = '4d3b2e9f1a03'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('followup_sent_at', matchmaker.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('followup_kind', sa.String(length=16), nullable=False, server_default=''))
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.alter_column('followup_kind', server_default=None)
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('buddy_enabled', sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.alter_column('buddy_enabled', server_default=None)

    op.create_table('milestone_awards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('milestone', sa.Integer(), nullable=False),
    sa.Column('signup_id', sa.Integer(), nullable=True),
    sa.Column('created_at', matchmaker.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('milestone IN (1, 3, 5, 10)', name=op.f('ck_milestone_awards_milestone_values')),
    sa.ForeignKeyConstraint(['signup_id'], ['signups.id'], name=op.f('fk_milestone_awards_signup_id_signups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_milestone_awards_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone_awards')),
    sa.UniqueConstraint('user_id', 'milestone', name=op.f('uq_milestone_awards_user_id_milestone'))
    )
    op.create_table('reflections',
    sa.Column('signup_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('feeling', sa.Integer(), nullable=False),
    sa.Column('answered_at', matchmaker.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('feeling >= 1 AND feeling <= 5', name=op.f('ck_reflections_feeling_range')),
    sa.ForeignKeyConstraint(['signup_id'], ['signups.id'], name=op.f('fk_reflections_signup_id_signups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reflections_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('signup_id', name=op.f('pk_reflections'))
    )
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.create_index('ix_reflections_user_id', ['user_id'], unique=False)
    op.create_table('buddy_intros',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurrence_id', sa.Integer(), nullable=False),
    sa.Column('newcomer_id', sa.Integer(), nullable=False),
    sa.Column('regular_id', sa.Integer(), nullable=False),
    sa.Column('regular_times', sa.Integer(), nullable=False),
    sa.Column('created_at', matchmaker.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('newcomer_sent_at', matchmaker.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('regular_sent_at', matchmaker.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['newcomer_id'], ['users.id'], name=op.f('fk_buddy_intros_newcomer_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['occurrence_id'], ['occurrences.id'], name=op.f('fk_buddy_intros_occurrence_id_occurrences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['regular_id'], ['users.id'], name=op.f('fk_buddy_intros_regular_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buddy_intros')),
    sa.UniqueConstraint('occurrence_id', 'newcomer_id', 'regular_id', name=op.f('uq_buddy_intros_occurrence_id_newcomer_id_regular_id'))
    )
    with op.batch_alter_table('buddy_intros', schema=None) as batch_op:
        batch_op.create_index('ix_buddy_intros_newcomer_id', ['newcomer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('buddy_intros', schema=None) as batch_op:
        batch_op.drop_index('ix_buddy_intros_newcomer_id')
    op.drop_table('buddy_intros')
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.drop_index('ix_reflections_user_id')
    op.drop_table('reflections')
    op.drop_table('milestone_awards')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('buddy_enabled')
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.drop_column('followup_kind')
        batch_op.drop_column('followup_sent_at')
