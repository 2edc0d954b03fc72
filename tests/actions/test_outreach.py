"""Replies to outreach messages, against the real bot-service API in-process: confirming needs
no date of birth from the number the reminder went to; everything else needs verification and
acts on the message's own appointment or prescription."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.outreach import (
    ActionOutreachBook,
    ActionOutreachCancel,
    ActionOutreachCancelConfirmed,
    ActionOutreachConfirm,
    ActionOutreachContext,
    ActionOutreachRebook,
    ActionOutreachRefill,
    ActionOutreachReschedule,
)
from actions.outreach_client import OutreachClient
from bot.backoffice.models import (
    Appointment,
    AppointmentStatus,
    Patient,
    Prescription,
    RefillRequest,
    RefillStatus,
)
from bot.outreach.enums import OutreachKind, OutreachStatus, Purpose
from bot.outreach.models import OutreachMessage
from tests.actions.conftest import DOMAIN, make_tracker
from tests.actions.test_auth import Reports, reported

MARIA = "+15555550101"


@pytest.fixture
def outreach(app) -> Callable[[], OutreachClient]:  # type: ignore[no-untyped-def]
    def factory() -> OutreachClient:
        return OutreachClient("http://backoffice.test", "test-backoffice-token",
                              transport=httpx.ASGITransport(app=app))

    return factory


def person(db: Session, first: str) -> Patient:
    return db.scalars(select(Patient).where(Patient.first_name == first)).one()


def sent(db: Session, patient: Patient, kind: OutreachKind, subject_type: str, subject_id: int,
         subject_at: datetime | None = None) -> OutreachMessage:
    """A message as the sender leaves it once it went out."""
    now = datetime.now(UTC)
    row = OutreachMessage(
        dedupe_key=f"{kind}:{subject_type}:{subject_id}:test", patient_id=patient.id, kind=kind,
        purpose=Purpose.care, subject_type=subject_type, subject_id=subject_id,
        offset_label="test", subject_at=subject_at, priority=10, due_at=now, not_before=now,
        expires_at=now + timedelta(days=1), status=OutreachStatus.sent, attempts=1,
        phone=patient.phone, body="...", sms_key=f"k{subject_id}{kind}", planned_at=now,
        sent_at=now, finished_at=now)
    db.add(row)
    db.commit()
    return row


def appointment(db: Session, patient: Patient, status: AppointmentStatus) -> Appointment:
    return db.scalars(select(Appointment).where(Appointment.patient_id == patient.id,
                                                Appointment.status == status)).one()


@pytest.fixture
def reminder(seeded: Session) -> OutreachMessage:
    maria = person(seeded, "Maria")
    appt = appointment(seeded, maria, AppointmentStatus.booked)
    return sent(seeded, maria, OutreachKind.appointment_reminder, "appointment", appt.id,
                appt.starts_at)


def reply(message_id: int, intent: str, sender: str = f"sms:{MARIA}",
          verified_as: int | None = None, **more: str) -> Tracker:
    slots: dict[str, Any] = {}
    if verified_as is not None:
        slots = {"verified": True, "patient_id": str(verified_as)}
    tracker = make_tracker(sender=sender, intent=intent, slots=slots)
    tracker.latest_message["entities"] = [{"entity": "outreach_id", "value": str(message_id)}] + [
        {"entity": k, "value": v} for k, v in more.items()]
    return tracker


async def test_the_external_event_sets_the_context() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionOutreachContext().run(dispatcher, reply(12, "EXTERNAL_outreach"), DOMAIN)
    assert events == [SlotSet("outreach_id", "12")]
    assert dispatcher.messages == []


async def test_a_message_sent_in_spanish_puts_the_conversation_in_spanish() -> None:
    events = await ActionOutreachContext().run(
        CollectingDispatcher(), reply(12, "EXTERNAL_outreach", language="es"), DOMAIN)
    assert events == [SlotSet("outreach_id", "12"), SlotSet("language", "es")]
    ignored = await ActionOutreachContext().run(
        CollectingDispatcher(), reply(12, "EXTERNAL_outreach", language="xx"), DOMAIN)
    assert ignored == [SlotSet("outreach_id", "12")]


async def test_confirm_from_the_number_on_file_needs_no_date_of_birth(
        seeded: Session, reminder: OutreachMessage, outreach) -> None:
    dispatcher = CollectingDispatcher()
    tracker = reply(reminder.id, "outreach_confirm")  # not verified
    events = await ActionOutreachConfirm(outreach).run(dispatcher, tracker, DOMAIN)
    assert events == [SlotSet("outreach_id", str(reminder.id))]
    [message] = dispatcher.messages
    assert message["response"] == "utter_outreach_confirmed"
    assert message["when"].endswith("at 10:30 AM")
    seeded.expire_all()
    appt = seeded.get(Appointment, reminder.subject_id)
    assert appt is not None and appt.confirmed_at is not None
    row = seeded.get(OutreachMessage, reminder.id)
    assert row is not None and row.reply == "confirm" and row.replied_at is not None


async def test_a_confirmation_is_reported_as_a_finished_task(
        seeded: Session, reminder: OutreachMessage, outreach) -> None:
    """What makes an episode that confirms by reply "resolved by the bot" (bot/insights)."""
    reports = Reports()
    action = ActionOutreachConfirm(outreach, reports.factory)
    await action.run(CollectingDispatcher(), reply(reminder.id, "outreach_confirm"), DOMAIN)
    await reported()
    assert reports.seen == [{"conversation_id": f"sms:{MARIA}", "task": "appointment_confirmed",
                             "ok": True, "intent": "outreach_confirm", "patient_id": None}]
    # Refused (another number): nothing finished, nothing reported.
    await action.run(CollectingDispatcher(), reply(reminder.id, "outreach_confirm",
                                                   sender="sms:+15555550102"), DOMAIN)
    await reported()
    assert len(reports.seen) == 1


async def test_confirm_from_anywhere_else_is_refused(
        seeded: Session, reminder: OutreachMessage, outreach) -> None:
    for tracker in (reply(reminder.id, "outreach_confirm", sender="sms:+15555550102"),
                    reply(reminder.id, "outreach_confirm", sender="web:abc")):
        dispatcher = CollectingDispatcher()
        await ActionOutreachConfirm(outreach).run(dispatcher, tracker, DOMAIN)
        assert [m["response"] for m in dispatcher.messages] == [
            "utter_outreach_confirm_elsewhere"]
    seeded.expire_all()
    appt = seeded.get(Appointment, reminder.subject_id)
    assert appt is not None and appt.confirmed_at is None


async def test_confirm_after_the_appointment_moved_on(
        seeded: Session, reminder: OutreachMessage, outreach) -> None:
    appt = seeded.get(Appointment, reminder.subject_id)
    assert appt is not None
    appt.status = AppointmentStatus.cancelled
    seeded.commit()
    dispatcher = CollectingDispatcher()
    await ActionOutreachConfirm(outreach).run(dispatcher, reply(reminder.id, "outreach_confirm"),
                                              DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_outreach_gone"]


async def test_reschedule_needs_verification(
        seeded: Session, reminder: OutreachMessage, backoffice, outreach) -> None:
    dispatcher = CollectingDispatcher()
    await ActionOutreachReschedule(backoffice, outreach).run(
        dispatcher, reply(reminder.id, "outreach_reschedule"), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_not_verified"]


async def test_reschedule_moves_that_appointment_without_asking_which(
        seeded: Session, reminder: OutreachMessage, backoffice, outreach) -> None:
    dispatcher = CollectingDispatcher()
    maria = person(seeded, "Maria")
    events = await ActionOutreachReschedule(backoffice, outreach).run(
        dispatcher, reply(reminder.id, "outreach_reschedule", verified_as=maria.id), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_moving_appointment"]
    assert SlotSet("appointment_id", str(reminder.subject_id)) in events
    assert events[-1] == SlotSet("flow_step", "reschedule_time")


async def test_the_choice_is_remembered_across_verification(
        seeded: Session, reminder: OutreachMessage, backoffice, outreach) -> None:
    """"2", then the date of birth: the message id came with "2", not with the latest text."""
    maria = person(seeded, "Maria")
    tracker = make_tracker(text="03/12/1984", slots={"verified": True,
                                                     "patient_id": str(maria.id)})
    tracker.events = [
        {"event": "user", "text": f'/outreach_reschedule{{"outreach_id":"{reminder.id}"}}',
         "parse_data": {"intent": {"name": "outreach_reschedule"},
                        "entities": [{"entity": "outreach_id", "value": str(reminder.id)}]}},
        {"event": "user", "text": "03/12/1984",
         "parse_data": {"intent": {"name": "inform"}, "entities": []}}]
    dispatcher = CollectingDispatcher()
    events = await ActionOutreachReschedule(backoffice, outreach).run(dispatcher, tracker, DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_moving_appointment"]
    assert events[-1] == SlotSet("flow_step", "reschedule_time")


async def test_another_patients_message_is_gone(
        seeded: Session, reminder: OutreachMessage, backoffice, outreach) -> None:
    dispatcher = CollectingDispatcher()
    james = person(seeded, "James")
    await ActionOutreachReschedule(backoffice, outreach).run(
        dispatcher, reply(reminder.id, "outreach_reschedule", verified_as=james.id), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_outreach_gone"]


async def test_cancel_asks_first_then_cancels_and_offers_a_new_time(
        seeded: Session, reminder: OutreachMessage, backoffice, outreach) -> None:
    maria = person(seeded, "Maria")
    dispatcher = CollectingDispatcher()
    await ActionOutreachCancel(backoffice, outreach).run(
        dispatcher, reply(reminder.id, "outreach_cancel", verified_as=maria.id), DOMAIN)
    [ask] = dispatcher.messages
    assert ask["response"] == "utter_outreach_confirm_cancel"
    mid = reminder.id
    assert [(b["title"], b["payload"]) for b in ask["buttons"]] == [
        ("Yes, cancel it", f'/outreach_cancel_confirmed{{"outreach_id":"{mid}"}}'),
        ("Find a new time instead", f'/outreach_reschedule{{"outreach_id":"{mid}"}}'),
        ("Keep it", f'/outreach_confirm{{"outreach_id":"{mid}"}}')]
    seeded.expire_all()
    assert seeded.get(Appointment, reminder.subject_id).status is AppointmentStatus.booked  # type: ignore[union-attr]

    dispatcher = CollectingDispatcher()
    await ActionOutreachCancelConfirmed(backoffice, outreach).run(
        dispatcher, reply(reminder.id, "outreach_cancel_confirmed", verified_as=maria.id), DOMAIN)
    [done] = dispatcher.messages
    assert done["response"] == "utter_outreach_cancelled"
    assert done["buttons"] == [{"title": "Book a new time",
                                "payload": f'/outreach_rebook{{"outreach_id":"{mid}"}}'}]
    seeded.expire_all()
    assert seeded.get(Appointment, reminder.subject_id).status is (  # type: ignore[union-attr]
        AppointmentStatus.cancelled)


async def test_a_no_show_follow_up_rebooks_with_the_same_provider(
        seeded: Session, backoffice, outreach) -> None:
    aisha = person(seeded, "Aisha")
    missed = appointment(seeded, aisha, AppointmentStatus.no_show)
    message = sent(seeded, aisha, OutreachKind.no_show_followup, "appointment", missed.id,
                   missed.starts_at)
    dispatcher = CollectingDispatcher()
    await ActionOutreachRebook(backoffice, outreach).run(
        dispatcher, reply(message.id, "outreach_rebook", sender="sms:+15555550103",
                          verified_as=aisha.id), DOMAIN)
    [offer] = dispatcher.messages
    assert offer["response"] == "utter_outreach_rebook_slots"
    assert offer["provider"] == "Dr. Priya Shah"
    assert len(offer["buttons"]) == 3
    slot_id = offer["buttons"][0]["payload"].split('"slot_id":"')[1].rstrip('"}')
    dispatcher = CollectingDispatcher()
    await ActionOutreachBook(backoffice, outreach).run(
        dispatcher, reply(message.id, "outreach_book", sender="sms:+15555550103",
                          verified_as=aisha.id, slot_id=slot_id), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_outreach_booked"]
    seeded.expire_all()
    booked = appointment(seeded, aisha, AppointmentStatus.booked)
    assert booked.slot_id == int(slot_id) and booked.provider_id == missed.provider_id
    # The same time again: taken, and the next open times are offered.
    dispatcher = CollectingDispatcher()
    await ActionOutreachBook(backoffice, outreach).run(
        dispatcher, reply(message.id, "outreach_book", sender="sms:+15555550103",
                          verified_as=aisha.id, slot_id=slot_id), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_outreach_slot_taken"]


async def test_a_renewal_prompts_one_files_the_renewal_request(
        seeded: Session, backoffice, outreach) -> None:
    maria = person(seeded, "Maria")
    rx = seeded.scalars(select(Prescription).where(Prescription.medication == "Atorvastatin")
                        ).one()
    message = sent(seeded, maria, OutreachKind.renewal_prompt, "prescription", rx.id)
    dispatcher = CollectingDispatcher()
    await ActionOutreachRefill(backoffice, outreach).run(
        dispatcher, reply(message.id, "outreach_refill", verified_as=maria.id), DOMAIN)
    [said] = dispatcher.messages
    assert said["response"] == "utter_renewal_requested"
    assert said["medication"] == "Atorvastatin 20 mg"
    request = seeded.scalars(select(RefillRequest).where(RefillRequest.prescription_id == rx.id)
                             ).one()
    assert request.status is RefillStatus.renewal_requested


async def test_the_client_reads_the_context_with_the_shared_schema(
        seeded: Session, reminder: OutreachMessage, outreach) -> None:
    maria = person(seeded, "Maria")
    context = await outreach().context(reminder.id, maria.id)
    assert context.kind is OutreachKind.appointment_reminder
    assert (context.subject_type, context.subject_id) == ("appointment", reminder.subject_id)
