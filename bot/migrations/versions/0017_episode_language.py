"""Insights by language: the language an episode was held in

Episodes recorded before are English.

Revision ID: 0017_episode_language
Revises: 0016_saved_reply_rules
Create Date: 2026-12-07 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017_episode_language'
down_revision: str | None = '0016_saved_reply_rules'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('insight_episodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), server_default='en',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('insight_episodes', schema=None) as batch_op:
        batch_op.drop_column('language')
