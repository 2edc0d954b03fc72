"""Back-office HTTP API, for the action server only (service token). The public payment page
is `bot.payments`."""

import hmac
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated

import redis
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status
from pydantic import AwareDatetime
from sqlalchemy.orm import Session

from bot.audit import service as audit
from bot.backoffice import billing, errors, service
from bot.backoffice.factory import get_backoffice
from bot.backoffice.models import Patient
from bot.backoffice.port import BackOffice, Domain, Source
from bot.backoffice.schemas import (
    AppointmentInfo,
    AppointmentList,
    Balance,
    BillingInquiryCreate,
    BillingInquiryReceipt,
    ChargeMatches,
    InsuranceSummary,
    InsuranceUpdateCreate,
    InsuranceUpdateReceipt,
    PartOfDay,
    PaymentLinkInfo,
    PaymentPlanCreate,
    PaymentPlanInfo,
    PaymentPlanOptions,
    PrescriptionList,
    RefillCreate,
    RefillInfo,
    RefillList,
    RescheduleRequest,
    SlotSearchResult,
    Statement,
    VerificationRequest,
    VerificationResult,
)
from bot.clock import clinic_today, clinic_tz
from bot.deps import DbId, NowDep, SessionDep, SettingsDep
from bot.live import DESK_CHANNEL, in_db
from bot.redis import get_redis

log = logging.getLogger(__name__)


def require_service_token(
    settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    expected = settings.backoffice_token
    if not expected:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "BACKOFFICE_TOKEN is not set")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "service token required")


def audit_patient_read(
    request: Request, session: SessionDep,
    actor: Annotated[str | None, Header(alias="X-Actor", max_length=100)] = None,
) -> None:
    """Every request about one patient is an access to their record: who, which, what, when.

    Written before the handler runs, so an attempt is recorded even when it fails.
    """
    patient_id = request.path_params.get("patient_id")
    if patient_id is None or not str(patient_id).isdigit():
        return
    route = request.scope.get("route")
    template = getattr(route, "path", request.url.path)
    what = template.split("{patient_id}/", 1)[-1] if "{patient_id}/" in template else template
    audit.record(session, actor_type="action", actor_id=actor or "action_server",
                 patient_id=int(patient_id), action=f"{request.method} {what}",
                 fields=[what.split("/")[0]], reason="answering the patient's request")
    session.commit()


def backoffice(settings: SettingsDep) -> BackOffice:
    return get_backoffice(settings)


BackOfficeDep = Annotated[BackOffice, Depends(backoffice)]


def billing_here(office: BackOfficeDep) -> None:
    """The billing verbs below read our own tables: with billing elsewhere they are off."""
    if office.sources[Domain.billing] is not Source.reference:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            {"code": errors.NotSupported.code,
                             "message": errors.NotSupported.message})


BillingHere = Depends(billing_here)


router = APIRouter(
    prefix="/api/backoffice",
    tags=["backoffice"],
    dependencies=[Depends(require_service_token), Depends(audit_patient_read)],
)


def get_lockouts(
    settings: SettingsDep, client: Annotated[redis.Redis, Depends(get_redis)]
) -> service.LockoutStore:
    return service.LockoutStore(
        client,
        max_attempts=settings.verification_max_attempts,
        lock_seconds=settings.verification_lock_seconds,
        source_max_attempts=settings.verification_ip_max_attempts,
        patient_max_attempts=settings.verification_patient_max_attempts,
    )


# A desk event for supervisors: a patient's record under repeated failed web checks.
RECORD_PAUSED_EVENT = "verification_paused"


def desk_alert(lockouts: service.LockoutStore) -> Callable[[Patient], None]:
    """Tells the desk (once per pause: it is called when the pause begins) that a patient's
    web checks paused after repeated failures, so someone can reach the patient; only the
    name and MRN a supervisor's desk shows anyway, and nothing of what was typed."""
    def alert(patient: Patient) -> None:
        minutes = max(1, round(lockouts.lock_seconds / 60))
        log.warning("web identity checks paused for a patient's record after %d failed tries; "
                    "desk alerted", lockouts.patient_max_attempts)
        try:
            lockouts.redis.publish(in_db(lockouts.redis, DESK_CHANNEL), json.dumps({
                "type": RECORD_PAUSED_EVENT, "audience": "supervisors", "team": "general",
                "minutes": minutes, "patient": f"{patient.full_name} (MRN {patient.mrn})"}))
        except redis.RedisError as exc:  # the pause stands; only the alert is lost
            log.error("could not alert the desk of a paused record: %s", exc)
    return alert


@router.post("/verifications", response_model=VerificationResult)
def verify(
    body: VerificationRequest,
    session: SessionDep,
    lockouts: Annotated[service.LockoutStore, Depends(get_lockouts)],
    office: BackOfficeDep,
) -> VerificationResult:
    with http_errors():
        result = service.verify_patient(session, lockouts, body, office.identity,
                                        on_record_paused=desk_alert(lockouts))
    if result.patient_id is not None and body.language_choice is None:
        result.preferred_language = preferred_language(session, office, result.patient_id,
                                                       result.preferred_language)
    return result


def preferred_language(session: Session, office: BackOffice, patient_id: int,
                       on_file: str | None) -> str | None:
    """The language the consent domain's source keeps for the patient (the EHR's
    Patient.communication, or our record); what our own row says when it cannot answer, so
    a verification never fails for want of it."""
    try:
        return office.consent.preferences(session, patient_id).language
    except errors.BackOfficeError as exc:
        log.warning("preferred language not read from the consent source (%s); the record's "
                    "is used", type(exc).__name__)
        return on_file


@router.get("/patients/{patient_id}/balance", response_model=Balance)
def balance(patient_id: DbId, session: SessionDep, office: BackOfficeDep) -> Balance:
    with http_errors():
        return office.billing.balance(session, patient_id, clinic_today())


# --- errors and dates ----------------------------------------------------------------------


@contextmanager
def http_errors() -> Iterator[None]:
    """Typed back-office errors as HTTP answers: 404 not found (or not yours), 409 conflict,
    503 when the system of record is down or cannot do the verb."""
    try:
        yield
    except errors.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            {"code": exc.code, "message": str(exc)}) from None
    except errors.Conflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            {"code": exc.code, "message": str(exc)}) from None
    except errors.BackOfficeUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            {"code": exc.code, "message": str(exc)}) from None


def _today(now: datetime) -> date:
    return now.astimezone(clinic_tz()).date()


# --- billing -------------------------------------------------------------------------------


@router.get("/patients/{patient_id}/statement", response_model=Statement,
            dependencies=[BillingHere])
def statement(patient_id: DbId, session: SessionDep, now: NowDep) -> Statement:
    with http_errors():
        return billing.get_statement(session, patient_id, _today(now))


@router.get("/patients/{patient_id}/charges", response_model=ChargeMatches,
            dependencies=[BillingHere])
def charges(
    patient_id: DbId,
    session: SessionDep,
    amount_cents: Annotated[int | None, Query(ge=0, le=1_000_000_000)] = None,
    words: Annotated[str | None, Query(max_length=200)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> ChargeMatches:
    with http_errors():
        return billing.find_charges(session, patient_id, amount_cents=amount_cents, words=words,
                                    month=month, year=year)


@router.post("/patients/{patient_id}/billing-inquiries", response_model=BillingInquiryReceipt,
             status_code=status.HTTP_201_CREATED, dependencies=[BillingHere])
def billing_inquiry(patient_id: DbId, body: BillingInquiryCreate, session: SessionDep,
                    now: NowDep) -> BillingInquiryReceipt:
    with http_errors():
        return billing.record_billing_inquiry(session, patient_id, body, now)


@router.post("/patients/{patient_id}/payment-links", response_model=PaymentLinkInfo,
             status_code=status.HTTP_201_CREATED, dependencies=[BillingHere])
def payment_link(patient_id: DbId, session: SessionDep, settings: SettingsDep,
                 now: NowDep) -> PaymentLinkInfo:
    with http_errors():
        return billing.create_payment_link(session, patient_id, now, settings.public_base_url)


@router.get("/patients/{patient_id}/payment-plan", response_model=PaymentPlanOptions,
            dependencies=[BillingHere])
def payment_plan_options(patient_id: DbId, session: SessionDep, now: NowDep) -> PaymentPlanOptions:
    with http_errors():
        return billing.payment_plan_options(session, patient_id, _today(now))


@router.post("/patients/{patient_id}/payment-plan", response_model=PaymentPlanInfo,
             status_code=status.HTTP_201_CREATED, dependencies=[BillingHere])
def create_payment_plan(patient_id: DbId, body: PaymentPlanCreate, session: SessionDep,
                        now: NowDep) -> PaymentPlanInfo:
    with http_errors():
        return billing.create_payment_plan(session, patient_id, body.months, _today(now), now)


@router.get("/patients/{patient_id}/insurance", response_model=InsuranceSummary)
def insurance(patient_id: DbId, session: SessionDep, office: BackOfficeDep) -> InsuranceSummary:
    with http_errors():
        policies = office.insurance.policies(session, patient_id)
        try:
            claims = office.billing.claims(session, patient_id)
        except errors.NotSupported:  # coverage is still worth answering without claims
            claims = []
        return InsuranceSummary(patient_id=patient_id, policies=policies, claims=claims)


@router.post("/patients/{patient_id}/insurance-updates", response_model=InsuranceUpdateReceipt,
             status_code=status.HTTP_201_CREATED)
def insurance_update(patient_id: DbId, body: InsuranceUpdateCreate, session: SessionDep,
                     now: NowDep) -> InsuranceUpdateReceipt:
    with http_errors():
        return billing.request_insurance_update(session, patient_id, body, now)


# --- appointments --------------------------------------------------------------------------


@router.get("/patients/{patient_id}/appointments", response_model=AppointmentList)
def appointments(patient_id: DbId, session: SessionDep, now: NowDep,
                 office: BackOfficeDep) -> AppointmentList:
    with http_errors():
        return office.scheduling.upcoming_appointments(session, patient_id, now)


@router.get("/patients/{patient_id}/appointments/{appointment_id}/open-slots",
            response_model=SlotSearchResult)
def open_slots(
    patient_id: DbId,
    appointment_id: DbId,
    session: SessionDep,
    now: NowDep,
    office: BackOfficeDep,
    start: Annotated[AwareDatetime | None, Query()] = None,
    end: Annotated[AwareDatetime | None, Query()] = None,
    part_of_day: Annotated[PartOfDay | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=10)] = 3,
) -> SlotSearchResult:
    with http_errors():
        return office.scheduling.find_open_slots(session, patient_id, appointment_id, now,
                                                 start=start, end=end,
                                                 part_of_day=part_of_day, limit=limit)


@router.post("/patients/{patient_id}/appointments/{appointment_id}/reschedule",
             response_model=AppointmentInfo)
def reschedule(patient_id: DbId, appointment_id: DbId, body: RescheduleRequest,
               session: SessionDep, now: NowDep, office: BackOfficeDep) -> AppointmentInfo:
    with http_errors():
        return office.scheduling.reschedule_appointment(session, patient_id, appointment_id,
                                                        body.slot_id, now)


@router.post("/patients/{patient_id}/appointments/{appointment_id}/cancel",
             response_model=AppointmentInfo)
def cancel(patient_id: DbId, appointment_id: DbId, session: SessionDep,
           now: NowDep, office: BackOfficeDep) -> AppointmentInfo:
    with http_errors():
        return office.scheduling.cancel_appointment(session, patient_id, appointment_id, now)


# --- refills -------------------------------------------------------------------------------


@router.get("/patients/{patient_id}/prescriptions", response_model=PrescriptionList)
def prescriptions(patient_id: DbId, session: SessionDep, now: NowDep,
                  office: BackOfficeDep) -> PrescriptionList:
    with http_errors():
        return office.pharmacy.active_prescriptions(session, patient_id, now)


@router.post("/patients/{patient_id}/refill-requests", response_model=RefillInfo,
             status_code=status.HTTP_201_CREATED)
def refill(patient_id: DbId, body: RefillCreate, session: SessionDep, now: NowDep,
           office: BackOfficeDep) -> RefillInfo:
    with http_errors():
        return office.pharmacy.request_refill(session, patient_id, body.prescription_id, now)


@router.get("/patients/{patient_id}/refill-requests", response_model=RefillList)
def refill_requests(patient_id: DbId, session: SessionDep, now: NowDep,
                    office: BackOfficeDep) -> RefillList:
    with http_errors():
        return office.pharmacy.refill_status(session, patient_id, now)
