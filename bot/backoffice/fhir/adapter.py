"""The FHIR R4 adapter of the back-office port (US Core resources, plain REST).

- identity: `Patient` by phone (SMS) or family + given + ZIP (web); exactly one match or
  none. The match is tied to our own patient row by MRN (`FHIR_MRN_SYSTEM`), made on first
  sight, so everything keyed by our patient id (audit, outreach, billing on the reference
  adapter) keeps working. The date of birth is compared by the caller, not sent in the
  search, so lockouts count a wrong date of birth the same way for both adapters.
- scheduling: upcoming `Appointment`s with their `Practitioner` and `Location`; open `Slot`s
  of the practitioner's `Schedule`s; reschedule and cancel as conditional writes (If-Match
  on the version read); a 409/412 means someone else changed it: re-read, and a typed
  conflict (`SlotTaken`, `RecordChanged`); what was written is read back.
- pharmacy: active `MedicationRequest`s; refills left = `numberOfRepeatsAllowed` minus
  completed `MedicationDispense`s minus refill `Task`s still open; a refill (or renewal)
  request is a `Task` to the prescriber (or `FHIR_REFILL_OWNER`), created conditionally on
  our reference so a retry never makes two, and read for its status.
- insurance: `Coverage`; consent and language: `Consent`, `Patient.communication`.
- billing: with the Oracle Health profile, the balance is the sum of the patient's active
  `Account`s' `account-balance` extension; the other billing verbs (statement, charges,
  payment links and plans) and other profiles stay on another adapter: their verbs say so.

Our API's integer ids for EHR resources come from `fhir_links`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.backoffice.common import REFERENCE_ALPHABET, local, mask_identifier, require_patient
from bot.backoffice.enums import AppointmentStatus, RefillStatus
from bot.backoffice.errors import (
    AppointmentNotChangeable,
    AppointmentNotFound,
    NotSupported,
    PatientNotFound,
    PrescriptionNotFound,
    RecordChanged,
    SlotNotFound,
    SlotTaken,
)
from bot.backoffice.fhir import resources as fr
from bot.backoffice.fhir.client import FhirClient, FhirNotFound, VersionConflict
from bot.backoffice.models import FhirLink, Patient
from bot.backoffice.port import Domain, Preferences
from bot.backoffice.scheduling import first_found
from bot.backoffice.schemas import (
    PART_OF_DAY_HOURS,
    AppointmentInfo,
    AppointmentList,
    Balance,
    ClaimLine,
    InsurancePolicyInfo,
    OpenRefillRequest,
    PartOfDay,
    PrescriptionInfo,
    PrescriptionList,
    RefillInfo,
    RefillList,
    SlotInfo,
    SlotSearchResult,
    VerificationRequest,
    Visit,
)
from bot.backoffice.service import normalize_name, normalize_phone

if TYPE_CHECKING:
    from bot.settings import Settings

# Our own code systems: the refill Task's code, its identifier, and SMS consent categories.
TASK_CODE_SYSTEM = "urn:patient-assistant:task"
REFILL_ID_SYSTEM = "urn:patient-assistant:refill-request"
RESCHEDULE_ID_SYSTEM = "urn:patient-assistant:booking"
PROPOSED = "Appointment-proposed"  # an Epic $find offer, linked like a slot
CONSENT_SYSTEM = "urn:patient-assistant:consent"
# Oracle Health (Millennium) publishes an account's balance as this extension (valueMoney).
ORACLE_ACCOUNT_BALANCE = "https://fhir-ehr.cerner.com/r4/StructureDefinition/account-balance"
OPEN_TASK = ("requested", "received", "accepted", "ready", "in-progress", "on-hold")
OPEN_REQUEST_WINDOW = timedelta(days=7)
REFERENCE_TTL_SECONDS = 600.0
STATUS_HISTORY = timedelta(days=90)

# Verbs and the interactions each needs, per resource type: the capability matrix.
VERBS: dict[str, list[tuple[str, str]]] = {
    "identity (patient match)": [("Patient", "search-type")],
    "read appointments": [("Appointment", "search-type"), ("Practitioner", "read"),
                          ("Location", "read")],
    "search open slots": [("Schedule", "search-type"), ("Slot", "search-type")],
    "book / reschedule": [("Appointment", "update"), ("Slot", "update"), ("Slot", "read")],
    "cancel": [("Appointment", "update"), ("Appointment", "read")],
    "confirm": [("Appointment", "update"), ("Appointment", "read")],
    "plan reminders (all patients' appointments)": [("Appointment", "search-type"),
                                                    ("Patient", "read")],
    "read prescriptions": [("MedicationRequest", "search-type"),
                           ("MedicationDispense", "search-type"), ("Organization", "read")],
    "refill requests": [("Task", "create"), ("Task", "search-type")],
    "insurance (coverage)": [("Coverage", "search-type")],
    "consent and language": [("Consent", "search-type"), ("Patient", "read")],
    "billing (account balance)": [("Account", "search-type")],
}


def capability_matrix(client: FhirClient, profile: str = "generic"
                      ) -> dict[str, tuple[bool, str]]:
    """Each verb: on or off, and why it is off."""
    caps = client.capabilities()
    matrix: dict[str, tuple[bool, str]] = {}
    for verb, needs in VERBS.items():
        missing = [f"{rtype} {what}" for rtype, what in needs if not caps.can(rtype, what)]
        matrix[verb] = (not missing, "missing: " + ", ".join(missing) if missing else "")
    if profile == "epic":  # times and bookings through Epic's operations
        for verb, needs_op in (("search open slots", ["Appointment/$find"]),
                               ("book / reschedule", ["Appointment/$book"])):
            missing = [op for op in needs_op if op not in caps.operations]
            if verb == "book / reschedule" and not caps.can("Appointment", "update"):
                missing.append("Appointment update (to cancel the old booking)")
            matrix[verb] = (not missing, "missing: " + ", ".join(missing) if missing else "")
    elif profile == "oracle":
        missing = [f"Appointment {i}" for i in ("create", "patch")
                   if not caps.can("Appointment", i)]
        matrix["book / reschedule"] = (not missing, "missing: " + ", ".join(missing)
                                       if missing else "")
        matrix["cancel"] = ((True, "") if caps.can("Appointment", "patch")
                            else (False, "missing: Appointment patch"))
    if profile != "oracle":
        matrix["billing (account balance)"] = (
            False, "the generic and Epic profiles read no balance: billing stays on another "
            "adapter")
    return matrix


class FhirBackOffice:
    """Every FHIR-served verb of the port; one object per process (it caches the EHR's
    practitioners, locations and pharmacies, and which patient is which)."""

    def __init__(self, client: FhirClient, settings: Settings) -> None:
        self.client = client
        self.mrn_system = settings.fhir_mrn_system
        self.refill_owner = settings.fhir_refill_owner
        self.profile = settings.fhir_profile
        self._patient_ids: dict[str, str] = {}
        # Practitioners, locations and pharmacies change rarely: read once, again after
        # REFERENCE_TTL, so a renamed clinic shows without a restart.
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}

    def for_domain(self, domain: Domain) -> object:
        if domain is Domain.billing and self.profile != "oracle":
            return _NoFhirBilling()
        return self

    def close(self) -> None:
        self.client.close()

    def _require(self, verb: str) -> None:
        caps = self.client.capabilities()
        missing = [f"{t} {i}" for t, i in VERBS[verb] if not caps.can(t, i)]
        if missing:
            raise NotSupported(f"the EHR cannot {verb}")

    # --- ids ---------------------------------------------------------------------------------

    def _link(self, session: Session, resource_type: str, fhir_id: str) -> int:
        found = session.scalar(select(FhirLink.id).where(
            FhirLink.resource_type == resource_type, FhirLink.fhir_id == fhir_id))
        if found is not None:
            return found
        link = FhirLink(resource_type=resource_type, fhir_id=fhir_id)
        session.add(link)
        try:
            session.commit()
        except IntegrityError:  # another worker linked it first
            session.rollback()
            return self._link(session, resource_type, fhir_id)
        return link.id

    def _unlink(self, session: Session, resource_type: str, link_id: int) -> str | None:
        link = session.get(FhirLink, link_id)
        return link.fhir_id if link is not None and link.resource_type == resource_type else None

    def _fhir_patient_id(self, session: Session, patient_id: int) -> str:
        patient = require_patient(session, patient_id)
        cached = self._patient_ids.get(patient.mrn)
        if cached is not None:
            return cached
        found = fr.of_type(fr.Patient, self.client.search(
            "Patient", {"identifier": f"{self.mrn_system}|{patient.mrn}"}))
        if len(found) != 1:
            raise PatientNotFound()
        self._patient_ids[patient.mrn] = found[0].id
        return found[0].id

    def _cached_read(self, model: type[fr.R], resource_id: str) -> fr.R:
        key = (model.__name__, resource_id)
        cached = self._cache.get(key)
        if cached is None or cached[0] <= time.monotonic():
            cached = (time.monotonic() + REFERENCE_TTL_SECONDS,
                      fr.parse(model, self.client.read(model.__name__, resource_id)))
            self._cache[key] = cached
        value: fr.R = cached[1]
        return value

    # --- identity ----------------------------------------------------------------------------

    def find_candidate(self, session: Session, req: VerificationRequest) -> Patient | None:
        self._require("identity (patient match)")
        if req.channel == "sms":
            if not req.phone:
                return None
            matches = fr.of_type(fr.Patient, self.client.search(
                "Patient", {"phone": normalize_phone(req.phone)}))
        else:
            if not req.full_name or not req.zip_code:
                return None
            words = normalize_name(req.full_name).split()
            if len(words) < 2:
                return None
            wanted = " ".join(words)
            found = fr.of_type(fr.Patient, self.client.search("Patient", {
                "family": words[-1], "given": words[0],
                "address-postalcode": req.zip_code.strip()[:5]}))
            matches = [p for p in found if any(
                normalize_name(" ".join([*n.given, n.family or ""])) == wanted for n in p.name)]
        # Only records with our MRN can be tied to ours; among them, one or nobody.
        matches = [p for p in matches if p.identifier_value(self.mrn_system)]
        if len(matches) != 1:
            return None  # never pick among several
        return self._ours(session, matches[0])

    def _ours(self, session: Session, found: fr.Patient) -> Patient | None:
        """Our row for the EHR's patient (made on first sight), with the EHR's identity."""
        mrn = found.identifier_value(self.mrn_system)
        if not mrn or found.birthDate is None or len(mrn) > 20:
            return None
        self._patient_ids[mrn] = found.id
        name = found.official_name()
        phone = next((normalize_phone(t.value) for t in found.telecom
                      if t.system == "phone" and t.value), None)
        zip5 = next((a.postalCode[:5] for a in found.address if a.postalCode), "")
        patient = session.scalar(select(Patient).where(Patient.mrn == mrn))
        if patient is None:
            patient = Patient(mrn=mrn, first_name=(name.given or [""])[0],
                              last_name=name.family or "", date_of_birth=found.birthDate,
                              phone=phone or f"fhir:{mrn}", zip_code=zip5, sms_consent=False)
            session.add(patient)
        else:
            patient.date_of_birth = found.birthDate
            patient.first_name = (name.given or [patient.first_name])[0]
        try:
            session.commit()
        except IntegrityError:  # the phone is another patient's here: no safe match
            session.rollback()
            return None
        return patient

    # --- scheduling --------------------------------------------------------------------------

    def _appointment_info(self, session: Session, appt: fr.Appointment) -> AppointmentInfo:
        practitioner_id = appt.actor_id("Practitioner")
        if practitioner_id is None or appt.start is None:
            raise AppointmentNotFound()
        practitioner = self._cached_read(fr.Practitioner, practitioner_id)
        location_id = appt.actor_id("Location")
        location = self._cached_read(fr.Location, location_id) if location_id else None
        minutes = int((appt.end - appt.start).total_seconds() // 60) if appt.end else 30
        status = {"booked": AppointmentStatus.booked, "cancelled": AppointmentStatus.cancelled,
                  "noshow": AppointmentStatus.no_show, "fulfilled": AppointmentStatus.completed
                  }.get(appt.status, AppointmentStatus.booked)
        return AppointmentInfo(
            id=self._link(session, "Appointment", appt.id),
            provider_id=self._link(session, "Practitioner", practitioner_id),
            provider_name=practitioner.name[0].full() if practitioner.name else "",
            specialty=next((s.label() for s in appt.specialty), ""),
            location=location.label() if location else "",
            starts_at=local(appt.start),
            duration_minutes=minutes,
            status=status,
        )

    def upcoming_appointments(self, session: Session, patient_id: int,
                              now: datetime) -> AppointmentList:
        self._require("read appointments")
        pid = self._fhir_patient_id(session, patient_id)
        found = fr.of_type(fr.Appointment, self.client.search("Appointment", {
            "patient": f"Patient/{pid}", "status": "booked", "date": f"gt{_instant(now)}"}))
        found = [a for a in found if a.start is not None and a.start > now]
        found.sort(key=lambda a: (a.start, a.id))
        return AppointmentList(appointments=[self._appointment_info(session, a) for a in found])

    def _ours_by_id(self, session: Session, fhir_patient_id: str) -> Patient | None:
        known = next((mrn for mrn, pid in self._patient_ids.items() if pid == fhir_patient_id),
                     None)
        if known is not None:
            patient = session.scalar(select(Patient).where(Patient.mrn == known))
            if patient is not None:
                return patient
        try:
            found = fr.parse(fr.Patient, self.client.read("Patient", fhir_patient_id))
        except FhirNotFound:
            return None
        return self._ours(session, found)

    def visits_between(self, session: Session, start: datetime, end: datetime,
                       status: AppointmentStatus) -> list[Visit]:
        self._require("plan reminders (all patients' appointments)")
        code = {AppointmentStatus.booked: "booked", AppointmentStatus.no_show: "noshow",
                AppointmentStatus.cancelled: "cancelled",
                AppointmentStatus.completed: "fulfilled"}[status]
        visits = []
        for raw in self.client.iter_search("Appointment", [
                ("status", code), ("date", f"gt{_instant(start)}"),
                ("date", f"le{_instant(end)}"), ("_count", "200")]):
            if raw.get("resourceType") != "Appointment":
                continue
            appt = fr.parse(fr.Appointment, raw)
            pid = appt.actor_id("Patient")
            if appt.start is None or not start < appt.start <= end or pid is None:
                continue
            patient = self._ours_by_id(session, pid)
            if patient is None:  # no MRN of ours on the EHR's record: nobody to write to
                continue
            try:
                info = self._appointment_info(session, appt)
            except AppointmentNotFound:  # no practitioner: not a visit we can speak of
                continue
            visits.append(Visit(patient_id=patient.id, appointment=info,
                                booked_at=appt.created))
        visits.sort(key=lambda v: (v.appointment.starts_at, v.appointment.id))
        return visits

    def _own_appointment(self, session: Session, patient_id: int,
                         appointment_id: int) -> fr.Appointment:
        pid = self._fhir_patient_id(session, patient_id)
        fhir_id = self._unlink(session, "Appointment", appointment_id)
        if fhir_id is None:
            raise AppointmentNotFound()
        try:
            appt = fr.parse(fr.Appointment, self.client.read("Appointment", fhir_id))
        except FhirNotFound:
            raise AppointmentNotFound() from None
        if appt.actor_id("Patient") != pid:
            raise AppointmentNotFound()
        return appt

    def get_appointment(self, session: Session, patient_id: int,
                        appointment_id: int) -> AppointmentInfo:
        self._require("read appointments")
        appt = self._own_appointment(session, patient_id, appointment_id)
        return self._appointment_info(session, appt).model_copy(update={"id": appointment_id})

    def confirm_appointment(self, session: Session, patient_id: int, appointment_id: int,
                            now: datetime) -> AppointmentInfo:
        """The patient's participation marked accepted, conditional on the version read."""
        self._require("confirm")
        appt = self._changeable(session, patient_id, appointment_id, now)
        pid = self._fhir_patient_id(session, patient_id)
        # The whole resource as the EHR has it: an update replaces it, so nothing we do not
        # model may be lost.
        body = self.client.read("Appointment", appt.id)
        for participant in body.get("participant", []):
            if participant.get("actor", {}).get("reference") == f"Patient/{pid}":
                participant["status"] = "accepted"
        try:
            self.client.update(body, (body.get("meta") or {}).get("versionId"))
        except VersionConflict:
            raise RecordChanged() from None
        return self.get_appointment(session, patient_id, appointment_id)

    def _changeable(self, session: Session, patient_id: int, appointment_id: int,
                    now: datetime) -> fr.Appointment:
        appt = self._own_appointment(session, patient_id, appointment_id)
        if appt.status != "booked" or appt.start is None or appt.start <= now:
            raise AppointmentNotChangeable()
        return appt

    def _schedules(self, practitioner_id: str) -> list[str]:
        return [s.id for s in fr.of_type(fr.Schedule, self.client.search(
            "Schedule", {"actor": f"Practitioner/{practitioner_id}"}))]

    def _free_slots(self, schedules: list[str], lo: datetime, hi: datetime) -> list[fr.Slot]:
        slots: list[fr.Slot] = []
        for schedule in schedules:
            slots += fr.of_type(fr.Slot, self.client.search("Slot", [
                ("schedule", f"Schedule/{schedule}"), ("status", "free"),
                ("start", f"ge{_instant(lo)}"), ("start", f"lt{_instant(hi)}"),
                ("_count", "100")]))
        return sorted((s for s in slots if s.status == "free" and lo <= s.start < hi),
                      key=lambda s: (s.start, s.id))

    def _epic_find(self, pid: str, practitioner_id: str, lo: datetime, hi: datetime
                   ) -> list[fr.Slot]:
        """Epic offers times through `Appointment/$find`: proposed Appointments, kept here
        as slot-shaped offers (id, start, end) of the same practitioner."""
        if "Appointment/$find" not in self.client.capabilities().operations:
            raise NotSupported("the EHR cannot search open times")
        answer = self.client.operation("Appointment/$find", {
            "resourceType": "Parameters", "parameter": [
                {"name": "patient", "valueReference": {"reference": f"Patient/{pid}"}},
                {"name": "startTime", "valueDateTime": _instant(lo)},
                {"name": "endTime", "valueDateTime": _instant(hi)}]}, retry=True)
        offers = []
        for proposal in fr.of_type(fr.Appointment, [e.get("resource", {}) for e in
                                                    answer.get("entry", [])]):
            if (proposal.status == "proposed" and proposal.start and proposal.end
                    and proposal.actor_id("Practitioner") == practitioner_id
                    and lo <= proposal.start < hi):
                offers.append(fr.Slot(id=proposal.id, schedule=fr.Reference(),
                                      status="free", start=proposal.start, end=proposal.end))
        return sorted(offers, key=lambda s: (s.start, s.id))

    def _epic_move(self, session: Session, appointment_id: int, appt: fr.Appointment,
                   slot_id: int, now: datetime) -> AppointmentInfo:
        """`Appointment/$book` of the proposal the patient chose, then the old booking
        cancelled with If-Match. Epic's public R4 API may not allow that update: then the
        move is not offered at all (never two bookings) and a person takes it."""
        proposal_id = self._unlink(session, PROPOSED, slot_id)
        if proposal_id is None:
            raise SlotNotFound()
        caps = self.client.capabilities()
        if "Appointment/$book" not in caps.operations or not caps.can("Appointment",
                                                                        "update"):
            raise NotSupported("the EHR cannot move this appointment")
        pid = appt.actor_id("Patient") or ""
        try:
            answer = self.client.operation("Appointment/$book", {
                "resourceType": "Parameters", "parameter": [
                    {"name": "patient", "valueReference": {"reference": f"Patient/{pid}"}},
                    {"name": "appointment",
                     "valueReference": {"reference": f"Appointment/{proposal_id}"}}]})
        except VersionConflict:  # the time went to someone else
            raise SlotTaken() from None
        booked = next((a for a in fr.of_type(fr.Appointment, [
            e.get("resource", {}) for e in answer.get("entry", [])]) if a.status == "booked"),
            None)
        if booked is None:
            raise SlotTaken()
        body = self.client.read("Appointment", appt.id)
        try:
            self.client.update({**body, "status": "cancelled"}, appt.version)
        except VersionConflict:
            raise RecordChanged() from None
        link = session.get(FhirLink, appointment_id)
        assert link is not None
        link.fhir_id = booked.id
        session.commit()
        self._link(session, "Appointment", appt.id)
        return self._appointment_info(session, booked).model_copy(update={"id": appointment_id})

    def find_open_slots(self, session: Session, patient_id: int, appointment_id: int,
                        now: datetime, *, start: datetime | None = None,
                        end: datetime | None = None, part_of_day: PartOfDay | None = None,
                        limit: int = 3) -> SlotSearchResult:
        """Free slots with the same practitioner; widened like the reference adapter's."""
        if self.profile != "epic":
            self._require("search open slots")
        appt = self._changeable(session, patient_id, appointment_id, now)
        practitioner_id = appt.actor_id("Practitioner")
        assert practitioner_id is not None
        practitioner = self._cached_read(fr.Practitioner, practitioner_id)
        provider_id = self._link(session, "Practitioner", practitioner_id)
        epic = self.profile == "epic"
        schedules = [] if epic else self._schedules(practitioner_id)
        pid = self._fhir_patient_id(session, patient_id) if epic else ""
        kind = PROPOSED if epic else "Slot"
        name = practitioner.name[0].full() if practitioner.name else ""

        def find(lo: datetime, hi: datetime, part: PartOfDay | None) -> list[SlotInfo]:
            found = (self._epic_find(pid, practitioner_id, lo, hi) if epic
                     else self._free_slots(schedules, lo, hi))
            chosen = [s for s in found if _in_part(s.start, part)][:limit]
            return [SlotInfo(id=self._link(session, kind, s.id), provider_id=provider_id,
                             provider_name=name, starts_at=local(s.start),
                             duration_minutes=int((s.end - s.start).total_seconds() // 60))
                    for s in chosen]

        return first_found(now, find, start=start, end=end, part_of_day=part_of_day)

    def _set_slot(self, slot: fr.Slot, body: dict[str, Any], status: str) -> None:
        self.client.update({**body, "status": status}, slot.version)

    def reschedule_appointment(self, session: Session, patient_id: int, appointment_id: int,
                               slot_id: int, now: datetime) -> AppointmentInfo:
        """Holds the new slot (If-Match), moves the appointment (If-Match), frees the old
        slot, and reads the appointment back. A lost race on the slot is `SlotTaken`; a
        change to the appointment in between is `RecordChanged` (the slot is let go)."""
        appt = self._changeable(session, patient_id, appointment_id, now)
        if self.profile == "epic":
            return self._epic_move(session, appointment_id, appt, slot_id, now)
        self._require("book / reschedule")
        slot_fhir_id = self._unlink(session, "Slot", slot_id)
        if slot_fhir_id is None:
            raise SlotNotFound()
        try:
            slot_body = self.client.read("Slot", slot_fhir_id)
        except FhirNotFound:
            raise SlotNotFound() from None
        slot = fr.parse(fr.Slot, slot_body)
        practitioner_id = appt.actor_id("Practitioner")
        if slot.schedule.id_of("Schedule") not in self._schedules(practitioner_id or ""):
            raise SlotNotFound()
        if any(ref.id_of("Slot") == slot.id for ref in appt.slot):
            return self._appointment_info(session, appt)  # a retry of a move that was made
        if slot.start <= now:
            raise SlotTaken("that time has already passed")
        if slot.status != "free":
            raise SlotTaken()
        if self.profile == "oracle":
            return self._oracle_move(session, appointment_id, appt, slot)
        try:
            self._set_slot(slot, slot_body, "busy")
        except VersionConflict:
            raise SlotTaken() from None
        appt_body = self.client.read("Appointment", appt.id)
        old_slots = [ref.id_of("Slot") for ref in appt.slot]
        moved = {**appt_body, "start": slot_body["start"], "end": slot_body["end"],
                 "slot": [{"reference": f"Slot/{slot.id}"}]}
        try:
            self.client.update(moved, fr.parse(fr.Appointment, appt_body).version)
        except VersionConflict:
            self._release(slot.id)
            raise RecordChanged() from None
        for old in old_slots:
            if old:
                self._release(old)
        written = fr.parse(fr.Appointment, self.client.read("Appointment", appt.id))
        return self._appointment_info(session, written)

    def _release(self, slot_id: str) -> None:
        """Frees a slot we held; a change by someone else in between is theirs to keep (and
        an EHR that keeps its slots itself refuses the write: it freed it already)."""
        body = self.client.read("Slot", slot_id)
        try:
            self.client.update({**body, "status": "free"}, fr.parse(fr.Slot, body).version)
        except (VersionConflict, NotSupported):
            pass

    def _oracle_move(self, session: Session, appointment_id: int, appt: fr.Appointment,
                     slot: fr.Slot) -> AppointmentInfo:
        """Oracle Health books by POSTing an Appointment with one slot, and changes one by
        PATCH with If-Match: a move is a new booking, then the old one cancelled. The new
        booking carries our identifier, searched for first, so a retry never books twice;
        our id for the appointment follows it to the new booking."""
        key = f"{appt.id}-{slot.id}"
        existing = fr.of_type(fr.Appointment, self.client.search(
            "Appointment", {"identifier": f"{RESCHEDULE_ID_SYSTEM}|{key}"}))
        if existing:
            new = existing[0]
        else:
            body = {
                "resourceType": "Appointment",
                "identifier": [{"system": RESCHEDULE_ID_SYSTEM, "value": key}],
                "status": "booked", "start": _instant(slot.start), "end": _instant(slot.end),
                "slot": [{"reference": f"Slot/{slot.id}"}],
                "specialty": [s.model_dump(exclude_none=True) for s in appt.specialty],
                "participant": [{"actor": p.actor.model_dump(exclude_none=True),
                                 "status": "accepted"} for p in appt.participant if p.actor],
            }
            try:
                new = fr.parse(fr.Appointment, self.client.create(
                    body, f"identifier={RESCHEDULE_ID_SYSTEM}|{key}"))
            except VersionConflict:  # 409/423: the slot went to someone else
                raise SlotTaken() from None
            slot_body = self.client.read("Slot", slot.id)
            if slot_body.get("status") == "free":  # a server that does not hold it itself
                try:
                    self.client.update({**slot_body, "status": "busy"},
                                       fr.parse(fr.Slot, slot_body).version)
                except (VersionConflict, NotSupported):
                    pass
        self._oracle_cancel(appt)
        link = session.get(FhirLink, appointment_id)
        assert link is not None
        link.fhir_id = new.id
        session.commit()
        self._link(session, "Appointment", appt.id)  # the old booking keeps an id of its own
        written = fr.parse(fr.Appointment, self.client.read("Appointment", new.id))
        info = self._appointment_info(session, written)
        return info.model_copy(update={"id": appointment_id})

    def _oracle_cancel(self, appt: fr.Appointment) -> None:
        self._cancel(appt, lambda: self.client.patch(
            "Appointment", appt.id, [{"op": "replace", "path": "/status", "value": "cancelled"}],
            appt.version or ""))

    def _cancel(self, appt: fr.Appointment, write: Callable[[], object]) -> None:
        """Writes the cancellation (conditional on the version read) and frees the slots. A
        conflict is fine when someone else cancelled it too; any other change is
        `RecordChanged`."""
        try:
            write()
        except VersionConflict:
            again = fr.parse(fr.Appointment, self.client.read("Appointment", appt.id))
            if again.status != "cancelled":
                raise RecordChanged() from None
        for ref in appt.slot:
            slot_id = ref.id_of("Slot")
            if slot_id:
                self._release(slot_id)

    def cancel_appointment(self, session: Session, patient_id: int, appointment_id: int,
                           now: datetime) -> AppointmentInfo:
        self._require("cancel")
        appt = self._changeable(session, patient_id, appointment_id, now)
        if self.profile == "oracle":
            self._oracle_cancel(appt)
            written = fr.parse(fr.Appointment, self.client.read("Appointment", appt.id))
            return self._appointment_info(session, written)
        body = self.client.read("Appointment", appt.id)
        self._cancel(appt, lambda: self.client.update({**body, "status": "cancelled"},
                                                      appt.version))
        written = fr.parse(fr.Appointment, self.client.read("Appointment", appt.id))
        return self._appointment_info(session, written)

    # --- pharmacy ----------------------------------------------------------------------------

    def _pharmacy_state(self, pid: str) -> tuple[list[fr.MedicationRequest],
                                                   dict[str, int], list[fr.Task]]:
        requests = fr.of_type(fr.MedicationRequest, self.client.search(
            "MedicationRequest", {"patient": f"Patient/{pid}", "status": "active"}))
        dispensed: dict[str, int] = {}
        for dispense in fr.of_type(fr.MedicationDispense, self.client.search(
                "MedicationDispense", {"patient": f"Patient/{pid}", "status": "completed"})):
            for ref in dispense.authorizingPrescription:
                rx = ref.id_of("MedicationRequest")
                if rx:
                    dispensed[rx] = dispensed.get(rx, 0) + 1
        tasks = [t for t in fr.of_type(fr.Task, self.client.search(
            "Task", {"patient": f"Patient/{pid}"}))
            if t.code is not None and (t.code.has(TASK_CODE_SYSTEM, "refill")
                                       or t.code.has(TASK_CODE_SYSTEM, "renewal"))]
        return requests, dispensed, tasks

    @staticmethod
    def _refills_left(rx: fr.MedicationRequest, dispensed: dict[str, int],
                      tasks: list[fr.Task]) -> int:
        pending = sum(1 for t in tasks if t.status in OPEN_TASK and t.code is not None
                      and t.code.has(TASK_CODE_SYSTEM, "refill") and t.focus is not None
                      and t.focus.id_of("MedicationRequest") == rx.id)
        return max(rx.dispenseRequest.numberOfRepeatsAllowed - dispensed.get(rx.id, 0)
                   - pending, 0)

    @staticmethod
    def _task_status(task: fr.Task) -> RefillStatus:
        if task.status == "completed":
            return RefillStatus.ready
        if task.status in ("rejected", "cancelled", "failed", "entered-in-error"):
            return RefillStatus.denied
        renewal = task.code is not None and task.code.has(TASK_CODE_SYSTEM, "renewal")
        return RefillStatus.renewal_requested if renewal else RefillStatus.submitted

    @staticmethod
    def _reference(task: fr.Task) -> str:
        return next((i.value for i in task.identifier if i.system == REFILL_ID_SYSTEM
                     and i.value), task.id)

    def _open_task(self, rx_id: str, tasks: list[fr.Task], now: datetime) -> fr.Task | None:
        open_tasks = [t for t in tasks if t.status in OPEN_TASK and t.focus is not None
                      and t.focus.id_of("MedicationRequest") == rx_id
                      and t.authoredOn is not None and t.authoredOn > now - OPEN_REQUEST_WINDOW]
        open_tasks.sort(key=lambda t: (t.authoredOn, t.id))
        return open_tasks[-1] if open_tasks else None

    def _medication(self, rx: fr.MedicationRequest) -> tuple[str, str]:
        concept = rx.medicationCodeableConcept or fr.CodeableConcept()
        name = next((c.display for c in concept.coding if c.display), None) or concept.label()
        full = concept.text or name
        strength = full[len(name):].strip() if full.startswith(name) else ""
        return name, strength

    def _pharmacy(self, rx: fr.MedicationRequest) -> fr.Organization:
        performer = rx.dispenseRequest.performer
        org_id = performer.id_of("Organization") if performer else None
        if org_id is None:
            return fr.Organization(id="", name="your pharmacy")
        return self._cached_read(fr.Organization, org_id)

    def _prescription_info(self, session: Session, rx: fr.MedicationRequest,
                           dispensed: dict[str, int], tasks: list[fr.Task],
                           now: datetime) -> PrescriptionInfo:
        name, strength = self._medication(rx)
        pharmacy = self._pharmacy(rx)
        address = pharmacy.address[0] if pharmacy.address else fr.Address()
        open_task = self._open_task(rx.id, tasks, now)
        return PrescriptionInfo(
            id=self._link(session, "MedicationRequest", rx.id),
            medication=name, strength=strength,
            purpose=next((r.label() for r in rx.reasonCode), None),
            refills_left=self._refills_left(rx, dispensed, tasks),
            pharmacy_name=pharmacy.name or "",
            pharmacy_address=", ".join(p for p in [*address.line, address.city or "",
                                                   address.state or ""] if p),
            pharmacy_phone=next((t.value for t in pharmacy.telecom
                                 if t.system == "phone" and t.value), ""),
            open_request=None if open_task is None or open_task.authoredOn is None else
            OpenRefillRequest(reference=self._reference(open_task),
                              status=self._task_status(open_task),
                              created_at=open_task.authoredOn),
        )

    def active_prescriptions(self, session: Session, patient_id: int,
                             now: datetime) -> PrescriptionList:
        self._require("read prescriptions")
        pid = self._fhir_patient_id(session, patient_id)
        requests, dispensed, tasks = self._pharmacy_state(pid)
        infos = [self._prescription_info(session, rx, dispensed, tasks, now) for rx in requests]
        infos.sort(key=lambda p: (p.medication, p.id))
        return PrescriptionList(prescriptions=infos)

    def _refill_info(self, session: Session, task: fr.Task, rx: fr.MedicationRequest,
                     refills_left: int, already_open: bool = False) -> RefillInfo:
        name, strength = self._medication(rx)
        assert task.authoredOn is not None
        return RefillInfo(
            reference=self._reference(task),
            prescription_id=self._link(session, "MedicationRequest", rx.id),
            medication=name, strength=strength, status=self._task_status(task),
            refills_left=refills_left, pharmacy_name=self._pharmacy(rx).name or "",
            created_at=task.authoredOn, already_open=already_open)

    def request_refill(self, session: Session, patient_id: int, prescription_id: int,
                       now: datetime) -> RefillInfo:
        """A refill when one is left, else a renewal request to the prescriber; asking
        again while one is open returns it."""
        self._require("refill requests")
        pid = self._fhir_patient_id(session, patient_id)
        rx_id = self._unlink(session, "MedicationRequest", prescription_id)
        requests, dispensed, tasks = self._pharmacy_state(pid)
        rx = next((r for r in requests if r.id == rx_id), None)
        if rx is None:
            raise PrescriptionNotFound()
        open_task = self._open_task(rx.id, tasks, now)
        left = self._refills_left(rx, dispensed, tasks)
        if open_task is not None:
            return self._refill_info(session, open_task, rx, left, already_open=True)
        kind = "refill" if left > 0 else "renewal"
        reference = "RX-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        owner = self.refill_owner or (rx.requester.reference if rx.requester else None)
        task = {
            "resourceType": "Task",
            "identifier": [{"system": REFILL_ID_SYSTEM, "value": reference}],
            "status": "requested", "intent": "order",
            "code": {"coding": [{"system": TASK_CODE_SYSTEM, "code": kind}],
                     "text": f"{kind} request from the patient assistant"},
            "focus": {"reference": f"MedicationRequest/{rx.id}"},
            "for": {"reference": f"Patient/{pid}"},
            "authoredOn": _instant(now),
            **({"owner": {"reference": owner}} if owner else {}),
        }
        created = fr.parse(fr.Task, self.client.create(
            task, f"identifier={REFILL_ID_SYSTEM}|{reference}"))
        written = fr.parse(fr.Task, self.client.read("Task", created.id))
        return self._refill_info(session, written, rx, left - 1 if kind == "refill" else 0)

    def refill_status(self, session: Session, patient_id: int, now: datetime) -> RefillList:
        self._require("refill requests")
        pid = self._fhir_patient_id(session, patient_id)
        requests, dispensed, tasks = self._pharmacy_state(pid)
        by_id = {rx.id: rx for rx in requests}
        recent = [t for t in tasks if t.authoredOn is not None
                  and t.authoredOn > now - STATUS_HISTORY and t.focus is not None
                  and t.focus.id_of("MedicationRequest") in by_id]
        recent.sort(key=lambda t: (t.authoredOn, t.id), reverse=True)
        infos = []
        for task in recent[:10]:
            assert task.focus is not None
            rx = by_id[task.focus.id_of("MedicationRequest") or ""]
            infos.append(self._refill_info(session, task, rx,
                                           self._refills_left(rx, dispensed, tasks)))
        return RefillList(requests=infos)

    # --- insurance and consent ---------------------------------------------------------------

    def policies(self, session: Session, patient_id: int) -> list[InsurancePolicyInfo]:
        self._require("insurance (coverage)")
        pid = self._fhir_patient_id(session, patient_id)
        coverages = fr.of_type(fr.Coverage, self.client.search(
            "Coverage", {"beneficiary": f"Patient/{pid}", "status": "active"}))
        coverages.sort(key=lambda c: (c.order or 99, c.id))
        infos = []
        for number, cov in enumerate(coverages):
            payer = cov.payor[0] if cov.payor else fr.Reference()
            org_id = payer.id_of("Organization")
            payer_name = payer.display or (
                self._cached_read(fr.Organization, org_id).name if org_id else None) or ""
            member = cov.subscriberId or next((i.value for i in cov.identifier if i.value), "")
            group, plan = cov.class_of("group"), cov.class_of("plan")
            infos.append(InsurancePolicyInfo(
                payer=payer_name, member_id_masked=mask_identifier(member or ""),
                group_number=group.value if group else None,
                plan_name=(plan.name or plan.value) if plan else None,
                is_primary=(cov.order == 1) if cov.order is not None else number == 0))
        return infos

    # --- billing (Oracle Health profile) -------------------------------------------------------

    def balance(self, session: Session, patient_id: int, today: date) -> Balance:
        """The sum of the patient's active accounts' balances; the EHR lists no charges
        here, so the patient is offered the statement and charge help by a person."""
        self._require("billing (account balance)")
        pid = self._fhir_patient_id(session, patient_id)
        cents = 0
        for account in fr.of_type(fr.Account, self.client.search(
                "Account", {"patient": f"Patient/{pid}", "status": "active"})):
            money = account.money(ORACLE_ACCOUNT_BALANCE)
            if money is None or money.value is None:
                continue
            if (money.currency or "USD") != "USD":
                raise NotSupported("an account balance in another currency")
            cents += round(money.value * 100)
        return Balance(patient_id=patient_id, amount_cents=max(cents, 0), due_date=None,
                       overdue=False, charges=[])

    def claims(self, session: Session, patient_id: int) -> list[ClaimLine]:
        raise NotSupported("claims are not read from the EHR")

    def preferences(self, session: Session, patient_id: int) -> Preferences:
        self._require("consent and language")
        pid = self._fhir_patient_id(session, patient_id)
        patient = fr.parse(fr.Patient, self.client.read("Patient", pid))
        preferred = next((c for c in patient.communication if c.preferred),
                         patient.communication[0] if patient.communication else None)
        language = "en"
        if preferred is not None:
            code = next((c.code for c in preferred.language.coding if c.code), "en")
            language = code.split("-")[0].lower()
        granted: set[str] = set()
        for consent in fr.of_type(fr.Consent, self.client.search(
                "Consent", {"patient": f"Patient/{pid}", "status": "active"})):
            if consent.provision is not None and consent.provision.type == "deny":
                continue
            for cat in consent.category:
                granted |= {c.code or "" for c in cat.coding if c.system == CONSENT_SYSTEM}
        return Preferences(patient_id=patient_id, language=language,
                           sms_care="sms-care" in granted, sms_billing="sms-billing" in granted)


class _NoFhirBilling:
    """Billing on `fhir` with a profile that reads no balance: the billing verbs are off (the
    patient is offered a person) and insurance answers without claims."""

    def balance(self, session: Session, patient_id: int, today: date) -> Balance:
        raise NotSupported("this EHR profile reads no account balance")

    def claims(self, session: Session, patient_id: int) -> list[ClaimLine]:
        raise NotSupported("billing is not served by the EHR adapter")


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _in_part(moment: datetime, part: PartOfDay | None) -> bool:
    if part is None:
        return True
    first, last = PART_OF_DAY_HOURS[part]
    return first <= local(moment).hour < last
