"""F (outreach): schedule, consent per purpose, hold-out

The durable outreach schedule (one row per planned message, unique per dedupe key), consent
per patient, channel and purpose, the hold-out recorded per patient, and the back-office facts
outreach needs: the patient's time zone, when an appointment was booked and confirmed, and
when a prescription's supply runs out. New columns are nullable: older rows have nothing
recorded (the clinic's time zone, reminders planned, no refill prompt).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ('appointment_reminder', 'no_show_followup', 'refill_prompt', 'renewal_prompt',
         'balance_reminder')
STATUSES = ('planned', 'sending', 'sent', 'delivered', 'failed', 'cancelled', 'suppressed')
REASONS = ('no_consent', 'opted_out', 'quiet_hours_expired', 'cap', 'subject_changed',
           'hold_out', 'no_phone')


def _purpose() -> sa.Enum:
    return sa.Enum('care', 'billing', name='purpose', native_enum=False, length=20)


def upgrade() -> None:
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('prescriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supply_ends_on', sa.Date(), nullable=True))

    op.create_table(
        'outreach_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dedupe_key', sa.String(length=200), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum(*KINDS, name='outreachkind', native_enum=False, length=30),
                  nullable=False),
        sa.Column('purpose', _purpose(), nullable=False),
        sa.Column('subject_type', sa.String(length=20), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('offset_label', sa.String(length=20), nullable=False),
        sa.Column('subject_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.Enum(*STATUSES, name='outreachstatus', native_enum=False,
                                    length=20), nullable=False),
        sa.Column('reason', sa.Enum(*REASONS, name='suppressreason', native_enum=False,
                                    length=30), nullable=True),
        sa.Column('waiting_for', sa.String(length=20), nullable=True),
        sa.Column('lease_owner', sa.String(length=80), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=True),
        sa.Column('body', sa.Text(), nullable=True),
        sa.Column('sms_key', sa.String(length=100), nullable=True),
        sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reply', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'],
                                name=op.f('fk_outreach_messages_patient_id_patients')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_messages')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_outreach_messages_dedupe_key')),
    )
    op.create_index('ix_outreach_messages_status_not_before', 'outreach_messages',
                    ['status', 'not_before'])
    op.create_index(op.f('ix_outreach_messages_patient_id'), 'outreach_messages', ['patient_id'])

    op.create_table(
        'outreach_consents',
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('purpose', _purpose(), nullable=False),
        sa.Column('source', sa.String(length=80), nullable=False),
        sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withdrawn_by', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'],
                                name=op.f('fk_outreach_consents_patient_id_patients')),
        sa.PrimaryKeyConstraint('patient_id', 'channel', 'purpose',
                                name=op.f('pk_outreach_consents')),
    )
    op.create_table(
        'outreach_patients',
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('bucket', sa.Integer(), nullable=False),
        sa.Column('held_out', sa.Boolean(), nullable=False),
        sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'],
                                name=op.f('fk_outreach_patients_patient_id_patients')),
        sa.PrimaryKeyConstraint('patient_id', name=op.f('pk_outreach_patients')),
    )


def downgrade() -> None:
    op.drop_table('outreach_patients')
    op.drop_table('outreach_consents')
    op.drop_index(op.f('ix_outreach_messages_patient_id'), table_name='outreach_messages')
    op.drop_index('ix_outreach_messages_status_not_before', table_name='outreach_messages')
    op.drop_table('outreach_messages')
    with op.batch_alter_table('prescriptions', schema=None) as batch_op:
        batch_op.drop_column('supply_ends_on')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('booked_at')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_column('timezone')
