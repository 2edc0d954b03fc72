"""FHIR back office: integer ids for EHR resources

Revision ID: 0013_fhir_links
Revises: 0012
Create Date: 2026-12-07 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013_fhir_links'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'fhir_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('resource_type', sa.String(length=40), nullable=False),
        sa.Column('fhir_id', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fhir_links')),
        sa.UniqueConstraint('resource_type', 'fhir_id',
                            name=op.f('uq_fhir_links_resource_type')),
    )


def downgrade() -> None:
    op.drop_table('fhir_links')
