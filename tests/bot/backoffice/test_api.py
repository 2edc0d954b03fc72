"""The back-office HTTP API: the service token, and every endpoint over the real app."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice.models import Appointment, Charge, Prescription
from bot.clock import clinic_today, clinic_tz
from tests.bot.backoffice.conftest import AUTH

ENDPOINTS = [
    ("GET", "/api/backoffice/patients/1/statement"),
    ("GET", "/api/backoffice/patients/1/charges"),
    ("POST", "/api/backoffice/patients/1/billing-inquiries"),
    ("POST", "/api/backoffice/patients/1/payment-links"),
    ("GET", "/api/backoffice/patients/1/payment-plan"),
    ("POST", "/api/backoffice/patients/1/payment-plan"),
    ("GET", "/api/backoffice/patients/1/insurance"),
    ("POST", "/api/backoffice/patients/1/insurance-updates"),
    ("GET", "/api/backoffice/patients/1/appointments"),
    ("GET", "/api/backoffice/patients/1/appointments/1/open-slots"),
    ("POST", "/api/backoffice/patients/1/appointments/1/reschedule"),
    ("POST", "/api/backoffice/patients/1/appointments/1/cancel"),
    ("GET", "/api/backoffice/patients/1/prescriptions"),
    ("POST", "/api/backoffice/patients/1/refill-requests"),
    ("GET", "/api/backoffice/patients/1/refill-requests"),
]


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_every_endpoint_needs_the_service_token(client, seeded: Session, method: str,
                                                path: str) -> None:
    assert client.request(method, path, json={}).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert client.request(method, path, json={}, headers=wrong).status_code == 401


def api(patient_id: int, rest: str) -> str:
    return f"/api/backoffice/patients/{patient_id}{rest}"


def test_billing_endpoints(client, seeded: Session, ids: dict[str, int]) -> None:
    maria = ids["Lopez"]
    statement = client.get(api(maria, "/statement"), headers=AUTH).json()
    assert statement["balance_cents"] == 12540
    assert [c["claim_status"] for c in statement["charges"]] == ["paid", "paid"]
    found = client.get(api(maria, "/charges"), params={"amount_cents": 8500, "words": "lab fee"},
                       headers=AUTH).json()
    assert [c["description"] for c in found["charges"]] == ["Lab work"]
    assert client.get(api(maria, "/charges"), params={"month": 13},
                      headers=AUTH).status_code == 422
    lab = found["charges"][0]["id"]
    inquiry = client.post(api(maria, "/billing-inquiries"),
                          json={"kind": "duplicate", "charge_id": lab}, headers=AUTH)
    assert inquiry.status_code == 201 and inquiry.json()["reference"].startswith("BI-")
    aishas = seeded.scalars(select(Charge.id).where(Charge.patient_id == ids["Khan"])).one()
    other = client.post(api(maria, "/billing-inquiries"),
                        json={"kind": "dispute", "charge_id": aishas}, headers=AUTH)
    assert other.status_code == 404 and other.json()["detail"]["code"] == "charge_not_found"
    link = client.post(api(maria, "/payment-links"), headers=AUTH)
    assert link.status_code == 201
    assert link.json()["url"].startswith("https://assistant.example.org/pay/")
    assert link.json()["amount_cents"] == 12540
    nothing = client.post(api(ids["Carter"], "/payment-links"), headers=AUTH)
    assert nothing.status_code == 409 and nothing.json()["detail"]["code"] == "nothing_owed"


def test_payment_plan_endpoints(client, seeded: Session, ids: dict[str, int]) -> None:
    aisha = ids["Khan"]
    offer = client.get(api(aisha, "/payment-plan"), headers=AUTH).json()
    assert offer["eligible"] is True
    assert [(o["months"], o["monthly_cents"]) for o in offer["options"]] == [
        (3, 10334), (6, 5167), (12, 2584)]
    unconfirmed = client.post(api(aisha, "/payment-plan"), json={"months": 3, "confirmed": False},
                              headers=AUTH)
    assert unconfirmed.status_code == 422
    assert client.post(api(aisha, "/payment-plan"), json={"months": 5, "confirmed": True},
                       headers=AUTH).status_code == 422
    plan = client.post(api(aisha, "/payment-plan"), json={"months": 3, "confirmed": True},
                       headers=AUTH)
    assert plan.status_code == 201
    assert (plan.json()["monthly_cents"], plan.json()["last_month_cents"]) == (10334, 10332)
    second = client.post(api(aisha, "/payment-plan"), json={"months": 6, "confirmed": True},
                         headers=AUTH)
    assert second.status_code == 409
    assert second.json()["detail"]["code"] == "payment_plan_unavailable"
    maria = client.get(api(ids["Lopez"], "/payment-plan"), headers=AUTH).json()
    assert (maria["eligible"], maria["reason"], maria["balance_cents"], maria["minimum_cents"],
            maria["hold"]) == (False, "below_minimum", 12540, 15000, None)


def test_payment_plan_hold_and_charge_reasons(client, seeded: Session,
                                              ids: dict[str, int]) -> None:
    """The reasons the record holds travel as their codes."""
    from bot.backoffice.models import Patient, PaymentPlanHold

    seeded.get_one(Patient, ids["Khan"]).payment_plan_hold = PaymentPlanHold.plan_defaulted
    seeded.commit()
    aisha = client.get(api(ids["Khan"], "/payment-plan"), headers=AUTH).json()
    assert (aisha["eligible"], aisha["reason"], aisha["hold"], aisha["options"]) == (
        False, "not_eligible", "plan_defaulted", [])
    statement = client.get(api(ids["Lopez"], "/statement"), headers=AUTH).json()
    assert [(c["description"], c["patient_share_reason"], c["denial_reason"])
            for c in statement["charges"]] == [
        ("Office visit copay", "copay", None), ("Lab work", "deductible", None)]


def test_insurance_endpoints(client, seeded: Session, ids: dict[str, int]) -> None:
    summary = client.get(api(ids["Lopez"], "/insurance"), headers=AUTH)
    assert summary.json()["policies"][0]["member_id_masked"] == "********3375"
    assert "BHH482913375" not in summary.text
    update = client.post(api(ids["Lopez"], "/insurance-updates"),
                         json={"payer": "Northwind Health", "member_id": "NWH5550001234"},
                         headers=AUTH)
    assert update.status_code == 201
    assert update.json()["member_id_masked"] == "*********1234"
    assert update.json()["reference"].startswith("INS-")


def test_appointment_endpoints(client, seeded: Session, ids: dict[str, int]) -> None:
    maria = ids["Lopez"]
    [appt] = client.get(api(maria, "/appointments"), headers=AUTH).json()["appointments"]
    starts = datetime.fromisoformat(appt["starts_at"])
    assert starts == datetime.combine(clinic_today() + timedelta(days=3),
                                      datetime.min.time().replace(hour=10, minute=30),
                                      tzinfo=clinic_tz())
    assert starts.utcoffset() is not None
    assert (appt["provider_name"], appt["specialty"]) == ("Dr. Priya Shah", "primary care")
    slots_path = api(maria, f"/appointments/{appt['id']}/open-slots")
    found = client.get(slots_path, params={"part_of_day": "evening"}, headers=AUTH).json()
    assert found["widened"] is True and len(found["slots"]) == 3
    day = clinic_today() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    start = datetime.combine(day, datetime.min.time(), tzinfo=clinic_tz())
    window = client.get(slots_path, params={"start": start.isoformat(),
                                            "end": (start + timedelta(days=1)).isoformat(),
                                            "part_of_day": "afternoon", "limit": 2},
                        headers=AUTH).json()
    assert [datetime.fromisoformat(s["starts_at"]).strftime("%H:%M") for s in window["slots"]] == [
        "13:30", "14:00"]
    assert window["widened"] is False
    naive = client.get(slots_path, params={"start": "2030-01-01T09:00:00"}, headers=AUTH)
    assert naive.status_code == 422
    assert client.get(slots_path, params={"limit": 50}, headers=AUTH).status_code == 422

    target = window["slots"][0]
    moved = client.post(api(maria, f"/appointments/{appt['id']}/reschedule"),
                        json={"slot_id": target["id"]}, headers=AUTH)
    assert moved.status_code == 200 and moved.json()["starts_at"] == target["starts_at"]
    james = seeded.scalars(select(Appointment).where(Appointment.patient_id == ids["Carter"])
                           ).one()
    foreign = client.post(api(maria, f"/appointments/{james.id}/reschedule"),
                          json={"slot_id": target["id"]}, headers=AUTH)
    assert foreign.status_code == 404
    assert foreign.json()["detail"]["code"] == "appointment_not_found"
    assert client.post(api(maria, f"/appointments/{james.id}/cancel"),
                       headers=AUTH).status_code == 404
    cancelled = client.post(api(maria, f"/appointments/{appt['id']}/cancel"), headers=AUTH)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = client.post(api(maria, f"/appointments/{appt['id']}/cancel"), headers=AUTH)
    assert again.status_code == 409
    assert again.json()["detail"]["code"] == "appointment_not_changeable"


def test_taken_slot_is_409(client, seeded: Session, ids: dict[str, int]) -> None:
    maria = seeded.scalars(select(Appointment).where(Appointment.patient_id == ids["Lopez"])
                           ).one()
    path = api(ids["Lopez"], f"/appointments/{maria.id}/open-slots")
    slot = client.get(path, headers=AUTH).json()["slots"][0]
    seeded.add(Appointment(patient_id=ids["Khan"], provider_id=maria.provider_id,
                           slot_id=slot["id"],
                           starts_at=datetime.fromisoformat(slot["starts_at"])))
    seeded.commit()
    taken = client.post(api(ids["Lopez"], f"/appointments/{maria.id}/reschedule"),
                        json={"slot_id": slot["id"]}, headers=AUTH)
    assert taken.status_code == 409 and taken.json()["detail"]["code"] == "slot_taken"


def test_refill_endpoints(client, seeded: Session, ids: dict[str, int]) -> None:
    maria = ids["Lopez"]
    meds = client.get(api(maria, "/prescriptions"), headers=AUTH).json()["prescriptions"]
    assert [(m["medication"], m["refills_left"]) for m in meds] == [
        ("Atorvastatin", 0), ("Lisinopril", 2)]
    lisinopril = meds[1]["id"]
    refill = client.post(api(maria, "/refill-requests"), json={"prescription_id": lisinopril},
                         headers=AUTH)
    assert refill.status_code == 201
    assert (refill.json()["status"], refill.json()["refills_left"]) == ("submitted", 1)
    metformin = seeded.scalars(select(Prescription.id).where(
        Prescription.medication == "Metformin")).one()
    assert client.post(api(maria, "/refill-requests"), json={"prescription_id": metformin},
                       headers=AUTH).status_code == 404
    status = client.get(api(maria, "/refill-requests"), headers=AUTH).json()["requests"]
    assert [r["reference"] for r in status] == [refill.json()["reference"]]


@pytest.mark.parametrize("path", ["/statement", "/charges", "/payment-plan", "/insurance",
                                  "/appointments", "/prescriptions", "/refill-requests"])
def test_unknown_patient_is_404(client, seeded: Session, path: str) -> None:
    resp = client.get(api(999_999, path), headers=AUTH)
    assert resp.status_code == 404
    assert resp.json()["detail"]["code"] == "patient_not_found"


def test_dates_are_plain_iso(client, seeded: Session, ids: dict[str, int]) -> None:
    statement = client.get(api(ids["Lopez"], "/statement"), headers=AUTH).json()
    assert date.fromisoformat(statement["due_date"]) == clinic_today() + timedelta(days=16)
