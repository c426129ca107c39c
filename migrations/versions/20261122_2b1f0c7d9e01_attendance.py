"""attendance on sign-ups (follow-through)

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


def downgrade() -> None:
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.drop_constraint('attendance_values', type_='check')
        batch_op.drop_column('attendance_source')
        batch_op.drop_column('attendance_marked_at')
        batch_op.drop_column('attendance')
