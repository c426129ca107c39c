"""attendance on sign-ups; email preferences on profiles; local start of occurrences

Revision ID: 2b1f0c7d9e01
Revises: c0f805548990
Create Date: 2026-11-22 09:00:00
"""
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

import matchmaker.db

revision: str = '2b1f0c7d9e01'
down_revision: str | None = 'c0f805548990'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _backfill_local_start() -> None:
    """Fill occurrences.local_weekday/local_minute from each start and its zone."""
    from matchmaker.models.opportunity import local_start

    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT occurrences.id, occurrences.starts_at, opportunities.timezone "
        "FROM occurrences JOIN opportunities ON opportunities.id = occurrences.opportunity_id"
    )).all()
    start_type = matchmaker.db.UTCDateTime()
    dialect = conn.dialect
    updates = []
    for occ_id, starts_at, zone in rows:
        if isinstance(starts_at, str):  # SQLite hands back text
            starts_at = datetime.fromisoformat(starts_at)
        starts_at = start_type.process_result_value(starts_at, dialect)
        weekday, minute = local_start(starts_at, zone)
        updates.append({"id": occ_id, "w": weekday, "m": minute})
    if updates:
        conn.execute(sa.text("UPDATE occurrences SET local_weekday = :w, local_minute = :m "
                             "WHERE id = :id"), updates)


def upgrade() -> None:
    with op.batch_alter_table('occurrences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('local_weekday', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('local_minute', sa.SmallInteger(), nullable=True))
    _backfill_local_start()
    with op.batch_alter_table('occurrences', schema=None) as batch_op:
        batch_op.alter_column('local_weekday', existing_type=sa.SmallInteger(), nullable=False)
        batch_op.alter_column('local_minute', existing_type=sa.SmallInteger(), nullable=False)
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
    with op.batch_alter_table('occurrences', schema=None) as batch_op:
        batch_op.drop_column('local_minute')
        batch_op.drop_column('local_weekday')
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
