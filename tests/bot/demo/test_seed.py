from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.backoffice.models import Appointment, AppointmentStatus, Patient, Prescription, Slot
from bot.clock import clinic_today, clinic_tz
from bot.demo.seed import seed_if_stale


def test_seed_follows_the_design(seeded: Session) -> None:
    tz = clinic_tz()
    today = clinic_today()
    patients = {p.last_name: p for p in seeded.scalars(select(Patient))}
    assert set(patients) == {"Lopez", "Carter", "Khan", "Martínez"}
    assert patients["Khan"].sms_consent is False
    maria_appt = seeded.scalars(
        select(Appointment).where(Appointment.patient_id == patients["Lopez"].id)
    ).one()
    local = maria_appt.starts_at.astimezone(tz)
    assert (local.date(), local.hour, local.minute) == (today + timedelta(days=3), 10, 30)
    missed = seeded.scalars(
        select(Appointment).where(Appointment.patient_id == patients["Khan"].id)
    ).one()
    assert missed.status is AppointmentStatus.no_show
    assert missed.starts_at.astimezone(tz).date() == today - timedelta(days=1)
    refills = {p.medication: p.refills_left for p in seeded.scalars(select(Prescription))}
    assert refills == {"Lisinopril": 2, "Atorvastatin": 0, "Metformin": 5, "Amlodipine": 3}
    # Open slots fall on weekdays; the booked ones are where the design puts them ("in 3 / 7
    # days", "yesterday"), whatever weekday that is.
    booked = select(Appointment.slot_id)
    open_slots = seeded.scalars(select(Slot.starts_at).where(Slot.id.not_in(booked))).all()
    days = {s.astimezone(tz).date() for s in open_slots}
    assert days and all(d.weekday() < 5 for d in days)
    assert min(days) > today and max(days) <= today + timedelta(days=14)


def test_seed_runs_once_a_day(db: Session) -> None:
    today = clinic_today()
    assert seed_if_stale(db, today, clinic_tz()) is True
    assert seed_if_stale(db, today, clinic_tz()) is False
    count = db.scalar(select(func.count()).select_from(Patient))
    assert count == 4
    assert seed_if_stale(db, today + timedelta(days=1), clinic_tz()) is True
    assert db.scalar(select(func.count()).select_from(Patient)) == 4
    newest = db.scalars(select(Appointment.starts_at)).all()
    assert any(s.astimezone(clinic_tz()).date() == today + timedelta(days=4) for s in newest)
    assert isinstance(newest[0], datetime)


def test_seed_insurance_and_claims(seeded: Session) -> None:
    from bot.backoffice.models import Charge, ClaimStatus, InsurancePolicy

    by_patient = {p.id: p.last_name for p in seeded.scalars(select(Patient))}
    policies = {by_patient[p.patient_id]: (p.payer, p.member_id, p.group_number, p.plan_name)
                for p in seeded.scalars(select(InsurancePolicy))}
    assert policies == {
        "Lopez": ("Blue Harbor Health", "BHH482913375", "GRP-20417", "Blue Harbor PPO Silver"),
        "Carter": ("Keystone Mutual", "KMU771045298", "KM-88120", "Keystone HMO Gold"),
        "Khan": ("Lakeshore Care Plan", "LCP390266814", "LS-55031", "Lakeshore EPO Bronze"),
        "Martínez": ("Coral Coast Health", "CCH550318842", "CC-31250", "Coral Coast HMO Silver"),
    }
    claims = sorted((by_patient[c.patient_id], c.description, c.patient_cents, c.claim_status,
                     c.patient_share_reason, c.denial_reason)
                    for c in seeded.scalars(select(Charge)))
    assert claims == [
        ("Carter", "Cardiology consult", 0, ClaimStatus.pending, None, None),
        ("Khan", "Specialist visit", 31000, ClaimStatus.paid, "deductible", None),
        ("Lopez", "Lab work", 8540, ClaimStatus.paid, "deductible", None),
        ("Lopez", "Office visit copay", 4000, ClaimStatus.paid, "copay", None),
        ("Martínez", "Office visit copay", 6200, ClaimStatus.paid, "copay", None),
    ]


def test_seed_payment_plan_standing(seeded: Session) -> None:
    """Every account is in good standing (no hold); Aisha's $310.00 is over the plan minimum
    and Maria's $125.40 is under it, so only Aisha is offered a plan."""
    from bot.backoffice import billing

    standing = {p.last_name: (p.payment_plan_eligible, p.payment_plan_hold)
                for p in seeded.scalars(select(Patient))}
    assert standing == {"Lopez": (True, None), "Carter": (True, None), "Khan": (True, None),
                        "Martínez": (True, None)}
    assert 12540 < billing.PLAN_MINIMUM_CENTS <= 31000


def test_reseed_clears_what_the_dialogue_wrote(seeded: Session) -> None:
    """Inquiries, links, plans, payments and requests do not survive a re-seed."""
    from bot.backoffice import billing, pharmacy
    from bot.backoffice.models import (
        BillingInquiry,
        InquiryKind,
        InsuranceUpdateRequest,
        Payment,
        PaymentLink,
        PaymentPlan,
        RefillRequest,
    )
    from bot.backoffice.schemas import BillingInquiryCreate, InsuranceUpdateCreate

    now = datetime.now(clinic_tz())
    ids = {p.last_name: p.id for p in seeded.scalars(select(Patient))}
    rx = seeded.scalars(select(Prescription.id).where(Prescription.medication == "Lisinopril")
                        ).one()
    billing.record_billing_inquiry(seeded, ids["Lopez"],
                                   BillingInquiryCreate(kind=InquiryKind.dispute), now)
    token = billing.create_payment_link(seeded, ids["Lopez"], now, "http://x").url.split("/")[-1]
    billing.pay_with_link(seeded, token, now)
    billing.create_payment_plan(seeded, ids["Khan"], 3, clinic_today(), now)
    billing.request_insurance_update(seeded, ids["Khan"], InsuranceUpdateCreate(), now)
    pharmacy.request_refill(seeded, ids["Lopez"], rx, now)
    assert seed_if_stale(seeded, clinic_today(), clinic_tz(), force=True) is True
    for model in (BillingInquiry, PaymentLink, Payment, PaymentPlan, InsuranceUpdateRequest,
                  RefillRequest):
        assert seeded.scalar(select(func.count()).select_from(model)) == 0
    assert seeded.scalar(select(func.count()).select_from(Patient)) == 4


def test_rosa_martinez_prefers_spanish_as_the_design_says(seeded: Session) -> None:
    """DESIGN.md's fourth patient, on the record in Spanish; the others in English."""
    from bot.backoffice import billing
    from bot.backoffice.consent import refusal
    from bot.backoffice.enums import Purpose
    from bot.backoffice.models import Pharmacy, Provider

    tz, today = clinic_tz(), clinic_today()
    rosa = seeded.scalars(select(Patient).where(Patient.last_name == "Martínez")).one()
    assert (rosa.full_name, rosa.date_of_birth.isoformat(), rosa.phone, rosa.zip_code) == (
        "Rosa Martínez", "1968-09-30", "+15555550104", "33125")
    languages = {p.last_name: (p.preferred_language, p.preferred_language_source.value)
                 for p in seeded.scalars(select(Patient))}
    assert languages == {"Lopez": ("en", "record"), "Carter": ("en", "record"),
                         "Khan": ("en", "record"), "Martínez": ("es", "record")}
    statement = billing.get_statement(seeded, rosa.id, today)
    assert statement.balance_cents == 6200
    assert [(c.description, c.patient_cents, c.patient_share_reason)
            for c in statement.charges] == [("Office visit copay", 6200, "copay")]
    appointment = seeded.scalars(select(Appointment).where(Appointment.patient_id == rosa.id)
                                 ).one()
    local = appointment.starts_at.astimezone(tz)
    doctor = seeded.get(Provider, appointment.provider_id)
    assert doctor is not None
    assert (doctor.name, doctor.specialty, appointment.status, local.date(), local.hour,
            local.minute) == ("Dr. Priya Shah", "primary care", AppointmentStatus.booked,
                              today + timedelta(days=5), 9, 0)
    rx = seeded.scalars(select(Prescription).where(Prescription.patient_id == rosa.id)).one()
    pharmacy = seeded.get(Pharmacy, rx.pharmacy_id)
    assert pharmacy is not None
    assert (rx.medication, rx.strength, rx.refills_left, pharmacy.name) == (
        "Amlodipine", "5 mg", 3, "Little Havana Pharmacy")
    assert refusal(seeded, rosa, Purpose.care) is None
    assert refusal(seeded, rosa, Purpose.billing) is not None
