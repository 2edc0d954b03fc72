"""Pharmacy verbs: active prescriptions, refill (or renewal) requests, their status."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, select, update
from sqlalchemy.orm import Session

from bot.backoffice.common import new_reference, require_patient
from bot.backoffice.errors import PrescriptionNotFound
from bot.backoffice.models import Pharmacy, Prescription, RefillRequest, RefillStatus
from bot.backoffice.schemas import (
    OpenRefillRequest,
    PrescriptionInfo,
    PrescriptionList,
    RefillInfo,
    RefillList,
)

OPEN_STATUSES = (RefillStatus.submitted, RefillStatus.renewal_requested)
# A request still open after this long no longer stops a new one.
OPEN_REQUEST_WINDOW = timedelta(days=7)
STATUS_HISTORY = timedelta(days=90)


def active_prescriptions(session: Session, patient_id: int, now: datetime
                         ) -> PrescriptionList:
    """With each one's open request, if any: the same window that makes asking again
    return the open one, so the dialogue can say so before it asks."""
    require_patient(session, patient_id)
    rows = session.execute(
        select(Prescription, Pharmacy)
        .join(Pharmacy, Pharmacy.id == Prescription.pharmacy_id)
        .where(Prescription.patient_id == patient_id, Prescription.active.is_(True))
        .order_by(Prescription.medication, Prescription.id)
    ).all()
    open_requests: dict[int, RefillRequest] = {}
    for request in session.scalars(
            select(RefillRequest)
            .where(RefillRequest.patient_id == patient_id, _is_open(now))
            .order_by(RefillRequest.created_at, RefillRequest.id)):
        open_requests[request.prescription_id] = request  # the newest wins
    return PrescriptionList(
        prescriptions=[
            PrescriptionInfo(
                id=rx.id,
                medication=rx.medication,
                strength=rx.strength,
                purpose=rx.purpose,
                refills_left=rx.refills_left,
                pharmacy_name=pharmacy.name,
                pharmacy_address=pharmacy.address,
                pharmacy_phone=pharmacy.phone,
                open_request=_open_request(open_requests.get(rx.id)),
            )
            for rx, pharmacy in rows
        ]
    )


def _open_request(request: RefillRequest | None) -> OpenRefillRequest | None:
    if request is None:
        return None
    return OpenRefillRequest(reference=request.reference, status=request.status,
                       created_at=request.created_at)


def _is_open(now: datetime) -> ColumnElement[bool]:
    """An open request: still waiting, and recent enough to stop a new one."""
    return and_(RefillRequest.status.in_(OPEN_STATUSES),
                RefillRequest.created_at > now - OPEN_REQUEST_WINDOW)


def _refill_info(request: RefillRequest, rx: Prescription, pharmacy: Pharmacy,
                 already_open: bool = False) -> RefillInfo:
    return RefillInfo(
        reference=request.reference,
        prescription_id=rx.id,
        medication=rx.medication,
        strength=rx.strength,
        status=request.status,
        refills_left=rx.refills_left,
        pharmacy_name=pharmacy.name,
        created_at=request.created_at,
        already_open=already_open,
    )


def request_refill(
    session: Session, patient_id: int, prescription_id: int, now: datetime
) -> RefillInfo:
    """A refill when one is left (the count goes down atomically), else a renewal request
    to the prescriber. Asking again while a request is open returns that request."""
    require_patient(session, patient_id)
    rx = session.get(Prescription, prescription_id)
    if rx is None or rx.patient_id != patient_id or not rx.active:
        raise PrescriptionNotFound()
    pharmacy = session.get(Pharmacy, rx.pharmacy_id)
    assert pharmacy is not None  # foreign key
    open_request = session.scalar(
        select(RefillRequest)
        .where(RefillRequest.prescription_id == rx.id, _is_open(now))
        .order_by(RefillRequest.created_at.desc())
        .limit(1)
    )
    if open_request is not None:
        return _refill_info(open_request, rx, pharmacy, already_open=True)

    decremented = cast(
        CursorResult[Any],
        session.execute(
            update(Prescription)
            .where(Prescription.id == rx.id, Prescription.refills_left > 0)
            .values(refills_left=Prescription.refills_left - 1)
            .execution_options(synchronize_session=False)
        ),
    )
    refill = decremented.rowcount == 1
    request = RefillRequest(
        patient_id=patient_id,
        prescription_id=rx.id,
        reference=new_reference(session, "RX", RefillRequest.reference),
        status=RefillStatus.submitted if refill else RefillStatus.renewal_requested,
        created_at=now,
        note=None if refill else "no refills left: renewal requested from the prescriber",
    )
    session.add(request)
    session.commit()
    session.refresh(rx)
    return _refill_info(request, rx, pharmacy)


def refill_status(session: Session, patient_id: int, now: datetime,
                  limit: int = 10) -> RefillList:
    """The patient's recent refill and renewal requests, newest first."""
    return _requests(session, patient_id, RefillRequest.created_at > now - STATUS_HISTORY,
                     newest_first=True, limit=limit)


def open_refill_requests(session: Session, patient_id: int, now: datetime) -> RefillList:
    """The patient's refill and renewal requests still open, oldest first: the same window
    that makes asking again return the open one."""
    return _requests(session, patient_id, _is_open(now), newest_first=False)


def _requests(session: Session, patient_id: int, condition: ColumnElement[bool], *,
              newest_first: bool, limit: int | None = None) -> RefillList:
    require_patient(session, patient_id)
    order = ((RefillRequest.created_at.desc(), RefillRequest.id.desc()) if newest_first
             else (RefillRequest.created_at, RefillRequest.id))
    rows = session.execute(
        select(RefillRequest, Prescription, Pharmacy)
        .join(Prescription, Prescription.id == RefillRequest.prescription_id)
        .join(Pharmacy, Pharmacy.id == Prescription.pharmacy_id)
        .where(RefillRequest.patient_id == patient_id, condition)
        .order_by(*order)
        .limit(limit)
    ).all()
    return RefillList(requests=[_refill_info(r, rx, ph) for r, rx, ph in rows])
