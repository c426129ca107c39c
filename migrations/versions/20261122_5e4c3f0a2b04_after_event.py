"""thank-yous, milestones, buddies (follow-through, after the event)

Revision ID: 5e4c3f0a2b04
Revises: 4d3b2e9f1a03
Create Date: 2026-11-22 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import matchmaker.db  # noqa: F401

revision: str = '5e4c3f0a2b04'
down_revision: str | None = '4d3b2e9f1a03'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
