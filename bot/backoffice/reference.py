"""The reference adapter: our own back-office tables, the embedded default for every domain."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.backoffice import billing, pharmacy, scheduling
from bot.backoffice import service as records
from bot.backoffice.common import require_patient
from bot.backoffice.consent import refusal
from bot.backoffice.enums import AppointmentStatus, Purpose
from bot.backoffice.models import Patient
from bot.backoffice.port import Preferences
from bot.backoffice.schemas import (
    AppointmentInfo,
    AppointmentList,
    Balance,
    ClaimLine,
    InsurancePolicyInfo,
    PartOfDay,
    PrescriptionList,
    RefillInfo,
    RefillList,
    SlotSearchResult,
    VerificationRequest,
    Visit,
)


class ReferenceBackOffice:
    """Every verb of the port over the reference tables (one object serves all domains)."""

    def find_candidate(self, session: Session, req: VerificationRequest) -> Patient | None:
        return records.find_candidate(session, req)

    # --- scheduling ------------------------------------------------------------------------

    def upcoming_appointments(self, session: Session, patient_id: int,
                              now: datetime) -> AppointmentList:
        return scheduling.upcoming_appointments(session, patient_id, now)

    def find_open_slots(self, session: Session, patient_id: int, appointment_id: int,
                        now: datetime, *, start: datetime | None = None,
                        end: datetime | None = None, part_of_day: PartOfDay | None = None,
                        limit: int = 3) -> SlotSearchResult:
        return scheduling.find_open_slots(session, patient_id, appointment_id, now, start=start,
                                          end=end, part_of_day=part_of_day, limit=limit)

    def reschedule_appointment(self, session: Session, patient_id: int, appointment_id: int,
                               slot_id: int, now: datetime) -> AppointmentInfo:
        return scheduling.reschedule_appointment(session, patient_id, appointment_id, slot_id,
                                                 now)

    def cancel_appointment(self, session: Session, patient_id: int, appointment_id: int,
                           now: datetime) -> AppointmentInfo:
        return scheduling.cancel_appointment(session, patient_id, appointment_id, now)

    def visits_between(self, session: Session, start: datetime, end: datetime,
                       status: AppointmentStatus) -> list[Visit]:
        return scheduling.visits_between(session, start, end, status)

    def get_appointment(self, session: Session, patient_id: int,
                        appointment_id: int) -> AppointmentInfo:
        return scheduling.get_appointment(session, patient_id, appointment_id)

    def confirm_appointment(self, session: Session, patient_id: int, appointment_id: int,
                            now: datetime) -> AppointmentInfo:
        return scheduling.confirm_appointment(session, patient_id, appointment_id, now)

    # --- pharmacy --------------------------------------------------------------------------

    def active_prescriptions(self, session: Session, patient_id: int,
                             now: datetime) -> PrescriptionList:
        return pharmacy.active_prescriptions(session, patient_id, now)

    def request_refill(self, session: Session, patient_id: int, prescription_id: int,
                       now: datetime) -> RefillInfo:
        return pharmacy.request_refill(session, patient_id, prescription_id, now)

    def refill_status(self, session: Session, patient_id: int, now: datetime) -> RefillList:
        return pharmacy.refill_status(session, patient_id, now)

    # --- insurance, billing, consent -------------------------------------------------------

    def policies(self, session: Session, patient_id: int) -> list[InsurancePolicyInfo]:
        return billing.get_insurance(session, patient_id).policies

    def balance(self, session: Session, patient_id: int, today: date) -> Balance:
        return records.get_balance(session, patient_id, today)

    def claims(self, session: Session, patient_id: int) -> list[ClaimLine]:
        return billing.get_insurance(session, patient_id).claims

    def preferences(self, session: Session, patient_id: int) -> Preferences:
        patient = require_patient(session, patient_id)
        return Preferences(
            patient_id=patient_id,
            language=patient.preferred_language,
            sms_care=refusal(session, patient, Purpose.care) is None,
            sms_billing=refusal(session, patient, Purpose.billing) is None,
        )
