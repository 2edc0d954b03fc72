"""Language access: the patient's preferred language on the record, with its source

Every patient on file before this is spoken to in English, as the record had it: `en` from
`record`. The language is an ISO 639-1 code (`en`, `es`); the source says whether the
health system's record, the patient's own choice in a conversation or what they wrote in
put it there.

Revision ID: 0014_preferred_language
Revises: 0013_fhir_links
Create Date: 2026-12-07 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014_preferred_language'
down_revision: str | None = '0013_fhir_links'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferred_language', sa.String(length=8),
                                      server_default='en', nullable=False))
        batch_op.add_column(sa.Column(
            'preferred_language_source',
            sa.Enum('record', 'patient', 'detected', name='languagesource', native_enum=False,
                    length=20),
            server_default='record', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_column('preferred_language_source')
        batch_op.drop_column('preferred_language')
