import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice import errors, pharmacy
from bot.backoffice.models import Prescription, RefillRequest, RefillStatus

REFERENCE = re.compile(r"RX-[A-HJKMNP-Z2-9]{6}")


def rx_id(session: Session, medication: str) -> int:
    return session.scalars(
        select(Prescription.id).where(Prescription.medication == medication)).one()


def test_active_prescriptions_with_their_pharmacy(seeded: Session, ids: dict[str, int],
                                                  now: datetime) -> None:
    maria = pharmacy.active_prescriptions(seeded, ids["Lopez"], now).prescriptions
    assert [(p.medication, p.strength, p.purpose, p.refills_left, p.pharmacy_name,
             p.pharmacy_address) for p in maria] == [
        ("Atorvastatin", "20 mg", "cholesterol", 0, "Main Street Pharmacy",
         "12 Main St, Cambridge, MA"),
        ("Lisinopril", "10 mg", "blood pressure", 2, "Main Street Pharmacy",
         "12 Main St, Cambridge, MA"),
    ]
    [james] = pharmacy.active_prescriptions(seeded, ids["Carter"], now).prescriptions
    assert (james.medication, james.refills_left, james.pharmacy_name) == (
        "Metformin", 5, "Hudson Pharmacy")
    assert pharmacy.active_prescriptions(seeded, ids["Khan"], now).prescriptions == []
    assert all(p.open_request is None for p in maria)


def test_a_prescription_shows_its_open_request(seeded: Session, ids: dict[str, int],
                                               now: datetime) -> None:
    """Within the open window only: the same one asking again would return."""
    lisinopril = rx_id(seeded, "Lisinopril")
    refill = pharmacy.request_refill(seeded, ids["Lopez"], lisinopril, now)
    listed = {p.medication: p.open_request
              for p in pharmacy.active_prescriptions(seeded, ids["Lopez"], now).prescriptions}
    assert listed["Atorvastatin"] is None
    assert listed["Lisinopril"] is not None
    assert (listed["Lisinopril"].reference, listed["Lisinopril"].status) == (
        refill.reference, RefillStatus.submitted)
    later = now + pharmacy.OPEN_REQUEST_WINDOW + timedelta(minutes=1)
    assert all(p.open_request is None
               for p in pharmacy.active_prescriptions(seeded, ids["Lopez"], later).prescriptions)


def test_refill_uses_one_refill(seeded: Session, ids: dict[str, int], now: datetime) -> None:
    lisinopril = rx_id(seeded, "Lisinopril")
    refill = pharmacy.request_refill(seeded, ids["Lopez"], lisinopril, now)
    assert REFERENCE.fullmatch(refill.reference)
    assert (refill.status, refill.refills_left, refill.medication, refill.strength,
            refill.pharmacy_name, refill.already_open) == (
        RefillStatus.submitted, 1, "Lisinopril", "10 mg", "Main Street Pharmacy", False)
    # Asking again while it is open does not use a second refill.
    again = pharmacy.request_refill(seeded, ids["Lopez"], lisinopril, now + timedelta(hours=1))
    assert (again.reference, again.refills_left, again.already_open) == (
        refill.reference, 1, True)
    # A week later it is a new request.
    later = pharmacy.request_refill(seeded, ids["Lopez"], lisinopril, now + timedelta(days=8))
    assert later.reference != refill.reference
    assert (later.status, later.refills_left) == (RefillStatus.submitted, 0)
    seeded.expire_all()
    assert seeded.get(Prescription, lisinopril).refills_left == 0  # type: ignore[union-attr]


def test_no_refills_left_asks_for_a_renewal(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    atorvastatin = rx_id(seeded, "Atorvastatin")
    renewal = pharmacy.request_refill(seeded, ids["Lopez"], atorvastatin, now)
    assert (renewal.status, renewal.refills_left) == (RefillStatus.renewal_requested, 0)
    row = seeded.scalars(select(RefillRequest)).one()
    assert (row.patient_id, row.prescription_id, row.status, row.reference) == (
        ids["Lopez"], atorvastatin, RefillStatus.renewal_requested, renewal.reference)
    assert row.note and "renewal" in row.note


def test_refill_of_someone_elses_prescription(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    with pytest.raises(errors.PrescriptionNotFound):
        pharmacy.request_refill(seeded, ids["Lopez"], rx_id(seeded, "Metformin"), now)
    with pytest.raises(errors.PrescriptionNotFound):
        pharmacy.request_refill(seeded, ids["Lopez"], 999_999, now)
    seeded.expire_all()
    assert seeded.get(Prescription, rx_id(seeded, "Metformin")).refills_left == 5  # type: ignore[union-attr]


def test_refill_status_lists_recent_requests_newest_first(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    first = pharmacy.request_refill(seeded, ids["Lopez"], rx_id(seeded, "Lisinopril"),
                                    now - timedelta(minutes=5))
    second = pharmacy.request_refill(seeded, ids["Lopez"], rx_id(seeded, "Atorvastatin"), now)
    status = pharmacy.refill_status(seeded, ids["Lopez"], now).requests
    assert [(r.reference, r.medication, r.status) for r in status] == [
        (second.reference, "Atorvastatin", RefillStatus.renewal_requested),
        (first.reference, "Lisinopril", RefillStatus.submitted),
    ]
    assert pharmacy.refill_status(seeded, ids["Carter"], now).requests == []
    assert pharmacy.refill_status(seeded, ids["Lopez"], now + timedelta(days=91)).requests == []


def test_open_requests_are_the_ones_that_still_stop_a_new_one(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    """Open means what request_refill means by it: waiting, and less than 7 days old."""
    stale = pharmacy.request_refill(seeded, ids["Lopez"], rx_id(seeded, "Lisinopril"),
                                    now - timedelta(days=8))
    fresh = pharmacy.request_refill(seeded, ids["Lopez"], rx_id(seeded, "Atorvastatin"),
                                    now - timedelta(days=6))
    open_now = pharmacy.open_refill_requests(seeded, ids["Lopez"], now).requests
    assert [r.reference for r in open_now] == [fresh.reference]
    assert stale.status is RefillStatus.submitted  # still "submitted", but no longer open
    assert pharmacy.open_refill_requests(seeded, ids["Carter"], now).requests == []
