"""Planning for each kind, from the demo record, as of a fixed time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.backoffice.models import (
    Appointment,
    Patient,
    Prescription,
    RefillRequest,
    RefillStatus,
    Slot,
)
from bot.backoffice.scheduling import reschedule_appointment
from bot.outreach.enums import OutreachKind, OutreachStatus, SuppressReason
from bot.outreach.models import OutreachPatient
from bot.outreach.planning import plan
from bot.settings import Settings
from tests.bot.outreach.conftest import TODAY, at
from tests.bot.outreach.helpers import by_key, rows

NOW = at(TODAY, 10, 45)


def test_each_kind_is_planned_from_the_record(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    result = plan(demo, NOW, settings)
    maria, james, aisha = people["Maria"], people["James"], people["Aisha"]
    rosa = people["Rosa"]
    planned = by_key(sessions)
    assert set(planned) == {
        ("appointment_reminder", maria.id, "72h"),
        ("appointment_reminder", maria.id, "24h"),
        ("no_show_followup", aisha.id, "day_after"),
        ("renewal_prompt", maria.id, "supply"),     # Atorvastatin: 0 refills, ends in 4 days
        ("refill_prompt", james.id, "supply"),      # Metformin: refills left, ends in 5 days
        ("balance_reminder", maria.id, "statement"),  # her statement of 14 days ago
        ("appointment_reminder", rosa.id, "72h"),   # in 5 days at 9:00
        ("appointment_reminder", rosa.id, "24h"),
        ("balance_reminder", rosa.id, "statement"),  # her statement of 10 days ago
    }
    assert result.planned == 9 and result.held_out == 0
    reminder = planned[("appointment_reminder", maria.id, "72h")]
    assert reminder.due_at == at(TODAY + timedelta(days=3), 10, 30) - timedelta(hours=72)
    # It waits no longer than the 24 h reminder's time.
    assert reminder.expires_at == at(TODAY + timedelta(days=2), 10, 30)
    assert planned[("no_show_followup", aisha.id, "day_after")].due_at == at(TODAY, 10, 0)
    assert all(r.status is OutreachStatus.planned for r in planned.values())


def test_planning_again_adds_nothing(demo: Session, settings: Settings,
                                     sessions: sessionmaker[Session]) -> None:
    plan(demo, NOW, settings)
    again = plan(demo, NOW, settings)
    later = plan(demo, NOW + timedelta(hours=3), settings)
    assert again.planned == 0 and later.planned == 0
    assert len(rows(sessions)) == 9


def test_a_reminder_is_skipped_when_booked_later_than_its_offset(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    appt = demo.scalars(select(Appointment).where(Appointment.patient_id == people["Maria"].id)
                        ).one()
    appt.booked_at = NOW - timedelta(minutes=5)  # 10:40: after the 72 h reminder's 10:30
    demo.commit()
    plan(demo, NOW, settings)
    offsets = {k[2] for k in by_key(sessions)
               if k[0] == "appointment_reminder" and k[1] == people["Maria"].id}
    assert offsets == {"24h"}


def test_a_far_appointment_gets_its_reminders_planned_when_near(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    james = people["James"]
    plan(demo, NOW, settings)
    assert not [k for k in by_key(sessions) if k[0] == "appointment_reminder" and k[1] == james.id]
    plan(demo, NOW + timedelta(days=4), settings)
    assert {k[2] for k in by_key(sessions)
            if k[0] == "appointment_reminder" and k[1] == james.id} == {"72h", "24h"}


def test_a_prescription_with_an_open_request_gets_no_prompt(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    rx = demo.scalars(select(Prescription).where(Prescription.medication == "Metformin")).one()
    demo.add(RefillRequest(patient_id=people["James"].id, prescription_id=rx.id,
                           reference="RX-TEST22", status=RefillStatus.submitted,
                           created_at=NOW - timedelta(days=1)))
    demo.commit()
    plan(demo, NOW, settings)
    assert ("refill_prompt", people["James"].id, "supply") not in by_key(sessions)


def test_kinds_are_a_setting(demo: Session, settings: Settings,
                             sessions: sessionmaker[Session]) -> None:
    only = settings.model_copy(update={"outreach_kinds": "no_show_followup",
                                       "outreach_reminder_offsets_hours": "48"})
    plan(demo, NOW, only)
    assert {r.kind for r in rows(sessions)} == {OutreachKind.no_show_followup}


def test_held_out_patients_are_recorded_and_suppressed_at_once(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    everyone = settings.model_copy(update={"outreach_holdout_percent": 100.0})
    result = plan(demo, NOW, everyone)
    assert result.planned == 0 and result.held_out == 9
    assert {r.reason for r in rows(sessions)} == {SuppressReason.hold_out}
    groups = {g.patient_id: g.held_out for g in demo.scalars(select(OutreachPatient))}
    assert groups == {p.id: True for p in people.values()}
    # Recorded: changing the percentage later does not move anyone.
    from bot.outreach.service import is_held_out

    assert is_held_out(demo, people["Maria"].id, settings) is True


def test_a_moved_visit_has_one_set_of_reminders_and_a_rebooking_today_skips_the_72h(
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    maria = people["Maria"]
    plan(demo, NOW - timedelta(days=1), settings)  # planned for the visit in 3 days
    appt = demo.scalars(select(Appointment).where(Appointment.patient_id == maria.id)).first()
    assert appt is not None
    # Moved today to a later time, through the back office's own verb.
    slot = demo.scalars(select(Slot).where(
        Slot.provider_id == appt.provider_id,
        Slot.starts_at > appt.starts_at + timedelta(hours=2)).order_by(
            Slot.starts_at)).first()
    assert slot is not None
    later = NOW + timedelta(hours=4)
    reschedule_appointment(demo, maria.id, appt.id, slot.id, later)
    result = plan(demo, later, settings)
    mine = [r for r in rows(sessions) if r.patient_id == maria.id
            and r.kind is OutreachKind.appointment_reminder]
    old = [r for r in mine if r.subject_at != slot.starts_at]
    new = [r for r in mine if r.subject_at == slot.starts_at]
    assert result.superseded == len(old) == 2
    assert {(r.status, r.reason) for r in old} == {(OutreachStatus.suppressed,
                                                    SuppressReason.subject_changed)}
    # Booked today: a 72 h reminder for it would already be due before the booking.
    assert slot.starts_at - timedelta(hours=72) < later
    assert {r.offset_label for r in new} == {"24h"}
    assert all(r.status is OutreachStatus.planned for r in new)
