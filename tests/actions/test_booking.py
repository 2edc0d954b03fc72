"""Booking a new visit: the actions against the real back-office API (in-process)."""

from __future__ import annotations

import json
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from actions.booking import (
    ActionBookAppointment,
    ActionChooseNewVisitSlot,
    ActionStartBooking,
    for_someone_else,
    specialties_named,
)
from actions.common import AGENT_BUTTON, FLOW_SLOTS
from bot.backoffice.models import Appointment, AppointmentStatus, Patient, Provider, Slot
from bot.backoffice.schemas import ServiceInfo
from tests.actions.conftest import DOMAIN, make_tracker, text_of

WHEN = r"(Mon|Tue|Wed|Thu|Fri), [A-Z][a-z]{2} \d{1,2} at \d{1,2}:\d{2} (AM|PM)"
END = [SlotSet(name, None) for name in FLOW_SLOTS]
STOPPED = [*END, SlotSet("booking_service", None)]


def patient(db: Session, last_name: str) -> str:
    return str(db.scalars(select(Patient.id).where(Patient.last_name == last_name)).one())


def provider_id(db: Session, name: str) -> int:
    return db.scalars(select(Provider.id).where(Provider.name == name)).one()


def someone(db: Session, last_name: str, text: str = "", intent: str = "appointment_book",
            entities: dict[str, str] | None = None, events: list[dict[str, Any]] | None = None,
            **slots: Any) -> Tracker:
    tracker = make_tracker(text=text, intent=intent, slots={
        "verified": True, "patient_id": patient(db, last_name), **slots})
    tracker.latest_message["entities"] = [{"entity": k, "value": v}
                                          for k, v in (entities or {}).items()]
    tracker.events = (events or []) + tracker.events
    return tracker


def service_slot(events: list[dict[str, Any]]) -> dict[str, Any]:
    [value] = [e["value"] for e in events if e.get("name") == "booking_service"]
    return dict(json.loads(value))


async def test_by_specialty_a_new_patient_is_offered_hour_long_times(seeded: Session,
                                                                     backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = someone(seeded, "Lopez", "I need to see a dermatologist")
    events = await ActionStartBooking(backoffice).run(dispatcher, tracker, DOMAIN)
    assert service_slot(events) == {"specialty": "dermatology",
                                    "visit_type": "dermatology_visit"}
    assert [e for e in events if e.get("name") != "booking_service"] == [
        SlotSet("time_preference", None), SlotSet("slot_id", None),
        SlotSet("flow_step", "booking_slot")]
    [message] = dispatcher.messages
    assert message["response"] == "utter_offer_new_visit_slots_new_patient"
    assert text_of(message).startswith(
        "Here are the closest open times for your dermatology visit. As a new patient with this "
        "doctor, your visit is 60 minutes.")
    times, none = message["buttons"][:-1], message["buttons"][-1]
    assert len(times) == 3 and none == {"title": "None of these", "payload": "/deny"}
    for button in times:
        assert re.fullmatch(WHEN + r", Dr\. Elena Ruiz", button["title"])
        assert "11:30 AM" in button["title"]
        assert re.fullmatch(r'/inform\{"slot_id":"\d+"\}', button["payload"])


async def test_by_provider_with_a_time_an_established_patient_gets_the_short_visit(
        seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = someone(seeded, "Lopez", "can i see dr shah on tuesday afternoon")
    events = await ActionStartBooking(backoffice).run(dispatcher, tracker, DOMAIN)
    assert service_slot(events) == {"provider_id": provider_id(seeded, "Dr. Priya Shah"),
                                    "specialty": "primary care", "visit_type": "office_visit"}
    [message] = dispatcher.messages
    assert message["response"] == "utter_offer_new_visit_slots"
    assert text_of(message) == (
        "Here are the closest open times for your office visit (30 minutes). Which one works for "
        "you? You can also tell me another day or time.")
    titles = [b["title"] for b in message["buttons"][:-1]]
    assert titles and all(t.startswith("Tue") and "PM, Dr. Priya Shah" in t for t in titles)


async def test_a_reason_two_teams_treat_is_asked_then_answered(seeded: Session,
                                                               backoffice) -> None:
    asked = CollectingDispatcher()
    tracker = someone(seeded, "Lopez", "my knee hurts")
    events = await ActionStartBooking(backoffice).run(asked, tracker, DOMAIN)
    assert events == [SlotSet("time_preference", None), SlotSet("slot_id", None),
                      SlotSet("flow_step", "booking_specialty")]
    [message] = asked.messages
    assert message["response"] == "utter_ask_booking_which_of"
    assert message["buttons"] == [
        {"title": "Orthopedics (bones, joints)", "payload": '/inform{"specialty":"orthopedics"}'},
        {"title": "Primary care", "payload": '/inform{"specialty":"primary care"}'}]
    answered = CollectingDispatcher()
    tracker = someone(seeded, "Lopez", '/inform{"specialty":"orthopedics"}', intent="inform",
                      entities={"specialty": "orthopedics"}, flow_step="booking_specialty")
    events = await ActionStartBooking(backoffice).run(answered, tracker, DOMAIN)
    assert service_slot(events) == {"specialty": "orthopedics", "visit_type": "orthopedic_visit"}
    assert answered.messages[0]["response"] == "utter_offer_new_visit_slots_new_patient"


async def test_nothing_named_asks_which_kind_of_care(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    await ActionStartBooking(backoffice).run(
        dispatcher, someone(seeded, "Lopez", "i want to make an appointment"), DOMAIN)
    [message] = dispatcher.messages
    assert message["response"] == "utter_ask_booking_specialty"
    assert [b["payload"] for b in message["buttons"]] == [
        f'/inform{{"specialty":"{s}"}}' for s in
        ("cardiology", "dermatology", "orthopedics", "pediatrics", "primary care")]


async def test_referral_needed_is_said_and_a_person_offered(seeded: Session,
                                                            backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = someone(seeded, "Lopez", "I need to see a cardiologist")
    assert await ActionStartBooking(backoffice).run(dispatcher, tracker, DOMAIN) == [
        SlotSet("time_preference", None), *STOPPED]
    [message] = dispatcher.messages
    assert message["response"] == "utter_booking_referral_needed"
    assert text_of(message) == (
        "A cardiology visit needs a referral from your doctor first, and I don't see one on "
        "file. A person on our team can help you with that.")
    assert message["buttons"] == [AGENT_BUTTON]


async def test_a_service_not_for_this_patient_and_a_dependant(seeded: Session,
                                                              backoffice) -> None:
    adult = CollectingDispatcher()
    tracker = someone(seeded, "Lopez", "i need a pediatric visit")
    assert await ActionStartBooking(backoffice).run(adult, tracker, DOMAIN) == [
        SlotSet("time_preference", None), *STOPPED]
    assert [m["response"] for m in adult.messages] == ["utter_booking_not_eligible"]
    family = CollectingDispatcher()
    tracker = someone(seeded, "Lopez", "can my son get a sick visit today")
    assert await ActionStartBooking(backoffice).run(family, tracker, DOMAIN) == STOPPED
    assert [m["response"] for m in family.messages] == ["utter_booking_for_someone_else"]
    assert family.messages[0]["buttons"] == [AGENT_BUTTON]


async def test_no_open_times(seeded: Session, backoffice) -> None:
    seeded.execute(delete(Slot).where(Slot.provider_id == provider_id(seeded, "Dr. Elena Ruiz")))
    seeded.commit()
    dispatcher = CollectingDispatcher()
    tracker = someone(seeded, "Lopez", "I need to see a dermatologist")
    assert await ActionStartBooking(backoffice).run(dispatcher, tracker, DOMAIN) == [
        SlotSet("time_preference", None), *STOPPED]
    assert [m["response"] for m in dispatcher.messages] == ["utter_no_open_slots"]


async def test_a_tapped_time_is_confirmed_then_booked_with_instructions(
        seeded: Session, backoffice) -> None:
    first = CollectingDispatcher()
    events = await ActionStartBooking(backoffice).run(
        first, someone(seeded, "Lopez", "I need to see a dermatologist"), DOMAIN)
    chosen = first.messages[0]["buttons"][0]
    slot_id = re.search(r'"slot_id":"(\d+)"', chosen["payload"]).group(1)  # type: ignore[union-attr]
    service = json.dumps(service_slot(events), sort_keys=True)
    shown = {"event": "bot", "text": "Here are the closest open times.",
             "data": {"buttons": first.messages[0]["buttons"]}}
    confirm = CollectingDispatcher()
    tracker = someone(seeded, "Lopez", chosen["payload"], intent="inform",
                      entities={"slot_id": slot_id}, events=[shown],
                      booking_service=service, flow_step="booking_slot")
    assert await ActionChooseNewVisitSlot(backoffice).run(confirm, tracker, DOMAIN) == [
        SlotSet("slot_id", slot_id), SlotSet("flow_step", "booking_confirm")]
    [message] = confirm.messages
    assert message["response"] == "utter_confirm_booking"
    assert text_of(message) == f"Book {chosen['title']}?"
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny"]

    done = CollectingDispatcher()
    tracker = someone(seeded, "Lopez", "yes", intent="affirm", booking_service=service,
                      slot_id=slot_id, flow_step="booking_confirm")
    assert await ActionBookAppointment(backoffice).run(done, tracker, DOMAIN) == STOPPED
    booked, instructions = done.messages
    assert booked["response"] == "utter_booked"
    assert re.fullmatch(r"Done! Your dermatology visit is booked: " + WHEN
                        + r" with Dr\. Elena Ruiz \(dermatology\) at Riverside Dermatology, "
                        r"300 Elm St, Suite 5\.", text_of(booked))
    assert instructions["response"] == "utter_booking_instructions_new_patient"
    assert "arrive 20 minutes early" in text_of(instructions)
    assert "insurance card" in text_of(instructions) and "list of your medicines" in text_of(
        instructions)
    seeded.expire_all()
    appt = seeded.scalars(select(Appointment).where(Appointment.slot_id == int(slot_id))).one()
    assert (appt.patient_id, appt.status, appt.visit_type, appt.duration_minutes) == (
        int(patient(seeded, "Lopez")), AppointmentStatus.booked, "dermatology_visit", 60)


async def test_words_instead_of_a_tap_search_again(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    service = json.dumps({"specialty": "primary care", "visit_type": "office_visit"})
    tracker = someone(seeded, "Lopez", "anything friday afternoon?", intent="inform",
                      booking_service=service, flow_step="booking_slot")
    events = await ActionChooseNewVisitSlot(backoffice).run(dispatcher, tracker, DOMAIN)
    assert events[-2:] == [SlotSet("slot_id", None), SlotSet("flow_step", "booking_slot")]
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"][:-1]]
    assert titles and all(t.startswith("Fri") and " PM, " in t for t in titles)


async def test_a_time_taken_meanwhile_offers_the_next_ones(seeded: Session,
                                                           backoffice) -> None:
    ruiz = provider_id(seeded, "Dr. Elena Ruiz")
    slot = seeded.scalars(select(Slot).where(Slot.provider_id == ruiz,
                                             Slot.duration_minutes == 60)
                          .order_by(Slot.starts_at)).first()
    assert slot is not None
    seeded.add(Appointment(patient_id=int(patient(seeded, "Carter")), provider_id=ruiz,
                           slot_id=slot.id, starts_at=slot.starts_at,
                           status=AppointmentStatus.booked))
    seeded.commit()
    dispatcher = CollectingDispatcher()
    service = json.dumps({"specialty": "dermatology", "visit_type": "dermatology_visit"})
    tracker = someone(seeded, "Lopez", "yes", intent="affirm", booking_service=service,
                      slot_id=str(slot.id), flow_step="booking_confirm")
    events = await ActionBookAppointment(backoffice).run(dispatcher, tracker, DOMAIN)
    assert events[-2:] == [SlotSet("slot_id", None), SlotSet("flow_step", "booking_slot")]
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_slot_taken", "utter_offer_new_visit_slots_new_patient"]
    assert f'"slot_id":"{slot.id}"' not in json.dumps(dispatcher.messages[1]["buttons"])


async def test_nothing_before_verification(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="I need to see a dermatologist", intent="appointment_book")
    assert await ActionStartBooking(backoffice).run(dispatcher, tracker, DOMAIN) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_not_verified"]


async def test_referral_needed_in_spanish(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = someone(seeded, "Lopez", "necesito una consulta con el cardiólogo", language="es")
    await ActionStartBooking(backoffice).run(dispatcher, tracker, DOMAIN)
    [message] = dispatcher.messages
    assert text_of(message, "es") == (
        "Una cita de cardiología necesita primero una referencia de su médico, y no veo una en "
        "su expediente. Una persona de nuestro equipo le puede ayudar con eso.")
    assert message["buttons"] == [{"title": "Hablar con una persona",
                                   "payload": "/human_handoff"}]


async def test_in_spanish(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = someone(seeded, "Lopez", "necesito ver a un dermatólogo", language="es")
    await ActionStartBooking(backoffice).run(dispatcher, tracker, DOMAIN)
    [message] = dispatcher.messages
    assert text_of(message, "es").startswith(
        "Estos son los horarios más cercanos para su consulta de dermatología. Como paciente "
        "nuevo con este médico, su consulta dura 60 minutos.")
    assert all(", Dr. Elena Ruiz" in b["title"] for b in message["buttons"][:-1])
    assert message["buttons"][-1]["payload"] == "/deny"


def test_words_for_specialties_and_dependants() -> None:
    services = [ServiceInfo(specialty=s, referral_required=False, providers=[], visit_types=[])
                for s in ("primary care", "dermatology", "orthopedics", "cardiology")]
    assert specialties_named("I have a rash", services) == ["dermatology"]
    assert specialties_named("me duele la rodilla", services) == ["orthopedics", "primary care"]
    assert specialties_named("necesito una consulta con el cardiólogo", services) == [
        "cardiology"]
    assert specialties_named("book my annual physical", services) == ["primary care"]
    assert specialties_named("i want an appointment", services) == []
    assert for_someone_else("can my son get a sick visit today")
    assert for_someone_else("necesito una cita para mi hijo")
    assert not for_someone_else("i need to see a dermatologist")
