"""Small helpers every back-office verb shares: ownership checks, references, masking."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.backoffice.errors import PatientNotFound
from bot.backoffice.models import Patient
from bot.clock import clinic_tz

# No I, L, O, 0 or 1: references are read aloud and typed back from SMS.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def require_patient(session: Session, patient_id: int) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise PatientNotFound()
    return patient


def new_reference(session: Session, prefix: str, column: InstrumentedAttribute[str],
                  length: int = 6) -> str:
    """A short, unguessable, unused reference like "RX-4F7K2Q" (the column is unique too)."""
    while True:
        ref = f"{prefix}-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))
        if not session.scalar(select(exists().where(column == ref))):
            return ref


def mask_identifier(value: str) -> str:
    """Only the last four characters stay visible; short values are hidden entirely."""
    value = value.strip()
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


def local(moment: datetime) -> datetime:
    """The clinic's wall clock: what the patient is told and what the dialogue formats."""
    return moment.astimezone(clinic_tz())
