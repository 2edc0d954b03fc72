"""Saved replies: the condition a reply needs to be offered, and who changed it last

Revision ID: 0016_saved_reply_rules
Revises: 0015_desk_languages
Create Date: 2026-12-07 16:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016_saved_reply_rules'
down_revision: str | None = '0015_desk_languages'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('saved_replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('condition', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('updated_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(op.f('fk_saved_replies_updated_by_agents'), 'agents',
                                    ['updated_by'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('saved_replies', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_saved_replies_updated_by_agents'), type_='foreignkey')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('updated_by')
        batch_op.drop_column('condition')
