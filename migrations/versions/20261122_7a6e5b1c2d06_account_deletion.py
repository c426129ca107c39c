"""account deletion

No schema change: a deleted account becomes a tombstone in the columns that
already exist (see matchmaker/account/deletion.py for why a tombstone, and not a
nullable ``signups.user_id``). The revision is kept so the chain stays as
planned and later revisions need not move.

Revision ID: 7a6e5b1c2d06
Revises: 6f5d4a1b3c05
Create Date: 2026-11-22 12:00:00
"""
from collections.abc import Sequence

revision: str = '7a6e5b1c2d06'
down_revision: str | None = '6f5d4a1b3c05'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: deletion overwrites personal columns in place."""


def downgrade() -> None:
    """Nothing to undo."""
