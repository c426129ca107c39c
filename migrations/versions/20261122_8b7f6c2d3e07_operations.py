"""operations: the last run of each cron job, and the request id of queued jobs

Revision ID: 8b7f6c2d3e07
Revises: 7a6e5b1c2d06
Create Date: 2026-11-22 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matchmaker.db

revision: str = '8b7f6c2d3e07'
down_revision: str | None = '7a6e5b1c2d06'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cron_runs',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('last_started_at', matchmaker.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_finished_at', matchmaker.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.String(length=16), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_cron_runs'))
    )
    with op.batch_alter_table('queued_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('queued_jobs', schema=None) as batch_op:
        batch_op.drop_column('request_id')
    op.drop_table('cron_runs')
