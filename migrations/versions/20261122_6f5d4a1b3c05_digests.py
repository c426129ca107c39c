"""weekly digests

Revision ID: 6f5d4a1b3c05
Revises: 5e4c3f0a2b04
Create Date: 2026-11-22 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matchmaker.db

revision: str = '6f5d4a1b3c05'
down_revision: str | None = '5e4c3f0a2b04'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('digest_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', matchmaker.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', matchmaker.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.CheckConstraint("kind IN ('resident', 'organizer')", name=op.f('ck_digest_outbox_kind_values')),
    sa.CheckConstraint("status IN ('pending', 'sent', 'empty', 'skipped')", name=op.f('ck_digest_outbox_status_values')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_digest_outbox_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_outbox')),
    sa.UniqueConstraint('user_id', 'kind', 'period', name=op.f('uq_digest_outbox_user_id_kind_period'))
    )
    with op.batch_alter_table('digest_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_digest_outbox_status_created_at', ['status', 'created_at'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_bouncing_at', matchmaker.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('email_bounce_reason', sa.String(length=300), nullable=False, server_default=''))
    # The server default only fills existing rows; the model supplies the value after.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('email_bounce_reason', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_bounce_reason')
        batch_op.drop_column('email_bouncing_at')
    with op.batch_alter_table('digest_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_digest_outbox_status_created_at')
    op.drop_table('digest_outbox')
