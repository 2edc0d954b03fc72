"""H (production): durable inbound, verification counters

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Inbound texts kept durably before Twilio is answered (channels.models.InboundSms).
    op.create_table(
        'sms_inbound',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_sid', sa.String(length=64), nullable=False),
        sa.Column('from_number', sa.String(length=20), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('num_media', sa.Integer(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_inbound')),
        sa.UniqueConstraint('message_sid', name=op.f('uq_sms_inbound_message_sid')),
    )
    with op.batch_alter_table('sms_inbound') as batch:
        batch.create_index(batch.f('ix_sms_inbound_from_number'), ['from_number'])
        batch.create_index(batch.f('ix_sms_inbound_handled_at'), ['handled_at'])


def downgrade() -> None:
    with op.batch_alter_table('sms_inbound') as batch:
        batch.drop_index(batch.f('ix_sms_inbound_handled_at'))
        batch.drop_index(batch.f('ix_sms_inbound_from_number'))
    op.drop_table('sms_inbound')
