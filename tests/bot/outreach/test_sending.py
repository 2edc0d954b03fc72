"""Sending under the rules, checked at send time: consent per purpose, STOP, quiet hours,
caps, hold-out, and the record re-checked (moved, cancelled, refill already requested)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.backoffice import consent
from bot.backoffice.factory import get_backoffice
from bot.backoffice.models import (
    Appointment,
    AppointmentStatus,
    Patient,
    Prescription,
    RefillRequest,
    RefillStatus,
    Slot,
)
from bot.conversations.models import TranscriptEntry
from bot.outreach.enums import FINAL_STATUSES, OutreachStatus, Purpose, SuppressReason
from bot.outreach.models import OutreachMessage
from bot.outreach.planning import plan
from bot.outreach.sending import Outgoing, compose
from bot.settings import Settings
from tests.bot.outreach.conftest import TODAY, at
from tests.bot.outreach.helpers import by_key, rows, run, texts_to

NOW = at(TODAY, 10, 45)
MARIA, JAMES, AISHA = "+15555550101", "+15555550102", "+15555550103"


def test_a_run_sends_what_is_due_and_settles_the_rest(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    result = run(sessions, NOW, settings)
    maria, james, aisha = people["Maria"], people["James"], people["Aisha"]
    state = by_key(sessions)
    assert state[("appointment_reminder", maria.id, "72h")].status is OutreachStatus.sent
    assert state[("refill_prompt", james.id, "supply")].status is OutreachStatus.sent
    # Aisha has no SMS consent: suppressed, with the reason recorded.
    no_show = state[("no_show_followup", aisha.id, "day_after")]
    assert (no_show.status, no_show.reason) == (OutreachStatus.suppressed,
                                                SuppressReason.no_consent)
    # Billing is its own purpose: Maria agreed to care texts only.
    balance = state[("balance_reminder", maria.id, "statement")]
    assert (balance.status, balance.reason) == (OutreachStatus.suppressed,
                                                SuppressReason.no_consent)
    # One a day: her renewal prompt waits for tomorrow morning, behind the reminder.
    renewal = state[("renewal_prompt", maria.id, "supply")]
    assert (renewal.status, renewal.waiting_for) == (OutreachStatus.planned, "cap")
    assert renewal.not_before == at(TODAY + timedelta(days=1), 8, 0)
    assert (result.sent.sent, result.sent.waiting) == (2, 1)
    assert texts_to(sessions, MARIA) == [
        "Riverside Health: reminder of your appointment on Thu, Dec 3 at 10:30 AM with "
        "Dr. Priya Shah at Riverside Primary Care, 100 Main St, Suite 2.\n\n"
        "1. Confirm\n2. Reschedule\n3. Cancel it\nReply 1, 2, or 3."]
    assert texts_to(sessions, JAMES) == [
        "Riverside Health: your Metformin 500 mg runs out on Dec 5. You have refills left."
        "\n\n1. Refill it\nReply 1."]
    assert texts_to(sessions, AISHA) == []
    # The message is in the patient's transcript, for an agent who takes over.
    with sessions() as session:
        entries = session.scalars(select(TranscriptEntry).where(
            TranscriptEntry.conversation_id == f"sms:{MARIA}")).all()
    assert [(e.role, e.text[:40]) for e in entries] == [
        ("bot", "Riverside Health: reminder of your appoi")]


def test_running_twice_for_the_same_time_sends_nothing_more(
        demo: Session, settings: Settings, sessions: sessionmaker[Session]) -> None:
    first = run(sessions, NOW, settings)
    second = run(sessions, NOW, settings)
    assert first.sent.sent == 2
    assert (second.planned.planned, second.sent.sent, second.sent.claimed) == (0, 0, 0)
    assert len(texts_to(sessions, MARIA)) == 1


def test_the_next_days_bring_what_waited(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    maria = people["Maria"]
    run(sessions, NOW, settings)
    run(sessions, at(TODAY + timedelta(days=1), 9, 0), settings)
    assert by_key(sessions)[("renewal_prompt", maria.id, "supply")].status is (
        OutreachStatus.sent)
    assert "has no refills left.\n\n1. Ask Dr. Priya Shah to renew" in texts_to(
        sessions, MARIA)[1]
    run(sessions, at(TODAY + timedelta(days=2), 10, 31), settings)
    assert by_key(sessions)[("appointment_reminder", maria.id, "24h")].status is (
        OutreachStatus.sent)
    assert len(texts_to(sessions, MARIA)) == 3


def test_billing_consent_lets_the_balance_reminder_go(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    consent.grant(demo, people["Maria"].id, Purpose.billing, "web form", NOW)
    demo.commit()
    run(sessions, NOW, settings)  # the 72 h reminder takes today's place
    run(sessions, at(TODAY + timedelta(days=1), 9, 0), settings)  # the renewal comes first
    run(sessions, at(TODAY + timedelta(days=2), 11, 0), settings)  # the 24 h reminder
    balance = by_key(sessions)[("balance_reminder", people["Maria"].id, "statement")]
    assert (balance.status, balance.waiting_for) == (OutreachStatus.planned, "cap")
    # Three this week: it waits until the first of them is a week old.
    assert balance.not_before == NOW + timedelta(days=7)
    run(sessions, at(TODAY + timedelta(days=7), 11, 0), settings)
    balance = by_key(sessions)[("balance_reminder", people["Maria"].id, "statement")]
    assert balance.status is OutreachStatus.sent, (balance.status, balance.reason,
                                                   balance.waiting_for)
    assert "balance on your latest statement" in (balance.body or "")
    assert "$" not in (balance.body or "")  # no amount before verification


def test_stop_between_plan_and_send_suppresses_and_start_restores(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    plan(demo, NOW, settings)
    with sessions() as session:
        consent.opt_out(session, MARIA)
    run(sessions, NOW, settings)
    reminder = by_key(sessions)[("appointment_reminder", people["Maria"].id, "72h")]
    assert (reminder.status, reminder.reason) == (OutreachStatus.suppressed,
                                                  SuppressReason.opted_out)
    assert texts_to(sessions, MARIA) == []
    with sessions() as session:
        consent.opt_in(session, MARIA)
    run(sessions, at(TODAY + timedelta(days=2), 10, 31), settings)
    assert by_key(sessions)[("appointment_reminder", people["Maria"].id, "24h")].status is (
        OutreachStatus.sent)


def test_stop_withdraws_every_purpose_with_its_source(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    maria = people["Maria"]
    consent.grant(demo, maria.id, Purpose.billing, "web form", NOW)
    consent.withdraw(demo, people["James"].id, Purpose.care, "phone call", NOW)
    demo.commit()
    with sessions() as session:
        consent.opt_out(session, MARIA)
        rows_ = {r.purpose: r for r in session.scalars(select(consent.OutreachConsent)
                 .where(consent.OutreachConsent.patient_id == maria.id))}
        assert {p: r.withdrawn_by for p, r in rows_.items()} == {
            Purpose.care: "sms_stop", Purpose.billing: "sms_stop"}
        consent.opt_in(session, MARIA)
        james = session.get(Patient, people["James"].id)
        assert james is not None
        assert consent.refusal(session, james, Purpose.care) is (
            SuppressReason.no_consent)
        maria_now = session.get(Patient, maria.id)
        assert maria_now is not None
        assert consent.refusal(session, maria_now, Purpose.billing) is None


def test_quiet_hours_hold_a_message_until_eight(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    late = at(TODAY, 21, 30)
    run(sessions, late, settings)
    reminder = by_key(sessions)[("appointment_reminder", people["Maria"].id, "72h")]
    assert (reminder.status, reminder.waiting_for) == (OutreachStatus.planned, "quiet_hours")
    assert reminder.not_before == at(TODAY + timedelta(days=1), 8, 0)
    assert texts_to(sessions, MARIA) == []
    run(sessions, at(TODAY + timedelta(days=1), 8, 0), settings)
    assert len(texts_to(sessions, MARIA)) == 1


def test_the_patients_time_zone_sets_quiet_hours(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    maria = demo.get(Patient, people["Maria"].id)
    assert maria is not None
    maria.timezone = "America/Los_Angeles"
    demo.commit()
    run(sessions, at(TODAY, 7, 30), settings)  # 4:30 in Los Angeles
    plan_row = by_key(sessions)[("renewal_prompt", maria.id, "supply")]
    assert plan_row.waiting_for == "quiet_hours"
    assert plan_row.not_before == at(TODAY, 11, 0)  # 8:00 Pacific


def test_a_message_that_cannot_leave_quiet_hours_before_it_expires_is_suppressed(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    # 24 h reminder: due Wed 10:30, expires an hour before the appointment (Thu 9:30). At
    # 22:00 Wed the next allowed time (Thu 8:00) is still before that; at 23:00 with the
    # window set to start at 10:00 it is not.
    maria = people["Maria"]
    late = settings.model_copy(update={"outreach_quiet_end_hour": 10})
    plan(demo, at(TODAY + timedelta(days=2), 10, 0), settings)
    run(sessions, at(TODAY + timedelta(days=2), 23, 0), late)
    reminder = by_key(sessions)[("appointment_reminder", maria.id, "24h")]
    assert (reminder.status, reminder.reason) == (OutreachStatus.suppressed,
                                                  SuppressReason.quiet_hours_expired)


def test_a_cancelled_appointment_gets_no_reminder(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    plan(demo, NOW, settings)
    appt = demo.scalars(select(Appointment).where(Appointment.patient_id == people["Maria"].id)
                        ).one()
    appt.status = AppointmentStatus.cancelled
    demo.commit()
    run(sessions, NOW, settings)
    state = by_key(sessions)
    for offset in ("72h", "24h"):
        row = state[("appointment_reminder", people["Maria"].id, offset)]
        if offset == "72h":
            assert (row.status, row.reason) == (OutreachStatus.suppressed,
                                                SuppressReason.subject_changed)
    assert not any("reminder" in t for t in texts_to(sessions, MARIA))


def test_a_moved_appointment_gets_the_reminders_of_its_new_time(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    maria = people["Maria"]
    plan(demo, NOW - timedelta(hours=2), settings)
    appt = demo.scalars(select(Appointment).where(Appointment.patient_id == maria.id)).one()
    new_slot = demo.scalars(select(Slot).where(
        Slot.provider_id == appt.provider_id,
        Slot.starts_at == at(TODAY + timedelta(days=4), 14, 0))).one()
    appt.slot_id, appt.starts_at = new_slot.id, new_slot.starts_at
    demo.commit()
    run(sessions, NOW, settings)
    reminders = [r for r in rows(sessions) if r.kind.value == "appointment_reminder"]
    old = [r for r in reminders if r.subject_at == at(TODAY + timedelta(days=3), 10, 30)]
    new = [r for r in reminders if r.subject_at == new_slot.starts_at]
    assert {r.reason for r in old if r.status is OutreachStatus.suppressed} == {
        SuppressReason.subject_changed}
    assert {r.offset_label for r in new} == {"72h", "24h"}
    assert all(r.status is OutreachStatus.planned for r in new)  # Friday 14:00 - 72 h: Tue
    run(sessions, at(TODAY + timedelta(days=1), 14, 0), settings)
    assert "Fri, Dec 4 at 2:00 PM" in texts_to(sessions, MARIA)[-1]


def test_a_refill_already_requested_gets_no_prompt(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    plan(demo, NOW, settings)
    rx = demo.scalars(select(Prescription).where(Prescription.medication == "Metformin")).one()
    demo.add(RefillRequest(patient_id=people["James"].id, prescription_id=rx.id,
                           reference="RX-TEST33", status=RefillStatus.submitted,
                           created_at=NOW - timedelta(minutes=5)))
    demo.commit()
    run(sessions, NOW, settings)
    row = by_key(sessions)[("refill_prompt", people["James"].id, "supply")]
    assert (row.status, row.reason) == (OutreachStatus.suppressed,
                                        SuppressReason.subject_changed)
    assert texts_to(sessions, JAMES) == []


def test_the_hold_out_gets_nothing(
        demo: Session, settings: Settings, sessions: sessionmaker[Session]) -> None:
    everyone = settings.model_copy(update={"outreach_holdout_percent": 100.0})
    result = run(sessions, NOW, everyone)
    assert result.sent.sent == 0
    assert {r.reason for r in rows(sessions)} == {SuppressReason.hold_out}
    assert texts_to(sessions, MARIA) == texts_to(sessions, JAMES) == []


def test_every_message_ends_in_one_final_state(
        demo: Session, settings: Settings, sessions: sessionmaker[Session]) -> None:
    for day in range(0, 9):
        for hour in (7, 9, 12, 18, 22):
            run(sessions, at(TODAY + timedelta(days=day), hour, 0), settings)
    states = [(r.kind.value, r.status, r.reason) for r in rows(sessions)]
    assert all(status in FINAL_STATUSES for _, status, _ in states), states
    assert all(reason is not None for _, status, reason in states
               if status is OutreachStatus.suppressed)


def test_a_patient_who_prefers_spanish_reads_the_reminder_in_spanish(
        demo: Session, people: dict[str, Patient], settings: Settings) -> None:
    plan(demo, NOW, settings)
    row = demo.scalar(select(OutreachMessage).where(
        OutreachMessage.patient_id == people["Maria"].id, OutreachMessage.offset_label == "72h"))
    assert row is not None
    text, buttons = compose(demo, row, people["Maria"], settings, get_backoffice(settings), "es")
    assert text == ("Riverside Health: le recordamos su cita del jueves 3 de diciembre, "
                    "10:30 a. m. con Dr. Priya Shah en Riverside Primary Care, 100 Main St, "
                    "Suite 2.")
    out = Outgoing(row.id, row.patient_id, MARIA, row.kind, text, buttons, "es")
    assert out.body.endswith("\n\n1. Confirmar\n2. Cambiar la cita\n3. Cancelarla\n"
                             "Responda 1, 2 o 3.")
