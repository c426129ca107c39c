"""recommendations (matching)

Revision ID: 3c2a1d8e0f02
Revises: 2b1f0c7d9e01
Create Date: 2026-11-22 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import matchmaker.db  # noqa: F401

revision: str = '3c2a1d8e0f02'
down_revision: str | None = '2b1f0c7d9e01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
