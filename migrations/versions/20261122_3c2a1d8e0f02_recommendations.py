"""recommendations (matching)

Revision ID: 3c2a1d8e0f02
Revises: 2b1f0c7d9e01
Create Date: 2026-11-22 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matchmaker.db

revision: str = '3c2a1d8e0f02'
down_revision: str | None = '2b1f0c7d9e01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('recommendations',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('occurrence_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('waitlist', sa.Boolean(), nullable=False),
    sa.Column('computed_at', matchmaker.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recommendations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'occurrence_id', name=op.f('pk_recommendations'))
    )
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.create_index('ix_recommendations_user_id_rank', ['user_id', 'rank'], unique=False)

    op.create_table('match_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('occurrence_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', matchmaker.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', matchmaker.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['occurrence_id'], ['occurrences.id'], name=op.f('fk_match_alerts_occurrence_id_occurrences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_match_alerts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_alerts')),
    sa.UniqueConstraint('user_id', 'occurrence_id', name=op.f('uq_match_alerts_user_id_occurrence_id'))
    )
    with op.batch_alter_table('match_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_match_alerts_user_id_sent_at', ['user_id', 'sent_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('match_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_match_alerts_user_id_sent_at')
    op.drop_table('match_alerts')
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.drop_index('ix_recommendations_user_id_rank')
    op.drop_table('recommendations')
