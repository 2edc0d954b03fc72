"""Booking new visits: specialties (referral rules), visit types (lengths, age and sex
limits), referrals on file, the patient's sex, and each booking's visit type and length

Revision ID: 0018_booking
Revises: 0017_episode_language
Create Date: 2026-12-07 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018_booking'
down_revision: str | None = '0017_episode_language'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'specialties',
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('referral_required', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_specialties')),
    )
    op.create_table(
        'visit_types',
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('specialty', sa.String(length=80), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('name_es', sa.String(length=80), nullable=False),
        sa.Column('new_patient_minutes', sa.Integer(), nullable=False),
        sa.Column('established_minutes', sa.Integer(), nullable=False),
        sa.Column('min_age', sa.Integer(), nullable=True),
        sa.Column('max_age', sa.Integer(), nullable=True),
        sa.Column('sex', sa.String(length=10), nullable=True),
        sa.Column('is_default', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['specialty'], ['specialties.name'],
                                name=op.f('fk_visit_types_specialty_specialties')),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_visit_types')),
    )
    op.create_index(op.f('ix_visit_types_specialty'), 'visit_types', ['specialty'])
    op.create_table(
        'referrals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('specialty', sa.String(length=80), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'],
                                name=op.f('fk_referrals_patient_id_patients')),
        sa.ForeignKeyConstraint(['specialty'], ['specialties.name'],
                                name=op.f('fk_referrals_specialty_specialties')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
    )
    op.create_index(op.f('ix_referrals_patient_id'), 'referrals', ['patient_id'])
    with op.batch_alter_table('patients') as batch:
        batch.add_column(sa.Column('sex', sa.String(length=10), nullable=True))
    with op.batch_alter_table('appointments') as batch:
        batch.add_column(sa.Column('visit_type', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('duration_minutes', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('appointments') as batch:
        batch.drop_column('duration_minutes')
        batch.drop_column('visit_type')
    with op.batch_alter_table('patients') as batch:
        batch.drop_column('sex')
    op.drop_index(op.f('ix_referrals_patient_id'), table_name='referrals')
    op.drop_table('referrals')
    op.drop_index(op.f('ix_visit_types_specialty'), table_name='visit_types')
    op.drop_table('visit_types')
    op.drop_table('specialties')
