"""Outreach through its one boundary: an SMS episode that answers an outreach message within
24 h is outreach-started (and which message); web chat and later replies are inbound; counts
and reply rates from outreach's table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice import consent
from bot.backoffice.enums import AppointmentStatus, RefillStatus
from bot.backoffice.models import (
    Appointment,
    Patient,
    Prescription,
    Provider,
    RefillRequest,
    SmsOptOut,
)
from bot.insights import record
from bot.insights.outreach import (
    Prompt,
    Sent,
    filed_rates,
    no_show_rates,
    opt_outs_caused,
    outreach_counts,
    outreach_origin,
    outreach_outcomes,
)
from bot.insights.tracker import TurnParse
from bot.outreach.enums import OutreachKind, OutreachStatus, Purpose, SuppressReason
from bot.outreach.models import OutreachMessage, OutreachPatient

MARIA = "+15555550101"


def sent(session: Session, patient_id: int, at: datetime, status: OutreachStatus,
         reply: str | None = None, key: str = "a") -> None:
    session.add(OutreachMessage(
        dedupe_key=key, patient_id=patient_id, kind=OutreachKind.appointment_reminder,
        purpose=Purpose.care, subject_type="appointment", subject_id=1, offset_label="24h",
        subject_at=at + timedelta(days=1), priority=1, due_at=at, not_before=at,
        expires_at=at + timedelta(hours=6), status=status, attempts=1, planned_at=at,
        phone=MARIA, sent_at=at if status is not OutreachStatus.suppressed else None,
        replied_at=at + timedelta(minutes=5) if reply else None, reply=reply))
    session.commit()


def test_a_reply_within_24h_is_outreach_started(seeded: Session, ids: dict[str, int]) -> None:
    t0 = datetime.now(UTC) - timedelta(hours=30)
    sent(seeded, ids["Lopez"], t0, OutreachStatus.delivered, reply="confirm")
    sent(seeded, ids["Lopez"], t0, OutreachStatus.suppressed, key="b")
    assert outreach_origin(seeded, f"sms:{MARIA}", t0 + timedelta(hours=2)) == (
        "outreach", "appointment_reminder")
    assert outreach_origin(seeded, f"sms:{MARIA}", t0 + timedelta(hours=25)) == ("inbound", None)
    assert outreach_origin(seeded, "web:abc", t0 + timedelta(hours=2)) == ("inbound", None)
    episode = record.turn(seeded, f"sms:{MARIA}", "1", t0 + timedelta(minutes=5),
                          t0 + timedelta(minutes=5), TurnParse(intent="affirm"))
    assert episode is not None and (episode.origin, episode.outreach_message) == (
        "outreach", "appointment_reminder")
    assert outreach_counts(seeded) == {"delivered": 1, "suppressed": 1}
    outcomes = outreach_outcomes(seeded, t0 - timedelta(hours=1), t0 + timedelta(hours=1))
    assert outcomes is not None
    reminder = outcomes["by_kind"]["appointment_reminder"]
    assert (reminder["sent"], reminder["replied"], reminder["confirmation_rate"]) == (1, 1, 1.0)
    assert reminder["suppressed"] == {"unknown": 1}


# --- Against the hold-out: no-shows of reminded appointments, refills filed after a prompt,
# opt-outs caused. Hand-built rows in a week long before the seed's own dates.

W0 = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
W1 = W0 + timedelta(days=7)
DAY = timedelta(days=1)
_keys = iter(range(1, 10_000))


def message(session: Session, patient_id: int, kind: OutreachKind, subject_type: str,
            subject_id: int, at: datetime, status: OutreachStatus,
            reason: SuppressReason | None = None) -> None:
    """A message sent at `at`, or (suppressed) due at `at` and planned a day before."""
    patient = session.get(Patient, patient_id)
    assert patient is not None
    is_sent = status in (OutreachStatus.sent, OutreachStatus.delivered)
    session.add(OutreachMessage(
        dedupe_key=f"k{next(_keys)}", patient_id=patient_id, kind=kind, purpose=Purpose.care,
        subject_type=subject_type, subject_id=subject_id, offset_label="x", subject_at=None,
        priority=1, due_at=at, not_before=at, expires_at=at + DAY, status=status,
        reason=reason, attempts=1 if is_sent else 0, planned_at=at - DAY,
        phone=patient.phone if is_sent else None, sent_at=at if is_sent else None))


def appointment(session: Session, patient_id: int, at: datetime,
                status: AppointmentStatus) -> int:
    provider_id = session.scalars(select(Provider.id)).first()
    assert provider_id is not None
    row = Appointment(patient_id=patient_id, provider_id=provider_id, starts_at=at,
                      status=status)
    session.add(row)
    session.flush()
    return row.id


def filed(session: Session, rx: Prescription, at: datetime) -> None:
    session.add(RefillRequest(patient_id=rx.patient_id, prescription_id=rx.id,
                              reference=f"R{next(_keys)}", status=RefillStatus.submitted,
                              created_at=at))


def test_no_shows_refills_and_opt_outs_against_the_hold_out(
        seeded: Session, ids: dict[str, int]) -> None:
    lopez, carter, khan = ids["Lopez"], ids["Carter"], ids["Khan"]
    reminder, sent_ = OutreachKind.appointment_reminder, OutreachStatus.sent
    held = (OutreachStatus.suppressed, SuppressReason.hold_out)
    # Reminded (Lopez): a no-show (reminded twice, counted once), a visit, a cancellation; one
    # after the window.
    a1 = appointment(seeded, lopez, W0 + DAY, AppointmentStatus.no_show)
    a2 = appointment(seeded, lopez, W0 + 2 * DAY, AppointmentStatus.completed)
    a3 = appointment(seeded, lopez, W0 + 2 * DAY, AppointmentStatus.cancelled)
    a4 = appointment(seeded, lopez, W0 + 10 * DAY, AppointmentStatus.no_show)
    message(seeded, lopez, reminder, "appointment", a1, W0 - DAY, OutreachStatus.delivered)
    message(seeded, lopez, reminder, "appointment", a1, W0 + DAY - timedelta(hours=2), sent_)
    for a in (a2, a3, a4):
        message(seeded, lopez, reminder, "appointment", a, W0, sent_)
    # Held out (Khan): two no-shows and a visit; one more appointment nobody would remind.
    h1 = appointment(seeded, khan, W0 + DAY, AppointmentStatus.no_show)
    h2 = appointment(seeded, khan, W0 + 3 * DAY, AppointmentStatus.no_show)
    h3 = appointment(seeded, khan, W0 + 5 * DAY, AppointmentStatus.completed)
    appointment(seeded, khan, W0 + 5 * DAY, AppointmentStatus.no_show)
    for h in (h1, h2, h3):
        message(seeded, khan, reminder, "appointment", h, W0 - DAY, *held)
    # Suppressed for another reason (Carter): in neither group.
    c1 = appointment(seeded, carter, W0 + DAY, AppointmentStatus.no_show)
    message(seeded, carter, reminder, "appointment", c1, W0, OutreachStatus.suppressed,
            SuppressReason.opted_out)
    for pid in (khan, carter):
        seeded.add(OutreachPatient(patient_id=pid, bucket=1, held_out=True, assigned_at=W0))

    # Prompts: Lopez's refill filed 2 days after, her renewal 8 days after (too late); Carter's
    # held-out refill, due a day in, filed 3 days after.
    rx = {p.patient_id: p for p in seeded.scalars(select(Prescription).order_by(Prescription.id))}
    rx1, rx2 = seeded.scalars(select(Prescription).where(Prescription.patient_id == lopez)
                              .order_by(Prescription.id)).all()[:2]
    message(seeded, lopez, OutreachKind.refill_prompt, "prescription", rx1.id, W0 + DAY, sent_)
    filed(seeded, rx1, W0 + 3 * DAY)
    message(seeded, lopez, OutreachKind.renewal_prompt, "prescription", rx2.id, W0 + 2 * DAY,
            sent_)
    filed(seeded, rx2, W0 + 10 * DAY)
    message(seeded, carter, OutreachKind.refill_prompt, "prescription", rx[carter].id,
            W0 + DAY, *held)
    filed(seeded, rx[carter], W0 + 4 * DAY)

    # Opt-outs: Lopez texts STOP an hour after her renewal prompt (recorded by consent and by
    # number); Carter, messaged once, is withdrawn by someone else within 24 h and texts STOP
    # two days later: not caused.
    message(seeded, carter, OutreachKind.balance_reminder, "invoice", 1, W0 + 3 * DAY, sent_)
    stop_at = W0 + 2 * DAY + timedelta(hours=1)
    consent.withdraw(seeded, lopez, Purpose.care, consent.STOP_SOURCE, stop_at)
    seeded.add(SmsOptOut(phone=MARIA, opted_out_at=stop_at))
    consent.withdraw(seeded, carter, Purpose.care, "agent", W0 + 3 * DAY + timedelta(hours=1))
    carter_phone = seeded.get(Patient, carter).phone  # type: ignore[union-attr]
    seeded.add(SmsOptOut(phone=carter_phone, opted_out_at=W0 + 5 * DAY))
    seeded.commit()

    outcomes = outreach_outcomes(seeded, W0, W1, now=W0 + 20 * DAY)
    assert outcomes is not None
    assert outcomes["held_out_patients"] == 2
    assert outcomes["no_show"] == {
        "reminded": {"appointments": 2, "no_shows": 1, "rate": 0.5},
        "held_out": {"appointments": 3, "no_shows": 2, "rate": 0.6667},
        "difference": -0.1667}
    assert outcomes["refills_filed"] == {
        "prompted": {"prompts": 2, "filed": 1, "pending": 0, "rate": 0.5},
        "held_out": {"prompts": 1, "filed": 1, "pending": 0, "rate": 1.0},
        "difference": -0.5}
    assert outcomes["opt_outs"] == {"patients_messaged": 2, "opted_out": 1, "rate": 0.5,
                                    "by_kind": {"renewal_prompt": 1}}
    # Four days in: only appointments whose time has passed; prompts still in their 7 days
    # and not followed are pending, not counted.
    early = outreach_outcomes(seeded, W0, W1, now=W0 + 4 * DAY)
    assert early is not None
    assert early["no_show"]["reminded"] == {"appointments": 2, "no_shows": 1, "rate": 0.5}
    assert early["no_show"]["held_out"] == {"appointments": 2, "no_shows": 2, "rate": 1.0}
    assert early["refills_filed"]["prompted"] == {"prompts": 1, "filed": 1, "pending": 1,
                                                  "rate": 1.0}

    # A held-out prompt due long before the window but planned in it counts from its planning.
    late = OutreachMessage(
        dedupe_key="late", patient_id=carter, kind=OutreachKind.renewal_prompt,
        purpose=Purpose.care, subject_type="prescription", subject_id=rx[carter].id,
        offset_label="x", priority=1, due_at=W0 - 20 * DAY, not_before=W0 - 20 * DAY,
        expires_at=W1, status=OutreachStatus.suppressed, reason=SuppressReason.hold_out,
        attempts=0, planned_at=W0 + 5 * DAY)
    seeded.add(late)
    seeded.commit()
    again = outreach_outcomes(seeded, W0, W1, now=W0 + 20 * DAY)
    assert again is not None
    assert again["refills_filed"]["held_out"] == {"prompts": 2, "filed": 1, "pending": 0,
                                                  "rate": 0.5}


def test_without_hold_out_data_the_comparisons_are_null(seeded: Session,
                                                        ids: dict[str, int]) -> None:
    a1 = appointment(seeded, ids["Lopez"], W0 + DAY, AppointmentStatus.completed)
    message(seeded, ids["Lopez"], OutreachKind.appointment_reminder, "appointment", a1, W0,
            OutreachStatus.delivered)
    seeded.commit()
    outcomes = outreach_outcomes(seeded, W0, W1, now=W0 + 20 * DAY)
    assert outcomes is not None
    assert outcomes["held_out_patients"] == 0
    assert outcomes["no_show"] == {
        "reminded": {"appointments": 1, "no_shows": 0, "rate": 0.0},
        "held_out": {"appointments": 0, "no_shows": 0, "rate": None}, "difference": None}
    assert outcomes["refills_filed"] == {
        "prompted": {"prompts": 0, "filed": 0, "pending": 0, "rate": None},
        "held_out": {"prompts": 0, "filed": 0, "pending": 0, "rate": None}, "difference": None}
    assert outcomes["opt_outs"] == {"patients_messaged": 1, "opted_out": 0, "rate": 0.0,
                                    "by_kind": {}}
    empty = outreach_outcomes(seeded, W1, W1 + DAY, now=W0 + 20 * DAY)
    assert empty is not None and empty["opt_outs"]["rate"] is None


def test_the_pure_computations_on_their_own() -> None:
    assert no_show_rates([(1, "no_show"), (2, "booked"), (3, "cancelled")], {1, 2, 3}, set()) \
        == {"reminded": {"appointments": 2, "no_shows": 1, "rate": 0.5},
            "held_out": {"appointments": 0, "no_shows": 0, "rate": None}, "difference": None}
    prompts = [Prompt("refill_prompt", 7, W0, True), Prompt("refill_prompt", 8, W0, True)]
    assert filed_rates(prompts, [(7, W0 + 7 * DAY), (8, W0 - DAY)], W0 + 7 * DAY)["held_out"] \
        == {"prompts": 2, "filed": 1, "pending": 0, "rate": 0.5}
    sent_ = [Sent("refill_prompt", 1, "+1", W0), Sent("appointment_reminder", 1, "+1", W0 + DAY)]
    # A STOP just after the second message is put down to it (the last one before the STOP).
    assert opt_outs_caused(sent_, [(None, "+1", W0 + DAY + timedelta(minutes=1))]) == {
        "patients_messaged": 1, "opted_out": 1, "rate": 1.0,
        "by_kind": {"appointment_reminder": 1}}
    assert opt_outs_caused(sent_, [(1, None, W0 - timedelta(minutes=1))])["opted_out"] == 0
