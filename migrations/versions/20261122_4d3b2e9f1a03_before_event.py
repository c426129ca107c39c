"""reminders, check-in and overbooking (follow-through, before and at the event)

Revision ID: 4d3b2e9f1a03
Revises: 3c2a1d8e0f02
Create Date: 2026-11-22 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import matchmaker.db  # noqa: F401

revision: str = '4d3b2e9f1a03'
down_revision: str | None = '3c2a1d8e0f02'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
