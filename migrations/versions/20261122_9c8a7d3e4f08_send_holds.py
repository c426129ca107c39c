"""send holds: claims on one-off emails that a killed worker cannot lose

Revision ID: 9c8a7d3e4f08
Revises: 8b7f6c2d3e07
Create Date: 2026-11-22 13:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matchmaker.db

revision: str = '9c8a7d3e4f08'
down_revision: str | None = '8b7f6c2d3e07'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('send_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('release', sa.String(length=200), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('claimed_at', matchmaker.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_send_holds'))
    )
    with op.batch_alter_table('send_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_send_holds_claimed_at'), ['claimed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('send_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_send_holds_claimed_at'))
    op.drop_table('send_holds')
