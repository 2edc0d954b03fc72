"""Consent per patient, channel and purpose (care, billing), with where it came from and when
it was withdrawn, and the numbers that texted STOP. STOP withdraws every purpose at once;
START restores what STOP withdrew."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.backoffice.enums import Purpose, SuppressReason
from bot.backoffice.models import OutreachConsent, Patient, SmsOptOut
from bot.backoffice.service import set_sms_consent

SMS = "sms"
STOP_SOURCE = "sms_stop"
# Someone at the number answered an outreach message: "wrong number". Undone only by consent
# given again (grant), once the number on file is put right.
WRONG_NUMBER_SOURCE = "wrong_number"


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
             channel: str = SMS) -> OutreachConsent:
    """Withdraws one purpose (a row is written even when none was given, so the withdrawal is
    on record); the caller commits."""
    row = session.get(OutreachConsent, (patient_id, channel, purpose))
    if row is None:
        row = OutreachConsent(patient_id=patient_id, channel=channel, purpose=purpose,
                              source="none on file", granted_at=now)
        session.add(row)
    if row.withdrawn_at is None:
        row.withdrawn_at, row.withdrawn_by = now, by
    return row


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


def on_wrong_number(session: Session, phone: str, now: datetime) -> int:
    """The person at this number says it is not the patient's: no outreach goes to the
    patients on file with it, for any purpose, until their consent is given again. Returns
    how many patients that was; commits."""
    patients = list(session.scalars(select(Patient.id).where(Patient.phone == phone)))
    for patient_id in patients:
        for purpose in Purpose:
            # whatever withdrew it before, this is now why nothing is sent (START is no undo)
            withdraw(session, patient_id, purpose, WRONG_NUMBER_SOURCE,
                     now).withdrawn_by = WRONG_NUMBER_SOURCE
    session.commit()
    return len(patients)


def refusal(session: Session, patient: Patient, purpose: Purpose,
            on_file: Callable[[Purpose], bool] | None = None) -> SuppressReason | None:
    """Why this patient may not get an SMS for this purpose now, or None when they may.

    A number that texted STOP is opted out whatever else is on file, and so is a purpose
    withdrawn here. Otherwise the consent on file decides: `on_file` when the consent
    records are kept elsewhere (the EHR's `Consent`), else ours: care messages follow the
    patient's SMS consent at intake, billing messages need their own consent.
    """
    if session.get(SmsOptOut, patient.phone) is not None:
        return SuppressReason.opted_out
    row = session.get(OutreachConsent, (patient.id, SMS, purpose))
    if row is not None:
        if row.withdrawn_at is None:
            return None
        if row.withdrawn_by == STOP_SOURCE:
            return SuppressReason.opted_out
        if row.withdrawn_by == WRONG_NUMBER_SOURCE:
            return SuppressReason.wrong_number
        return SuppressReason.no_consent
    if on_file is not None:
        return None if on_file(purpose) else SuppressReason.no_consent
    if purpose is Purpose.care and patient.sms_consent:
        return None
    return SuppressReason.no_consent


def is_opted_out(session: Session, phone: str) -> bool:
    return session.get(SmsOptOut, phone) is not None


def opt_out(session: Session, phone: str) -> None:
    """Records the opt-out and withdraws the patient's SMS consent in the back office, for
    every purpose at once (care and billing outreach)."""
    now = datetime.now(UTC)
    if session.get(SmsOptOut, phone) is None:
        session.add(SmsOptOut(phone=phone, opted_out_at=now))
    set_sms_consent(session, phone, False)
    on_stop(session, phone, now)
    session.commit()


def opt_in(session: Session, phone: str) -> None:
    """START: messages again, and the purposes STOP withdrew are restored (not others)."""
    session.execute(delete(SmsOptOut).where(SmsOptOut.phone == phone))
    set_sms_consent(session, phone, True)
    on_start(session, phone, datetime.now(UTC))
    session.commit()


def preferred_language(session: Session, phone: str) -> str | None:
    """The language on file for the patient on this number (the carrier keywords are
    answered in it); None when no patient has the number."""
    return session.scalar(select(Patient.preferred_language).where(Patient.phone == phone))


def opted_out_numbers(session: Session) -> set[str]:
    return set(session.scalars(select(SmsOptOut.phone)))
