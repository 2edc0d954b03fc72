"""Synthetic patients beyond DESIGN.md's four, so demo traffic spreads over a population.

With four patients, a few hundred demo conversations make nearly every patient come back
about the same thing within minutes, and containment reads ~2 %. Real clinics see a patient
a few times a year. `python -m bot.demo.seed --population 80` (dev only; what
`make demo-traffic` runs) adds these people next to the demo seed, through the same code
path, idempotently (a patient whose MRN is there is skipped), with dates relative to today.

Everyone here is made up: the surnames say so, the numbers are in the fictional 555-01xx
range, MRNs start with MRNPOP. The plan is a pure function of its seed, so the traffic script
knows the same names, dates of birth and numbers the back office holds.

Past visits come with the reminders outreach would have left for them, so the Insights
page's no-show comparison has something to compare: each patient's group is F's own
(`holdout_groups`), a held-out patient's reminders are suppressed as `hold_out`, a patient
without consent's as `no_consent`, the others delivered at their due time (about half of the
last ones confirmed by reply, `CONFIRMED`). Whether a visit was missed is drawn from one rate
for everyone (`MISSED`): no reminder effect is planted, so any difference the demo shows
between the groups is noise, as docs/metrics.md warns it may be.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice.consent import grant
from bot.backoffice.models import (
    Appointment,
    AppointmentStatus,
    Charge,
    ClaimStatus,
    InsurancePolicy,
    Invoice,
    Patient,
    PatientShareReason,
    Pharmacy,
    Prescription,
    Provider,
    RefillRequest,
    RefillStatus,
    Slot,
)
from bot.outreach.enums import (
    PRIORITY,
    PURPOSE,
    OutreachKind,
    OutreachStatus,
    Purpose,
    SuppressReason,
)
from bot.outreach.models import OutreachMessage
from bot.outreach.planning import Candidate, holdout_groups, reminder_offsets
from bot.settings import Settings, get_settings

# One seed for the population whatever the traffic's seed: the people stay the same.
POPULATION_SEED = 20261129
MRN_PREFIX = "MRNPOP"
# 555-0100 to 555-0199 are reserved for fiction. Taken: 0100 (the clinic's SMS number),
# 0101-0104 (the demo patients), 0140, 0150 and 0160 (the demo pharmacies), 0199 (the clinic).
PHONES = tuple(f"+1555555{n:04d}" for n in range(105, 199) if n not in (140, 150, 160))
MAX_POPULATION = len(PHONES)
FIRST_NAMES = ("Ava", "Ben", "Carla", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonah",
               "Kara", "Luis", "Mina", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tara",
               "Umar", "Vera", "Wes", "Xena", "Yusuf", "Zoe")
# Made-up surnames that read as such (a sample, a placeholder, a test).
LAST_NAMES = ("Sampleton", "Placeholder", "Testwell", "Mockridge", "Fakenham", "Dummerson",
              "Stubbings", "Fixturo", "Demoulin", "Synthesa", "Examplar", "Pretendo")
ZIP_CODES = ("02139", "10001", "60614", "94110", "73301", "98101", "30303", "80202")
MEDICATIONS = (("Amlodipine", "5 mg", "blood pressure"), ("Levothyroxine", "50 mcg", "thyroid"),
               ("Sertraline", "50 mg", "mood"), ("Omeprazole", "20 mg", "acid reflux"),
               ("Losartan", "25 mg", "blood pressure"), ("Albuterol", "90 mcg", "asthma"),
               ("Metformin", "1000 mg", "blood sugar"), ("Simvastatin", "20 mg", "cholesterol"))
CHARGES = (("Office visit copay", PatientShareReason.copay),
           ("Lab work", PatientShareReason.deductible),
           ("X-ray", PatientShareReason.coinsurance),
           ("Flu shot", PatientShareReason.copay))
PAYERS = (("Blue Harbor Health", "Blue Harbor PPO Silver"),
          ("Keystone Mutual", "Keystone HMO Gold"), ("Lakeshore Care Plan", "Lakeshore EPO Bronze"))
MISSED = 0.15  # the share of past visits missed, whatever the group
CONFIRMED = 0.5  # the share of past visits' last reminders confirmed by reply
SLOT_TIMES = (time(9, 0), time(9, 30), time(10, 30), time(11, 0), time(13, 30), time(14, 0),
              time(15, 0), time(16, 0))


@dataclass(frozen=True)
class Visit:
    days: int  # from today: positive ahead, negative past
    at: time
    provider: int  # 0: Dr. Shah, 1: Dr. Kim
    status: AppointmentStatus = AppointmentStatus.booked


@dataclass(frozen=True)
class Medication:
    name: str
    strength: str
    purpose: str
    refills_left: int
    supply_days: int  # supply ends this many days from today (negative: already ended)
    # A refill asked for this many days ago (and its state), or none.
    requested: tuple[int, RefillStatus] | None = None


@dataclass(frozen=True)
class Person:
    number: int
    first_name: str
    last_name: str
    date_of_birth: date
    phone: str
    zip_code: str
    sms_consent: bool
    care_consent: bool
    # What the patient owes: (description, share reason, cents) per charge, on one invoice.
    charges: tuple[tuple[str, PatientShareReason, int], ...]
    visits: tuple[Visit, ...]
    medications: tuple[Medication, ...]

    @property
    def mrn(self) -> str:
        return f"{MRN_PREFIX}{self.number:04d}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def topics(self) -> tuple[str, ...]:
        """What this patient has to ask about: billing always (a balance, even $0.00), an
        appointment ahead, a refill asked for."""
        return ("billing",) + (("appointments",) if any(v.days > 0 for v in self.visits)
                               else ()) + (("refills",) if any(m.requested for m in
                                                               self.medications) else ())


def plan_population(count: int, seed: int = POPULATION_SEED) -> list[Person]:
    """`count` people, the same ones for the same seed (and the first n of a bigger plan are
    the n of a smaller one, so growing the population keeps who was there)."""
    if not 0 <= count <= MAX_POPULATION:
        raise ValueError(f"population: 0 to {MAX_POPULATION} (the fictional 555-01xx numbers)")
    people: list[Person] = []
    names: set[str] = set()
    for number in range(1, count + 1):
        rng = random.Random(f"{seed}:{number}")
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        while f"{first} {last}" in names:  # web verification is by name: one of each
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        names.add(f"{first} {last}")
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 64))
        sms = rng.random() < 0.85
        charges = tuple((d, r, rng.randrange(1500, 40000, 5))
                        for d, r in rng.sample(CHARGES, rng.choice((0, 1, 1, 2))))
        visits: list[Visit] = []
        if rng.random() < 0.7:
            visits.append(Visit(rng.randrange(1, 15), rng.choice(SLOT_TIMES), rng.randrange(2)))
        if rng.random() < 0.5:
            missed = rng.random() < MISSED
            visits.append(Visit(-rng.randrange(1, 21), rng.choice(SLOT_TIMES), rng.randrange(2),
                                AppointmentStatus.no_show if missed
                                else AppointmentStatus.completed))
        medications = tuple(
            Medication(name, strength, purpose, rng.randrange(6), rng.randrange(-10, 41),
                       (rng.randrange(0, 6), rng.choice((RefillStatus.submitted,
                                                         RefillStatus.ready)))
                       if rng.random() < 0.6 else None)
            for name, strength, purpose in rng.sample(MEDICATIONS, rng.choice((0, 1, 1, 2))))
        people.append(Person(number=number, first_name=first, last_name=last,
                             date_of_birth=born, phone=PHONES[number - 1],
                             zip_code=rng.choice(ZIP_CODES), sms_consent=sms,
                             care_consent=sms and rng.random() < 0.9, charges=charges,
                             visits=tuple(visits), medications=medications))
    return people


def _at(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def add_population(session: Session, people: list[Person], today: date, tz: ZoneInfo,
                   settings: Settings | None = None) -> int:
    """Writes the people not there yet, next to the demo seed (its providers and pharmacies),
    with their past visits' reminder history; the caller commits. Returns how many were
    added. An upcoming visit takes its open slot, or the next open one that day (two patients
    never hold one slot)."""

    providers = [session.scalars(select(Provider).where(Provider.name == name)).one()
                 for name in ("Dr. Priya Shah", "Dr. Alan Kim")]
    pharmacies = list(session.scalars(select(Pharmacy).order_by(Pharmacy.id)))
    present = set(session.scalars(select(Patient.mrn).where(Patient.mrn.like(MRN_PREFIX + "%"))))
    intake = _at(today - timedelta(days=400), time(9, 0), tz)
    added = 0
    past: list[tuple[Person, Patient, Appointment]] = []
    for person in people:
        if person.mrn in present:
            continue
        patient = Patient(mrn=person.mrn, first_name=person.first_name,
                          last_name=person.last_name, date_of_birth=person.date_of_birth,
                          phone=person.phone, zip_code=person.zip_code,
                          email=f"{person.first_name}.{person.last_name}@example.com".lower(),
                          sms_consent=person.sms_consent, payment_plan_eligible=True)
        session.add(patient)
        session.flush()
        for visit in person.visits:
            appointment = _book(session, patient, providers[visit.provider], visit, today, tz)
            if visit.days < 0:
                past.append((person, patient, appointment))
        if person.charges:
            invoice = Invoice(patient_id=patient.id, statement_date=today - timedelta(days=12),
                              due_date=today + timedelta(days=18))
            session.add(invoice)
            session.flush()
            for description, reason, cents in person.charges:
                session.add(Charge(patient_id=patient.id, invoice_id=invoice.id,
                                   service_date=today - timedelta(days=20),
                                   description=description, billed_cents=cents * 3,
                                   insurance_paid_cents=cents * 2, patient_cents=cents,
                                   claim_status=ClaimStatus.paid, patient_share_reason=reason))
        payer, plan = PAYERS[person.number % len(PAYERS)]
        session.add(InsurancePolicy(patient_id=patient.id, payer=payer,
                                    member_id=f"POP{person.number:09d}",
                                    group_number=f"GRP-{person.number:05d}", plan_name=plan))
        for n, med in enumerate(person.medications):
            rx = Prescription(
                patient_id=patient.id, prescriber_id=providers[person.number % 2].id,
                pharmacy_id=pharmacies[person.number % len(pharmacies)].id,
                medication=med.name, strength=med.strength, purpose=med.purpose,
                refills_left=med.refills_left,
                supply_ends_on=today + timedelta(days=med.supply_days))
            session.add(rx)
            if med.requested is not None:
                session.flush()
                days, status = med.requested
                session.add(RefillRequest(
                    patient_id=patient.id, prescription_id=rx.id,
                    reference=f"RXPOP{person.number:04d}{n}", status=status,
                    created_at=_at(today - timedelta(days=days), time(10, 0), tz)))
        if person.care_consent:
            grant(session, patient.id, Purpose.care, "intake form (demo)", intake)
        added += 1
    session.flush()
    _reminder_history(session, past, settings or get_settings())
    return added


def _reminder_history(session: Session, past: list[tuple[Person, Patient, Appointment]],
                      settings: Settings) -> None:
    """The reminders F's planner and sender would have left for these past visits."""

    if not past:
        return
    offsets = reminder_offsets(settings)
    first = min(a.starts_at for _, _, a in past) - timedelta(hours=max(offsets, default=0))
    groups = holdout_groups(session, {p.id for _, p, _ in past}, first, settings)
    kind = OutreachKind.appointment_reminder
    for person, patient, appt in past:
        for index, hours in enumerate(offsets):
            due = appt.starts_at - timedelta(hours=hours)
            expires = appt.starts_at - timedelta(hours=offsets[index + 1] if index + 1 < len(
                offsets) else 1)
            c = Candidate(patient.id, kind, "appointment", appt.id, f"{hours}h",
                          appt.starts_at, due, expires)
            row = OutreachMessage(
                dedupe_key=c.dedupe_key, patient_id=patient.id, kind=kind, purpose=PURPOSE[kind],
                subject_type="appointment", subject_id=appt.id, offset_label=c.offset_label,
                subject_at=appt.starts_at, priority=PRIORITY[kind], due_at=due, not_before=due,
                expires_at=expires, attempts=0, planned_at=due, finished_at=due)
            if groups[patient.id]:
                row.status, row.reason = OutreachStatus.suppressed, SuppressReason.hold_out
            elif not person.care_consent:
                row.status, row.reason = OutreachStatus.suppressed, SuppressReason.no_consent
            else:
                row.status, row.sent_at, row.attempts = OutreachStatus.delivered, due, 1
                row.phone, row.body = person.phone, "(demo history: a reminder sent earlier)"
                # About half confirm the last reminder by reply (an hour after it).
                if index == len(offsets) - 1 and random.Random(
                        f"{person.number}:{appt.starts_at.isoformat()}").random() < CONFIRMED:
                    row.reply, row.replied_at = "confirm", due + timedelta(hours=1)
            session.add(row)
    session.flush()


def _book(session: Session, patient: Patient, provider: Provider, visit: Visit, today: date,
          tz: ZoneInfo) -> Appointment:
    day = today + timedelta(days=visit.days)
    starts = _at(day, visit.at, tz)
    slot_id: int | None = None
    if visit.status is AppointmentStatus.booked:
        # Its time if open, else the next open one after it (a weekend, a full day), else the
        # first open one (past the seed's two weeks of slots); a slot of its own if none is.
        taken = set(session.scalars(select(Appointment.slot_id).where(
            Appointment.status == AppointmentStatus.booked, Appointment.slot_id.is_not(None))))
        slots = [slot for slot in session.scalars(select(Slot).where(
            Slot.provider_id == provider.id, Slot.starts_at > _at(today, time(23, 59), tz))
            .order_by(Slot.starts_at)) if slot.id not in taken]
        later = [slot for slot in slots if slot.starts_at >= starts]
        if later or slots:
            starts, slot_id = (later or slots)[0].starts_at, (later or slots)[0].id
        elif session.scalar(select(Slot.id).where(Slot.provider_id == provider.id,
                                                  Slot.starts_at == starts)) is None:
            own = Slot(provider_id=provider.id, starts_at=starts)
            session.add(own)
            session.flush()
            slot_id = own.id
    appointment = Appointment(patient_id=patient.id, provider_id=provider.id, slot_id=slot_id,
                              starts_at=starts, status=visit.status,
                              booked_at=_at(today - timedelta(days=30), time(9, 0), tz))
    session.add(appointment)
    session.flush()
    return appointment
