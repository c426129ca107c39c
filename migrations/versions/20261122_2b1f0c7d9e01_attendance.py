"""attendance on sign-ups; email preferences on profiles

Revision ID: 2b1f0c7d9e01
Revises: c0f805548990
Create Date: 2026-11-22 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matchmaker.db

revision: str = '2b1f0c7d9e01'
down_revision: str | None = 'c0f805548990'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attendance', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('attendance_marked_at', matchmaker.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attendance_source', sa.String(length=16), nullable=False, server_default=''))
        batch_op.create_check_constraint(
            'attendance_values', "attendance IS NULL OR attendance IN ('attended', 'no_show')")
    # The server default only fills existing rows; the model supplies the value after.
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.alter_column('attendance_source', server_default=None)
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify_strong_matches', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('buddy_opt_in', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('digest_frequency', sa.String(length=16), nullable=False, server_default='weekly'))
        batch_op.add_column(sa.Column('digest_weekday', sa.Integer(), nullable=False, server_default='6'))
        batch_op.add_column(sa.Column('digest_hour', sa.Integer(), nullable=False, server_default='17'))
        batch_op.create_check_constraint(
            'digest_frequency_values', "digest_frequency IN ('weekly', 'fortnightly', 'off')")
        batch_op.create_check_constraint(
            'digest_time_range',
            'digest_weekday >= 0 AND digest_weekday <= 6 AND digest_hour >= 0 AND digest_hour <= 23')
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        for column in ('notify_strong_matches', 'buddy_opt_in', 'digest_frequency',
                       'digest_weekday', 'digest_hour'):
            batch_op.alter_column(column, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.drop_constraint('digest_time_range', type_='check')
        batch_op.drop_constraint('digest_frequency_values', type_='check')
        for column in ('digest_hour', 'digest_weekday', 'digest_frequency', 'buddy_opt_in',
                       'notify_strong_matches'):
            batch_op.drop_column(column)
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.drop_constraint('attendance_values', type_='check')
        batch_op.drop_column('attendance_source')
        batch_op.drop_column('attendance_marked_at')
        batch_op.drop_column('attendance')
