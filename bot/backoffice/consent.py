"""Consent per patient, channel and purpose (care, billing), with where it came from and when
it was withdrawn. STOP withdraws every purpose at once; START restores what STOP withdrew."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice.enums import Purpose, SuppressReason
from bot.backoffice.models import OutreachConsent, Patient
from channels.models import SmsOptOut

SMS = "sms"
STOP_SOURCE = "sms_stop"


def grant(session: Session, patient_id: int, purpose: Purpose, source: str, now: datetime,
          channel: str = SMS) -> OutreachConsent:
    """Records consent (again); the caller commits."""
    row = session.get(OutreachConsent, (patient_id, channel, purpose))
    if row is None:
        row = OutreachConsent(patient_id=patient_id, channel=channel, purpose=purpose,
                              source=source, granted_at=now)
        session.add(row)
    else:
        row.source, row.granted_at, row.withdrawn_at, row.withdrawn_by = source, now, None, None
    return row


def withdraw(session: Session, patient_id: int, purpose: Purpose, by: str, now: datetime,
             channel: str = SMS) -> None:
    """Withdraws one purpose (a row is written even when none was given, so the withdrawal is
    on record); the caller commits."""
    row = session.get(OutreachConsent, (patient_id, channel, purpose))
    if row is None:
        row = OutreachConsent(patient_id=patient_id, channel=channel, purpose=purpose,
                              source="none on file", granted_at=now)
        session.add(row)
    if row.withdrawn_at is None:
        row.withdrawn_at, row.withdrawn_by = now, by


def on_stop(session: Session, phone: str, now: datetime) -> None:
    """A STOP from this number withdraws every purpose of the patients on it at once."""
    for patient_id in session.scalars(select(Patient.id).where(Patient.phone == phone)):
        for purpose in Purpose:
            row = session.get(OutreachConsent, (patient_id, SMS, purpose))
            if row is not None and row.withdrawn_at is None:
                row.withdrawn_at, row.withdrawn_by = now, STOP_SOURCE


def on_start(session: Session, phone: str, now: datetime) -> None:
    """START restores what STOP withdrew, nothing more (a purpose withdrawn otherwise stays)."""
    for patient_id in session.scalars(select(Patient.id).where(Patient.phone == phone)):
        for purpose in Purpose:
            row = session.get(OutreachConsent, (patient_id, SMS, purpose))
            if row is not None and row.withdrawn_by == STOP_SOURCE:
                row.withdrawn_at, row.withdrawn_by = None, None


def refusal(session: Session, patient: Patient, purpose: Purpose) -> SuppressReason | None:
    """Why this patient may not get an SMS for this purpose now, or None when they may.

    A number that texted STOP is opted out whatever else is on file. Without a consent row,
    care messages follow the patient's SMS consent on file (intake); billing messages need
    their own consent.
    """
    if session.get(SmsOptOut, patient.phone) is not None:
        return SuppressReason.opted_out
    row = session.get(OutreachConsent, (patient.id, SMS, purpose))
    if row is not None:
        if row.withdrawn_at is None:
            return None
        return SuppressReason.opted_out if row.withdrawn_by == STOP_SOURCE else (
            SuppressReason.no_consent)
    if purpose is Purpose.care and patient.sms_consent:
        return None
    return SuppressReason.no_consent
