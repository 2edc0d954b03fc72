"""T (desk, part 2): saved replies, notes, follow-ups

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 09:00:00.000000
"""

from collections.abc import Sequence

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Placeholder in the chain, kept so the migrations stay one line of revisions.
    pass


def downgrade() -> None:
    pass
