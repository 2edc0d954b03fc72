"""Saved replies in the conversation's language: a reply's text in languages other than English

Replies saved before have English only.

Revision ID: 0018_saved_reply_languages
Revises: 0017_episode_language
Create Date: 2026-12-07 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018_saved_reply_languages'
down_revision: str | None = '0017_episode_language'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('saved_replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('texts', sa.JSON(), server_default=sa.text("'{}'"),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('saved_replies', schema=None) as batch_op:
        batch_op.drop_column('texts')
