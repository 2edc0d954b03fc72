"""T (desk, part 1): teams, routing, transfers, availability, tokens

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALL_TEAMS = '\'["billing", "scheduling", "pharmacy", "nurse", "general"]\''


def upgrade() -> None:
    # Accounts made before teams saw every handoff: they keep every team.
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('teams', sa.JSON(), server_default=sa.text(ALL_TEAMS),
                                      nullable=False))
        batch_op.add_column(sa.Column('availability', sa.String(length=10),
                                      server_default='available', nullable=False))
        batch_op.add_column(sa.Column('token_version', sa.Integer(), server_default='0',
                                      nullable=False))
    # Handoffs made before routing are in the general queue.
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team', sa.String(length=20), server_default='general',
                                      nullable=False))
        batch_op.add_column(sa.Column('assigned_to', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('path', sa.JSON(), server_default=sa.text("'[]'"),
                                      nullable=False))
        batch_op.add_column(sa.Column('acknowledged_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('callback_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('transfers', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_handoffs_assigned_to_agents'), 'agents',
                                    ['assigned_to'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_handoffs_assigned_to_agents'),
                                 type_='foreignkey')
        for column in ('transfers', 'callback_at', 'acknowledged_at', 'path', 'queued_at', 'assigned_to',
                       'team'):
            batch_op.drop_column(column)
    with op.batch_alter_table('agents', schema=None) as batch_op:
        for column in ('token_version', 'availability', 'teams'):
            batch_op.drop_column(column)
