"""reminders, check-in and overbooking (follow-through, before and at the event)

Revision ID: 4d3b2e9f1a03
Revises: 3c2a1d8e0f02
Create Date: 2026-11-22 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matchmaker.db

revision: str = '4d3b2e9f1a03'
down_revision: str | None = '3c2a1d8e0f02'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEATS_OLD = 'confirmed_count >= 0 AND confirmed_count <= capacity'
_SEATS_NEW = 'confirmed_count >= 0 AND confirmed_count <= capacity + overbook_allowance'


def upgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_early_hours', sa.Integer(), nullable=False,
                                      server_default='24'))
        batch_op.add_column(sa.Column('reminder_late_minutes', sa.Integer(), nullable=False,
                                      server_default='120'))
        batch_op.create_check_constraint(
            'reminder_early_range', 'reminder_early_hours >= 0 AND reminder_early_hours <= 168')
        batch_op.create_check_constraint(
            'reminder_late_range', 'reminder_late_minutes >= 0 AND reminder_late_minutes <= 720')
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allow_overbooking', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('occurrences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overbook_allowance', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('checkin_code', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('attendance_ask_sent_at',
                                      matchmaker.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_occurrences_checkin_code'),
                                          ['checkin_code'])
        batch_op.drop_constraint('seats_within_capacity', type_='check')
        batch_op.create_check_constraint('seats_within_capacity', _SEATS_NEW)
        batch_op.create_check_constraint('overbook_allowance_positive', 'overbook_allowance >= 0')
    with op.batch_alter_table('signups', schema=None) as batch_op:
        for column in ('reminder_early_sent_at', 'reminder_late_sent_at',
                       'attendance_ask_sent_at'):
            batch_op.add_column(sa.Column(column, matchmaker.db.UTCDateTime(timezone=True),
                                          nullable=True))
    # The server defaults only fill existing rows; the models supply the value after.
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.alter_column('reminder_early_hours', server_default=None)
        batch_op.alter_column('reminder_late_minutes', server_default=None)
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.alter_column('allow_overbooking', server_default=None)
    with op.batch_alter_table('occurrences', schema=None) as batch_op:
        batch_op.alter_column('overbook_allowance', server_default=None)


def downgrade() -> None:
    # Overbooked occurrences cannot fit the old constraint: give them the places
    # they handed out, so no confirmed person loses their seat on a downgrade.
    op.execute('UPDATE occurrences SET capacity = confirmed_count '
               'WHERE confirmed_count > capacity')
    with op.batch_alter_table('signups', schema=None) as batch_op:
        for column in ('attendance_ask_sent_at', 'reminder_late_sent_at',
                       'reminder_early_sent_at'):
            batch_op.drop_column(column)
    with op.batch_alter_table('occurrences', schema=None) as batch_op:
        batch_op.drop_constraint('overbook_allowance_positive', type_='check')
        batch_op.drop_constraint('seats_within_capacity', type_='check')
        batch_op.create_check_constraint('seats_within_capacity', _SEATS_OLD)
        batch_op.drop_constraint(batch_op.f('uq_occurrences_checkin_code'), type_='unique')
        batch_op.drop_column('attendance_ask_sent_at')
        batch_op.drop_column('checkin_code')
        batch_op.drop_column('overbook_allowance')
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.drop_column('allow_overbooking')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_constraint('reminder_late_range', type_='check')
        batch_op.drop_constraint('reminder_early_range', type_='check')
        batch_op.drop_column('reminder_late_minutes')
        batch_op.drop_column('reminder_early_hours')
