"""The demo back office of DESIGN.md, with dates relative to today. Synthetic people only.

Run as `python -m bot.demo.seed [--force]`. It re-seeds when the data was seeded on
an earlier day (so "in 3 days" stays true), and leaves today's data alone otherwise.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.backoffice.consent import grant
from bot.backoffice.models import (
    Appointment,
    AppointmentStatus,
    BillingInquiry,
    Charge,
    ClaimStatus,
    InsurancePolicy,
    InsuranceUpdateRequest,
    Invoice,
    LanguageSource,
    OutreachConsent,
    Patient,
    PatientShareReason,
    Payment,
    PaymentLink,
    PaymentPlan,
    Pharmacy,
    Prescription,
    Provider,
    RefillRequest,
    SeedRun,
    Slot,
)
from bot.clock import clinic_today, clinic_tz
from bot.db import get_sessionmaker
from bot.demo.population import add_population, plan_population
from bot.outreach.enums import Purpose
from bot.outreach.models import OutreachMessage, OutreachPatient
from bot.settings import get_settings

SLOT_TIMES = [time(9, 0), time(9, 30), time(10, 30), time(11, 0), time(13, 30), time(14, 0),
              time(15, 0), time(16, 0)]


def _at(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def clear(session: Session) -> None:
    """Empties the back office, children before parents (foreign keys)."""
    # Outreach rows point at the demo patients: they go first.
    for outreach in (OutreachMessage, OutreachConsent, OutreachPatient):
        session.execute(delete(outreach))
    for model in (RefillRequest, PaymentLink, PaymentPlan, BillingInquiry, InsuranceUpdateRequest,
                  InsurancePolicy, Prescription, Pharmacy, Payment, Charge, Invoice,
                  Appointment, Slot, Provider, Patient, SeedRun):
        session.execute(delete(model))


def seed(session: Session, today: date, tz: ZoneInfo) -> None:
    """Writes the demo data; the caller commits."""
    clear(session)
    shah = Provider(name="Dr. Priya Shah", specialty="primary care",
                    location="Riverside Primary Care, 100 Main St, Suite 2")
    kim = Provider(name="Dr. Alan Kim", specialty="cardiology",
                   location="Riverside Heart Center, 250 River Rd, 3rd floor")
    maria = Patient(mrn="MRN100101", first_name="Maria", last_name="Lopez",
                    date_of_birth=date(1984, 3, 12), phone="+15555550101", zip_code="02139",
                    email="maria.lopez@example.com", sms_consent=True,
                    # In good standing; her $125.40 is under the plan minimum ($150.00).
                    payment_plan_eligible=True)
    james = Patient(mrn="MRN100102", first_name="James", last_name="Carter",
                    date_of_birth=date(1975, 11, 2), phone="+15555550102", zip_code="10001",
                    email="james.carter@example.com", sms_consent=True,
                    payment_plan_eligible=True)
    aisha = Patient(mrn="MRN100103", first_name="Aisha", last_name="Khan",
                    date_of_birth=date(1992, 7, 25), phone="+15555550103", zip_code="60614",
                    email="aisha.khan@example.com", sms_consent=False, payment_plan_eligible=True)
    # She prefers Spanish: the record says so (DESIGN.md).
    rosa = Patient(mrn="MRN100104", first_name="Rosa", last_name="Martínez",
                   date_of_birth=date(1968, 9, 30), phone="+15555550104", zip_code="33125",
                   email="rosa.martinez@example.com", sms_consent=True,
                   payment_plan_eligible=True, preferred_language="es",
                   preferred_language_source=LanguageSource.record)
    session.add_all([shah, kim, maria, james, aisha, rosa])
    session.flush()

    for provider in (shah, kim):
        for offset in range(1, 15):
            day = today + timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for at in SLOT_TIMES:
                session.add(Slot(provider_id=provider.id, starts_at=_at(day, at, tz)))
    session.flush()

    def book(patient: Patient, provider: Provider, day: date, at: time,
             status: AppointmentStatus = AppointmentStatus.booked) -> None:
        starts = _at(day, at, tz)
        slot = session.scalar(select(Slot).where(Slot.provider_id == provider.id,
                                                 Slot.starts_at == starts))
        if slot is None:
            slot = Slot(provider_id=provider.id, starts_at=starts)
            session.add(slot)
            session.flush()
        session.add(Appointment(patient_id=patient.id, provider_id=provider.id, slot_id=slot.id,
                                starts_at=starts, status=status,
                                booked_at=_at(today - timedelta(days=10), time(9, 0), tz)))

    book(maria, shah, today + timedelta(days=3), time(10, 30))
    book(james, kim, today + timedelta(days=7), time(14, 0))
    book(aisha, shah, today - timedelta(days=1), time(9, 0), AppointmentStatus.no_show)
    book(rosa, shah, today + timedelta(days=5), time(9, 0))

    maria_invoice = Invoice(patient_id=maria.id, statement_date=today - timedelta(days=14),
                            due_date=today + timedelta(days=16))
    aisha_invoice = Invoice(patient_id=aisha.id, statement_date=today - timedelta(days=75),
                            due_date=today - timedelta(days=45))
    rosa_invoice = Invoice(patient_id=rosa.id, statement_date=today - timedelta(days=10),
                           due_date=today + timedelta(days=20))
    session.add_all([maria_invoice, aisha_invoice, rosa_invoice])
    session.flush()
    visit_day = today - timedelta(days=21)
    session.add_all([
        Charge(patient_id=maria.id, invoice_id=maria_invoice.id, service_date=visit_day,
               description="Office visit copay", billed_cents=15000,
               insurance_paid_cents=11000, patient_cents=4000, claim_status=ClaimStatus.paid,
               patient_share_reason=PatientShareReason.copay),
        Charge(patient_id=maria.id, invoice_id=maria_invoice.id, service_date=visit_day,
               description="Lab work", billed_cents=21000, insurance_paid_cents=12460,
               patient_cents=8540, claim_status=ClaimStatus.paid,
               patient_share_reason=PatientShareReason.deductible),
        Charge(patient_id=aisha.id, invoice_id=aisha_invoice.id,
               service_date=today - timedelta(days=90), description="Specialist visit",
               billed_cents=42000, insurance_paid_cents=11000, patient_cents=31000,
               claim_status=ClaimStatus.paid, patient_share_reason=PatientShareReason.deductible),
        # Not billed yet: the insurer is still deciding, so James owes nothing ($0.00).
        Charge(patient_id=james.id, invoice_id=None, service_date=today - timedelta(days=10),
               description="Cardiology consult", billed_cents=35000, insurance_paid_cents=0,
               patient_cents=0, claim_status=ClaimStatus.pending),
        Charge(patient_id=rosa.id, invoice_id=rosa_invoice.id,
               service_date=today - timedelta(days=12), description="Office visit copay",
               billed_cents=18000, insurance_paid_cents=11800, patient_cents=6200,
               claim_status=ClaimStatus.paid, patient_share_reason=PatientShareReason.copay),
    ])
    # Synthetic payers and member IDs.
    session.add_all([
        InsurancePolicy(patient_id=maria.id, payer="Blue Harbor Health", member_id="BHH482913375",
                        group_number="GRP-20417", plan_name="Blue Harbor PPO Silver"),
        InsurancePolicy(patient_id=james.id, payer="Keystone Mutual", member_id="KMU771045298",
                        group_number="KM-88120", plan_name="Keystone HMO Gold"),
        InsurancePolicy(patient_id=aisha.id, payer="Lakeshore Care Plan",
                        member_id="LCP390266814", group_number="LS-55031",
                        plan_name="Lakeshore EPO Bronze"),
        InsurancePolicy(patient_id=rosa.id, payer="Coral Coast Health",
                        member_id="CCH550318842", group_number="CC-31250",
                        plan_name="Coral Coast HMO Silver"),
    ])

    main_st = Pharmacy(name="Main Street Pharmacy", address="12 Main St, Cambridge, MA",
                       phone="(555) 555-0140")
    hudson = Pharmacy(name="Hudson Pharmacy", address="200 W 34th St, New York, NY",
                      phone="(555) 555-0150")
    little_havana = Pharmacy(name="Little Havana Pharmacy", address="1450 SW 8th St, Miami, FL",
                             phone="(555) 555-0160")
    session.add_all([main_st, hudson, little_havana])
    session.flush()
    session.add_all([
        Prescription(patient_id=maria.id, prescriber_id=shah.id, pharmacy_id=main_st.id,
                     medication="Lisinopril", strength="10 mg", purpose="blood pressure",
                     refills_left=2, supply_ends_on=today + timedelta(days=20)),
        Prescription(patient_id=maria.id, prescriber_id=shah.id, pharmacy_id=main_st.id,
                     medication="Atorvastatin", strength="20 mg", purpose="cholesterol",
                     refills_left=0, supply_ends_on=today + timedelta(days=4)),
        Prescription(patient_id=james.id, prescriber_id=kim.id, pharmacy_id=hudson.id,
                     medication="Metformin", strength="500 mg", purpose="blood sugar",
                     refills_left=5, supply_ends_on=today + timedelta(days=5)),
        Prescription(patient_id=rosa.id, prescriber_id=shah.id, pharmacy_id=little_havana.id,
                     medication="Amlodipine", strength="5 mg", purpose="blood pressure",
                     refills_left=3, supply_ends_on=today + timedelta(days=12)),
    ])
    # Outreach consent: Maria, James and Rosa agreed to care texts at intake; nobody to
    # billing texts; Aisha to nothing (her no-show follow-up is suppressed for consent).
    intake = _at(today - timedelta(days=400), time(9, 0), tz)
    for patient in (maria, james, rosa):
        grant(session, patient.id, Purpose.care, "intake form (demo)", intake)
    session.add(SeedRun(seeded_on=today))


def seed_if_stale(session: Session, today: date, tz: ZoneInfo, force: bool = False) -> bool:
    last = session.scalar(select(SeedRun.seeded_on).order_by(SeedRun.id.desc()).limit(1))
    if not force and last == today:
        return False
    seed(session, today, tz)
    session.commit()
    return True


# Demo data only where asked: APP_ENV=dev (and "test", the tests' throwaway
# databases). Anywhere else the seed touches nothing.
SEED_ENVS = ("dev", "test")
NOT_IN_PROD = ("seed: refused, APP_ENV is {env!r}. Demo patients are loaded only with "
               "APP_ENV=dev, and nothing is ever deleted outside dev. Load your health "
               "system's records instead; agents: python -m bot.desk.agents add.")
POPULATION_DEV_ONLY = ("seed: --population refused, APP_ENV is {env!r}: the synthetic "
                       "population is for demo traffic on a dev stack only.")
NOT_OURS = ("seed: refused, the back office holds patients this seed did not write. "
            "Re-seeding deletes every back-office table; if that is really what you want "
            "in this dev database, run: APP_ENV=dev python -m bot.demo.seed --force")


def holds_other_data(session: Session) -> bool:
    """Patients but no record of a seed run: someone else's data, never ours to delete."""
    has_patients = session.scalar(select(Patient.id).limit(1)) is not None
    return has_patients and session.scalar(select(SeedRun.id).limit(1)) is None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true",
                        help="dev only: re-seed even if seeded today, or over other data")
    parser.add_argument("--population", type=int, default=0, metavar="N",
                        help="dev only: also N synthetic patients (bot/demo/population.py)"
                             ", for demo traffic; those already there are kept")
    args = parser.parse_args(argv)
    env = get_settings().app_env
    if env not in SEED_ENVS:
        print(NOT_IN_PROD.format(env=env), file=sys.stderr)
        return 2
    if args.population and env != "dev":
        print(POPULATION_DEV_ONLY.format(env=env), file=sys.stderr)
        return 2
    with get_sessionmaker()() as session:
        if not args.force and holds_other_data(session):
            print(NOT_OURS, file=sys.stderr)
            return 2
        if seed_if_stale(session, clinic_today(), clinic_tz(), force=args.force):
            print("seed: demo back office written (4 patients, 2 providers, open slots)")
        else:
            print("seed: demo back office already seeded today; use --force to reset it")
        if args.population:
            try:
                people = plan_population(args.population)
            except ValueError as exc:
                print(f"seed: {exc}", file=sys.stderr)
                return 2
            added = add_population(session, people, clinic_today(), clinic_tz())
            session.commit()
            print(f"seed: synthetic population of {len(people)} ({added} added)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
