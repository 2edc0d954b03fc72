"""G (outcomes): episodes and events

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "insight_episodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("origin", sa.String(10), nullable=False),
        sa.Column("outreach_message", sa.String(80), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("verification_method", sa.String(40), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("intents", sa.JSON(), nullable=False),
        sa.Column("tasks", sa.JSON(), nullable=False),
        sa.Column("failed_tasks", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_answer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=True),
        sa.Column("handoff_reason", sa.String(40), nullable=True),
        sa.Column("handoff_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_agent_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disposition", sa.String(20), nullable=True),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("fallbacks", sa.Integer(), nullable=False),
        sa.Column("low_confidence", sa.Integer(), nullable=False),
        sa.Column("repeats", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_episodes")),
    )
    with op.batch_alter_table("insight_episodes") as batch:
        batch.create_index("ix_insight_episodes_conversation_last",
                           ["conversation_id", "last_message_at"])
        batch.create_index("ix_insight_episodes_started", ["started_at"])
        batch.create_index("ix_insight_episodes_patient", ["patient_id"])
    op.create_table(
        "insight_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["episode_id"], ["insight_episodes.id"], ondelete="CASCADE",
                                name=op.f("fk_insight_events_episode_id_insight_episodes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_events")),
    )
    with op.batch_alter_table("insight_events") as batch:
        batch.create_index("ix_insight_events_episode_at", ["episode_id", "at"])
        batch.create_index("ix_insight_events_kind_at", ["kind", "at"])


def downgrade() -> None:
    with op.batch_alter_table("insight_events") as batch:
        batch.drop_index("ix_insight_events_kind_at")
        batch.drop_index("ix_insight_events_episode_at")
    op.drop_table("insight_events")
    with op.batch_alter_table("insight_episodes") as batch:
        batch.drop_index("ix_insight_episodes_patient")
        batch.drop_index("ix_insight_episodes_started")
        batch.drop_index("ix_insight_episodes_conversation_last")
    op.drop_table("insight_episodes")
