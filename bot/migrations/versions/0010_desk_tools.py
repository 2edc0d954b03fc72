"""T (desk, part 2): saved replies, notes, follow-ups

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'saved_replies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team', sa.String(length=40), nullable=True),
        sa.Column('shortcut', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by'], ['agents.id'],
                                name=op.f('fk_saved_replies_created_by_agents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_replies')),
    )
    with op.batch_alter_table('saved_replies', schema=None) as batch_op:
        batch_op.create_index('ix_saved_replies_team_shortcut', ['team', 'shortcut'])
    op.create_table(
        'handoff_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('handoff_id', sa.Integer(), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['agent_id'], ['agents.id'],
                                name=op.f('fk_handoff_notes_agent_id_agents')),
        sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'],
                                name=op.f('fk_handoff_notes_handoff_id_handoffs')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff_notes')),
    )
    with op.batch_alter_table('handoff_notes', schema=None) as batch_op:
        batch_op.create_index('ix_handoff_notes_handoff_at', ['handoff_id', 'at'])
    op.create_table(
        'follow_ups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('handoff_id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.String(length=200), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=True),
        sa.Column('team', sa.String(length=40), nullable=False),
        sa.Column('what', sa.String(length=500), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('send_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('done_by', sa.Integer(), nullable=True),
        sa.Column('blocked_reason', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['created_by'], ['agents.id'],
                                name=op.f('fk_follow_ups_created_by_agents')),
        sa.ForeignKeyConstraint(['done_by'], ['agents.id'],
                                name=op.f('fk_follow_ups_done_by_agents')),
        sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'],
                                name=op.f('fk_follow_ups_handoff_id_handoffs')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_follow_ups_team_status_due', ['team', 'status', 'due_at'])
        batch_op.create_index('ix_follow_ups_status_send_at', ['status', 'send_at'])


def downgrade() -> None:
    for table, index in (('follow_ups', 'ix_follow_ups_status_send_at'),
                         ('follow_ups', 'ix_follow_ups_team_status_due'),
                         ('handoff_notes', 'ix_handoff_notes_handoff_at'),
                         ('saved_replies', 'ix_saved_replies_team_shortcut')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)
    op.drop_table('follow_ups')
    op.drop_table('handoff_notes')
    op.drop_table('saved_replies')
