"""billing reasons: why a payment plan is held, what a charge's patient part is for

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows hold NULL: no reason recorded. The dialogue then says what it said before
    # (no hold: a plan depends on the eligibility flag and the balance; no share reason: the
    # charge is explained without a "because").
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'payment_plan_hold',
            sa.Enum('in_collections', 'plan_defaulted', 'assistance_pending', 'under_review',
                    name='paymentplanhold', native_enum=False, length=30),
            nullable=True))
    with op.batch_alter_table('charges', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'patient_share_reason',
            sa.Enum('copay', 'deductible', 'coinsurance', 'not_covered', 'self_pay',
                    name='patientsharereason', native_enum=False, length=20),
            nullable=True))
        batch_op.add_column(sa.Column(
            'denial_reason',
            sa.Enum('out_of_network', 'not_medically_necessary', 'no_prior_authorization',
                    'not_a_covered_service', 'coverage_inactive',
                    name='denialreason', native_enum=False, length=30),
            nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('charges', schema=None) as batch_op:
        batch_op.drop_column('denial_reason')
        batch_op.drop_column('patient_share_reason')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_column('payment_plan_hold')
