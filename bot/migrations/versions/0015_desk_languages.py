"""Language access at the desk: a handoff's language, the languages an agent speaks

Handoffs made before are English conversations; every agent on file before speaks English.

Revision ID: 0015_desk_languages
Revises: 0014_preferred_language
Create Date: 2026-12-07 16:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015_desk_languages'
down_revision: str | None = '0014_preferred_language'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), server_default='en',
                                      nullable=False))
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('languages', sa.JSON(), server_default=sa.text("'[\"en\"]'"),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_column('languages')
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_column('language')
