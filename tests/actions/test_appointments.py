import re
from datetime import UTC, datetime, timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.appointments import (
    CANCEL_BUTTONS,
    ActionCancelAppointment,
    ActionChooseSlot,
    ActionOfferSlots,
    ActionPickAppointment,
    ActionReschedule,
    ActionStartCancel,
    ActionStartReschedule,
    ActionTellAppointments,
    ValidateRescheduleForm,
    match_appointment,
)
from actions.common import (
    AGENT_BUTTON,
    FLOW_SLOTS,
    ActionEndFlow,
    ActionFallback,
    clinic_tz,
    local_date,
)
from bot.backoffice.models import Appointment, AppointmentStatus, Patient, Provider, Slot
from bot.backoffice.schemas import AppointmentInfo
from bot.clock import clinic_today
from tests.actions.conftest import DOMAIN, make_tracker, momento, text_of

WHEN = r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [A-Z][a-z]{2} \d{1,2} at \d{1,2}:\d{2} (AM|PM)"
END = [SlotSet(name, None) for name in FLOW_SLOTS]


def patient(db: Session, last_name: str) -> str:
    return str(db.scalars(select(Patient.id).where(Patient.last_name == last_name)).one())


def appointment_of(db: Session, last_name: str) -> Appointment:
    return db.scalars(select(Appointment).where(
        Appointment.patient_id == int(patient(db, last_name)),
        Appointment.status == AppointmentStatus.booked)).one()


def maria(db: Session, text: str = "", entities: dict[str, str] | None = None,
          events: list[dict[str, Any]] | None = None, **slots: Any) -> Tracker:
    tracker = make_tracker(text=text, slots={"verified": True, "patient_id": patient(db, "Lopez"),
                                             **slots})
    tracker.latest_message["entities"] = [{"entity": k, "value": v}
                                          for k, v in (entities or {}).items()]
    tracker.events = (events or []) + tracker.events
    return tracker


def book_second(db: Session) -> Appointment:
    """A cardiology visit for Maria too, so she has two to choose from."""
    kim = db.scalars(select(Provider).where(Provider.name == "Dr. Alan Kim")).one()
    slot = db.scalars(select(Slot).where(Slot.provider_id == kim.id).order_by(Slot.starts_at)
                      .offset(5).limit(1)).one()
    appt = Appointment(patient_id=int(patient(db, "Lopez")), provider_id=kim.id,
                       slot_id=slot.id, starts_at=slot.starts_at,
                       status=AppointmentStatus.booked)
    db.add(appt)
    db.commit()
    return appt


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


async def test_upcoming_appointments_in_the_clinic_zone(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    assert await ActionTellAppointments(backoffice).run(dispatcher, maria(seeded), DOMAIN) == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_appointments"
    assert re.fullmatch(
        rf"• {WHEN} with Dr\. Priya Shah \(primary care\) at Riverside Primary Care, "
        r"100 Main St, Suite 2", message["appointments"])
    assert "at 10:30 AM with" in message["appointments"]


async def test_no_upcoming_appointments(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"verified": True, "patient_id": patient(seeded, "Khan")})
    assert await ActionTellAppointments(backoffice).run(dispatcher, tracker, DOMAIN) == []
    assert responses(dispatcher) == ["utter_no_appointments"]


async def test_nothing_before_verification(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"patient_id": patient(seeded, "Lopez")})
    for action in (ActionTellAppointments, ActionStartReschedule, ActionStartCancel,
                   ActionOfferSlots, ActionReschedule, ActionCancelAppointment):
        await action(backoffice).run(dispatcher, tracker, DOMAIN)
    assert set(responses(dispatcher)) == {"utter_not_verified"}


async def test_back_office_down(seeded: Session, backoffice_down) -> None:
    for action in (ActionTellAppointments, ActionStartReschedule, ActionStartCancel,
                   ActionPickAppointment):
        dispatcher = CollectingDispatcher()
        events = await action(backoffice_down).run(dispatcher, maria(seeded), DOMAIN)
        assert responses(dispatcher) == ["utter_backoffice_down"]
        assert events == END
    dispatcher = CollectingDispatcher()
    tracker = maria(seeded, text="friday", appointment_id="1", flow_step="reschedule_time")
    assert await ActionOfferSlots(backoffice_down).run(dispatcher, tracker, DOMAIN) == END
    assert responses(dispatcher) == ["utter_backoffice_down"]  # its buttons offer a person


async def test_one_appointment_goes_straight_to_the_time(seeded: Session, backoffice) -> None:
    appt = appointment_of(seeded, "Lopez")
    dispatcher = CollectingDispatcher()
    events = await ActionStartReschedule(backoffice).run(dispatcher, maria(seeded), DOMAIN)
    assert events == [SlotSet("appointment_id", str(appt.id)), SlotSet("time_preference", None),
                      SlotSet("flow_step", "reschedule_time")]  # reschedule_form asks when
    assert responses(dispatcher) == ["utter_moving_appointment"]
    assert "Dr. Priya Shah" in dispatcher.messages[0]["appointment"]


async def test_several_appointments_are_asked_with_buttons(seeded: Session, backoffice) -> None:
    second = book_second(seeded)
    dispatcher = CollectingDispatcher()
    events = await ActionStartReschedule(backoffice).run(dispatcher, maria(seeded), DOMAIN)
    assert events == END + [SlotSet("flow_step", "reschedule_pick")]
    [message] = dispatcher.messages
    assert message["response"] == "utter_which_appointment_move"
    assert len(message["buttons"]) == 2
    [kim] = [b for b in message["buttons"]
             if b["payload"] == f'/inform{{"appointment_id":"{second.id}"}}']
    assert kim["title"].startswith("Dr. Alan Kim, ")

    # A tap picks it; words that fit one ("the heart doctor" does not, "kim" does) too.
    tapped = CollectingDispatcher()
    events = await ActionPickAppointment(backoffice).run(
        tapped, maria(seeded, entities={"appointment_id": str(second.id)},
                      flow_step="reschedule_pick"), DOMAIN)
    assert events == [SlotSet("appointment_id", str(second.id)), SlotSet("time_preference", None),
                      SlotSet("flow_step", "reschedule_time")]
    typed = CollectingDispatcher()
    events = await ActionPickAppointment(backoffice).run(
        typed, maria(seeded, text="the one with dr kim", flow_step="cancel_pick"), DOMAIN)
    assert events == [SlotSet("appointment_id", str(second.id)),
                      SlotSet("flow_step", "cancel_confirm")]
    assert typed.messages[0]["buttons"] == CANCEL_BUTTONS


async def test_wrong_choice_asks_again(seeded: Session, backoffice) -> None:
    book_second(seeded)
    for tracker in (maria(seeded, text="the blue one", flow_step="reschedule_pick"),
                    maria(seeded, entities={"appointment_id": "99999"},
                          flow_step="reschedule_pick")):
        dispatcher = CollectingDispatcher()
        assert await ActionPickAppointment(backoffice).run(dispatcher, tracker, DOMAIN) == [
            SlotSet("flow_step", "reschedule_pick")]
        assert responses(dispatcher) == ["utter_pick_one"]
        assert len(dispatcher.messages[0]["buttons"]) == 2


async def test_offers_at_most_three_times_as_buttons(seeded: Session, backoffice) -> None:
    appt = appointment_of(seeded, "Lopez")
    dispatcher = CollectingDispatcher()
    tracker = maria(seeded, text="ok", time_preference="afternoons please",
                    appointment_id=str(appt.id), flow_step="reschedule_time")
    events = await ActionOfferSlots(backoffice).run(dispatcher, tracker, DOMAIN)
    assert events == [SlotSet("slot_id", None), SlotSet("flow_step", "reschedule_slot")]
    [message] = dispatcher.messages
    assert message["response"] == "utter_offer_slots"
    times, none = message["buttons"][:-1], message["buttons"][-1]
    assert len(times) == 3
    assert none == {"title": "None of these", "payload": "/deny"}
    for button in times:
        assert re.fullmatch(WHEN, button["title"])
        assert button["title"].endswith("PM")
        assert re.fullmatch(r'/inform\{"slot_id":"\d+"\}', button["payload"])


async def test_no_match_widens_and_says_so(seeded: Session, backoffice) -> None:
    appt = appointment_of(seeded, "Lopez")
    dispatcher = CollectingDispatcher()
    tracker = maria(seeded, text="in the evening", appointment_id=str(appt.id),
                    flow_step="reschedule_time")
    await ActionOfferSlots(backoffice).run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_offer_slots_widened"]
    assert len(dispatcher.messages[0]["buttons"]) == 4


async def test_tapped_time_is_confirmed_with_its_title(seeded: Session, backoffice) -> None:
    shown = {"event": "bot", "text": "Here are the closest open times.", "data": {"buttons": [
        {"title": "Tue, Dec 8 at 1:30 PM", "payload": '/inform{"slot_id":"41"}'}]}}
    dispatcher = CollectingDispatcher()
    tracker = maria(seeded, entities={"slot_id": "41"}, events=[shown], appointment_id="1",
                    flow_step="reschedule_slot")
    events = await ActionChooseSlot(backoffice).run(dispatcher, tracker, DOMAIN)
    assert events == [SlotSet("slot_id", "41"), SlotSet("flow_step", "reschedule_confirm")]
    assert dispatcher.messages[0]["response"] == "utter_confirm_slot"
    assert dispatcher.messages[0]["when"] == "Tue, Dec 8 at 1:30 PM"
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/affirm", "/deny"]


async def test_words_instead_of_a_tap_search_again(seeded: Session, backoffice) -> None:
    appt = appointment_of(seeded, "Lopez")
    dispatcher = CollectingDispatcher()
    tracker = maria(seeded, text="anything in the morning?", appointment_id=str(appt.id),
                    flow_step="reschedule_slot")
    events = await ActionChooseSlot(backoffice).run(dispatcher, tracker, DOMAIN)
    assert events == [SlotSet("time_preference", "anything in the morning?"),
                      SlotSet("slot_id", None), SlotSet("flow_step", "reschedule_slot")]
    assert all(b["title"].endswith("AM") for b in dispatcher.messages[0]["buttons"][:-1])


def open_slot(db: Session, appt: Appointment) -> Slot:
    return db.scalars(select(Slot).where(
        Slot.provider_id == appt.provider_id,
        Slot.starts_at > appt.starts_at + timedelta(days=1)).order_by(Slot.starts_at)
        .limit(1)).one()


async def test_reschedule_after_yes(seeded: Session, backoffice) -> None:
    appt = appointment_of(seeded, "Lopez")
    slot = open_slot(seeded, appt)
    dispatcher = CollectingDispatcher()
    tracker = maria(seeded, intent="affirm", appointment_id=str(appt.id), slot_id=str(slot.id),
                    flow_step="reschedule_confirm")
    assert await ActionReschedule(backoffice).run(dispatcher, tracker, DOMAIN) == END
    assert responses(dispatcher) == ["utter_rescheduled"]
    seeded.expire_all()
    assert appointment_of(seeded, "Lopez").slot_id == slot.id


async def test_slot_taken_asks_for_another_time(seeded: Session, backoffice) -> None:
    appt = appointment_of(seeded, "Lopez")
    slot = open_slot(seeded, appt)
    seeded.add(Appointment(patient_id=int(patient(seeded, "Carter")), provider_id=slot.provider_id,
                           slot_id=slot.id, starts_at=slot.starts_at,
                           status=AppointmentStatus.booked))
    seeded.commit()
    dispatcher = CollectingDispatcher()
    tracker = maria(seeded, appointment_id=str(appt.id), slot_id=str(slot.id),
                    flow_step="reschedule_confirm")
    events = await ActionReschedule(backoffice).run(dispatcher, tracker, DOMAIN)
    assert events == [SlotSet("slot_id", None), SlotSet("time_preference", None),
                      SlotSet("flow_step", "reschedule_time")]
    assert responses(dispatcher) == ["utter_slot_taken"]


async def test_cancel_confirm_then_cancel(seeded: Session, backoffice) -> None:
    appt = appointment_of(seeded, "Lopez")
    asked = CollectingDispatcher()
    events = await ActionStartCancel(backoffice).run(asked, maria(seeded), DOMAIN)
    assert events == END + [SlotSet("appointment_id", str(appt.id)),
                            SlotSet("flow_step", "cancel_confirm")]
    assert asked.messages[0]["response"] == "utter_confirm_cancel"
    assert asked.messages[0]["buttons"] == CANCEL_BUTTONS

    done = CollectingDispatcher()
    tracker = maria(seeded, appointment_id=str(appt.id), flow_step="cancel_confirm")
    assert await ActionCancelAppointment(backoffice).run(done, tracker, DOMAIN) == END
    assert responses(done) == ["utter_cancelled"]
    after = CollectingDispatcher()
    await ActionTellAppointments(backoffice).run(after, maria(seeded), DOMAIN)
    assert responses(after) == ["utter_no_appointments"]


async def test_new_time_instead_of_cancelling_keeps_the_choice(seeded: Session, backoffice
                                                              ) -> None:
    second = book_second(seeded)
    dispatcher = CollectingDispatcher()
    tracker = maria(seeded, appointment_id=str(second.id), flow_step="cancel_confirm")
    events = await ActionStartReschedule(backoffice).run(dispatcher, tracker, DOMAIN)
    assert events == [SlotSet("appointment_id", str(second.id)), SlotSet("time_preference", None),
                      SlotSet("flow_step", "reschedule_time")]
    assert "Dr. Alan Kim" in dispatcher.messages[0]["appointment"]


async def test_past_or_cancelled_appointment_cannot_change(seeded: Session, backoffice) -> None:
    appt = appointment_of(seeded, "Lopez")
    appt.status = AppointmentStatus.cancelled
    seeded.commit()
    dispatcher = CollectingDispatcher()
    tracker = maria(seeded, text="friday", appointment_id=str(appt.id),
                    flow_step="reschedule_time")
    assert await ActionOfferSlots(backoffice).run(dispatcher, tracker, DOMAIN) == END
    assert responses(dispatcher) == ["utter_appointment_not_changeable"]


async def test_side_question_mid_flow_returns_to_it(seeded: Session, backoffice) -> None:
    buttons = [{"title": "Tue, Dec 8 at 1:30 PM", "payload": '/inform{"slot_id":"41"}'}]
    asked = {"event": "bot", "text": "Here are the closest open times.",
             "data": {"buttons": buttons}, "metadata": {"utter_action": "utter_offer_slots"}}
    dispatcher = CollectingDispatcher()
    tracker = maria(seeded, text="actually when is it again", events=[asked],
                    appointment_id="1", flow_step="reschedule_slot")
    assert await ActionTellAppointments(backoffice).run(dispatcher, tracker, DOMAIN) == []
    assert [m["response"] or m["text"] for m in dispatcher.messages] == [
        "utter_appointments", "utter_resume_flow", asked["text"]]
    assert dispatcher.messages[2]["buttons"] == buttons

    # In the time form, the form asks again by itself.
    in_form = CollectingDispatcher()
    tracker.active_loop = {"name": "reschedule_form"}
    await ActionTellAppointments(backoffice).run(in_form, tracker, DOMAIN)
    assert responses(in_form) == ["utter_appointments"]


async def test_a_new_time_while_choosing_one_searches_for_it(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = maria(seeded, text="can we do next friday instead", appointment_id="1",
                    flow_step="reschedule_slot")
    events = await ActionStartReschedule(backoffice).run(dispatcher, tracker, DOMAIN)
    assert events == [SlotSet("time_preference", "next friday"),
                      FollowupAction("action_offer_slots")]
    assert dispatcher.messages == []


# --- what the first message said is used, never asked again ---------------------


def asked(text: str, intent: str) -> dict[str, Any]:
    """The message that started the flow, as the tracker keeps it."""
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def verified_after(db: Session, request: str, intent: str, **slots: Any) -> Tracker:
    """The request, then verification: the latest message is the date of birth."""
    return maria(db, text="03/12/1984", events=[asked(request, intent)], **slots)


def ordinal(day: int) -> str:
    return f"{day}{'th' if 11 <= day <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"


def local_day_of(moment: datetime) -> int:
    return local_date(moment).day


def local_day(appt: Appointment) -> int:
    return local_day_of(appt.starts_at)


async def test_the_time_in_the_request_is_not_asked_again(seeded: Session, backoffice) -> None:
    """"to next Tuesday afternoon" fills time_preference, so reschedule_form asks nothing."""
    appt = appointment_of(seeded, "Lopez")
    request = "I need to reschedule my appointment to next Tuesday afternoon"
    for tracker in (maria(seeded, text=request, events=[asked(request, "appointment_reschedule")]),
                    verified_after(seeded, request, "appointment_reschedule")):
        dispatcher = CollectingDispatcher()
        events = await ActionStartReschedule(backoffice).run(dispatcher, tracker, DOMAIN)
        assert events == [SlotSet("appointment_id", str(appt.id)),
                          SlotSet("time_preference", "next tuesday afternoon"),
                          SlotSet("flow_step", "reschedule_time")]
        assert responses(dispatcher) == ["utter_moving_appointment"]

    # The form, activated with the slot filled, only validates it: no question.
    form = CollectingDispatcher()
    tracker = maria(seeded, time_preference="next tuesday afternoon",
                    appointment_id=str(appt.id), flow_step="reschedule_time")
    tracker.active_loop = {"name": "reschedule_form"}
    tracker.events.append({"event": "slot", "name": "time_preference",
                           "value": "next tuesday afternoon"})
    assert await ValidateRescheduleForm().run(form, tracker, FORM_DOMAIN) == [
        SlotSet("time_preference", "next tuesday afternoon")]
    assert form.messages == []

    # The open times are for that wish.
    offered = CollectingDispatcher()
    events = await ActionOfferSlots(backoffice).run(offered, tracker, DOMAIN)
    assert events == [SlotSet("slot_id", None), SlotSet("flow_step", "reschedule_slot")]
    # The day as understood is said with them: "next tuesday" is next week's.
    assert responses(offered) == ["utter_offer_slots_on_day"]
    today = clinic_today()
    tuesday = today + timedelta(days=7 - today.weekday() + 1)
    assert offered.messages[0]["day"] == f"Tuesday, {tuesday:%b} {tuesday.day}"
    times = [b["title"] for b in offered.messages[0]["buttons"][:-1]]
    assert times and all(t.startswith(f"Tue, {tuesday:%b} {tuesday.day} at ")
                         and t.endswith(" PM") for t in times), times


async def test_asap_next_week_and_after_a_date_from_the_request(seeded: Session, backoffice
                                                                ) -> None:
    appt = appointment_of(seeded, "Lopez")
    for request, wish in (("reschedule asap", "asap"),
                          ("can I move it to next week", "next week"),
                          ("i need to move my appointment to after the 15th", "after the 15th"),
                          ("i need to reschedule", None),
                          ("reschedule my appointment on the 3rd", None)):
        dispatcher = CollectingDispatcher()
        events = await ActionStartReschedule(backoffice).run(
            dispatcher, verified_after(seeded, request, "appointment_reschedule"), DOMAIN)
        assert events == [SlotSet("appointment_id", str(appt.id)),
                          SlotSet("time_preference", wish),
                          SlotSet("flow_step", "reschedule_time")], request


async def test_the_appointment_named_in_the_request_is_the_one_moved(seeded: Session, backoffice
                                                                     ) -> None:
    shah, kim = appointment_of(seeded, "Lopez"), book_second(seeded)
    for request, appt, wish in (
            ("move my appointment with Dr. Shah to Friday morning", shah, "friday morning"),
            ("move my appointment with Dr. Kim to Friday morning", kim, "friday morning"),
            ("can my cardiology visit be moved to next week", kim, "next week"),
            ("reschedule the kim appointment", kim, None)):
        dispatcher = CollectingDispatcher()
        events = await ActionStartReschedule(backoffice).run(
            dispatcher, verified_after(seeded, request, "appointment_reschedule"), DOMAIN)
        assert events == [SlotSet("appointment_id", str(appt.id)),
                          SlotSet("time_preference", wish),
                          SlotSet("flow_step", "reschedule_time")], request
        assert responses(dispatcher) == ["utter_moving_appointment"]


async def test_which_one_then_the_time_already_given(seeded: Session, backoffice) -> None:
    """Several appointments: ask which, keep "next week", then offer times, not ask when."""
    second = book_second(seeded)
    dispatcher = CollectingDispatcher()
    events = await ActionStartReschedule(backoffice).run(
        dispatcher, verified_after(seeded, "move my appointment to next week",
                                   "appointment_reschedule"), DOMAIN)
    assert events == END + [SlotSet("time_preference", "next week"),
                            SlotSet("flow_step", "reschedule_pick")]
    assert responses(dispatcher) == ["utter_which_appointment_move"]
    assert len(dispatcher.messages[0]["buttons"]) == 2

    tapped = CollectingDispatcher()
    events = await ActionPickAppointment(backoffice).run(
        tapped, maria(seeded, entities={"appointment_id": str(second.id)},
                      time_preference="next week", flow_step="reschedule_pick"), DOMAIN)
    assert events == [SlotSet("appointment_id", str(second.id)),
                      SlotSet("time_preference", "next week"),
                      SlotSet("flow_step", "reschedule_time")]

    # A time in the answer ("..., to friday") is taken too; the day of the one meant is not.
    typed = CollectingDispatcher()
    events = await ActionPickAppointment(backoffice).run(
        typed, maria(seeded, text="the one with dr kim, to friday", flow_step="reschedule_pick"),
        DOMAIN)
    assert events == [SlotSet("appointment_id", str(second.id)),
                      SlotSet("time_preference", "friday"),
                      SlotSet("flow_step", "reschedule_time")]


async def test_a_doctor_not_theirs_is_asked_about(seeded: Session, backoffice) -> None:
    book_second(seeded)
    dispatcher = CollectingDispatcher()
    events = await ActionStartReschedule(backoffice).run(
        dispatcher, verified_after(seeded, "move my appointment with dr smith to friday",
                                   "appointment_reschedule"), DOMAIN)
    assert events == END + [SlotSet("time_preference", "friday"),
                            SlotSet("flow_step", "reschedule_pick")]
    assert len(dispatcher.messages[0]["buttons"]) == 2


def book_kim_another_day(db: Session, shah: Appointment) -> Appointment:
    """Like book_second, on a day of the month other than the Shah visit's."""
    kim = db.scalars(select(Provider).where(Provider.name == "Dr. Alan Kim")).one()
    slot = next(s for s in db.scalars(select(Slot).where(Slot.provider_id == kim.id)
                                      .order_by(Slot.starts_at))
                if local_day_of(s.starts_at) != local_day(shah))
    appt = Appointment(patient_id=shah.patient_id, provider_id=kim.id, slot_id=slot.id,
                       starts_at=slot.starts_at, status=AppointmentStatus.booked)
    db.add(appt)
    db.commit()
    return appt


async def test_cancel_the_appointment_the_request_names(seeded: Session, backoffice) -> None:
    shah = appointment_of(seeded, "Lopez")
    kim = book_kim_another_day(seeded, shah)
    for request, appt in (("cancel my appointment with Dr. Kim", kim),
                          (f"cancel my appointment on the {ordinal(local_day(shah))}", shah),
                          (f"cancel my appointment on the {ordinal(local_day(kim))}", kim),
                          ("please cancel my cardiology visit", kim),
                          ("cancel the one with dr shah", shah)):
        for tracker in (maria(seeded, text=request, events=[asked(request, "appointment_cancel")]),
                        verified_after(seeded, request, "appointment_cancel")):
            dispatcher = CollectingDispatcher()
            events = await ActionStartCancel(backoffice).run(dispatcher, tracker, DOMAIN)
            assert events == END + [SlotSet("appointment_id", str(appt.id)),
                                    SlotSet("flow_step", "cancel_confirm")], request
            assert responses(dispatcher) == ["utter_confirm_cancel"]
            assert dispatcher.messages[0]["buttons"] == CANCEL_BUTTONS


async def test_cancel_asks_which_when_the_request_fits_none_or_both(seeded: Session, backoffice
                                                                    ) -> None:
    book_second(seeded)
    for request in ("cancel my appointment", "cancel my appointment with dr smith",
                    "cancel my appointment on the 40th", "/appointment_cancel"):
        dispatcher = CollectingDispatcher()
        events = await ActionStartCancel(backoffice).run(
            dispatcher, verified_after(seeded, request, "appointment_cancel"), DOMAIN)
        assert events == END + [SlotSet("flow_step", "cancel_pick")], request
        assert responses(dispatcher) == ["utter_which_appointment_cancel"]
        assert len(dispatcher.messages[0]["buttons"]) == 2


# --- leaving flows and not understanding (actions/common.py) -------------------------------


async def test_stop_forgets_the_flow() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(intent="stop", slots={"flow_step": "cancel_confirm",
                                                 "appointment_id": "1"})
    events = await ActionEndFlow().run(dispatcher, tracker, DOMAIN)
    assert events == END + [SlotSet("pending_request", None)]
    assert responses(dispatcher) == ["utter_flow_stopped"]


def fallback_tracker(*intents: str) -> Tracker:
    tracker = make_tracker(intent=intents[-1])
    tracker.events = [{"event": "user", "text": "x", "parse_data": {"intent": {"name": i}}}
                      for i in intents]
    return tracker


async def test_second_fallback_in_a_row_offers_a_person() -> None:
    first, second, apart = CollectingDispatcher(), CollectingDispatcher(), CollectingDispatcher()
    await ActionFallback().run(first, fallback_tracker("greet", "nlu_fallback"), DOMAIN)
    await ActionFallback().run(second, fallback_tracker("nlu_fallback", "nlu_fallback"), DOMAIN)
    await ActionFallback().run(apart, fallback_tracker("nlu_fallback", "greet", "nlu_fallback"),
                               DOMAIN)
    assert responses(first) == responses(apart) == ["utter_default"]
    assert responses(second) == ["utter_default_agent"]
    assert second.messages[0]["buttons"] == [AGENT_BUTTON]


FORM_DOMAIN = {**DOMAIN, "forms": {**DOMAIN["forms"],
                                   "reschedule_form": {"required_slots": ["time_preference"]}}}


async def answer_when(text: str, intent: str, confidence: float) -> list[dict[str, Any]]:
    tracker = make_tracker(text=text, intent=intent, requested_slot="time_preference",
                           slots={"verified": True, "patient_id": "1"})
    tracker.active_loop = {"name": "reschedule_form"}
    tracker.latest_message["intent"]["confidence"] = confidence
    return await ValidateRescheduleForm().run(CollectingDispatcher(), tracker, FORM_DOMAIN)


async def test_the_words_not_the_intent_say_it_is_a_time() -> None:
    for text, intent, confidence in (("mornings", "greet", 0.99),
                                     ("anything after 3pm", "billing_balance", 0.52),
                                     ("as soon as possible", "billing_payment_plan", 0.35),
                                     ("whenever dr shah is free", "appointment_check", 0.95),
                                     ("the one after that", "nlu_fallback", 0.3)):
        assert await answer_when(text, intent, confidence) == [
            SlotSet("time_preference", text)], text


async def test_a_clear_other_request_is_not_a_time() -> None:
    asked_again: list[dict[str, Any]] = []  # nothing extracted: the form steps aside
    for text, intent, confidence in (("what's my balance", "billing_balance", 0.97),
                                     ("never mind", "deny", 0.99),
                                     ("i want to talk to a person", "human_handoff", 0.99),
                                     ("4111 1111 1111 1111", "inform", 0.6)):
        assert await answer_when(text, intent, confidence) == asked_again, text


def test_every_domain_action_is_served() -> None:
    """The action server registers every action class; each domain action has one."""
    from pathlib import Path

    import yaml
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    domain = yaml.safe_load((Path(__file__).parents[2] / "domain.yml").read_text())
    assert set(domain["actions"]) <= set(executor.actions)


# --- in Spanish ------------------------------------------------------------------

CUANDO = (r"(lunes|martes|miércoles|jueves|viernes|sábado|domingo) \d{1,2} de [a-z]+, "
          r"\d{1,2}:\d{2} (a\. m\.|p\. m\.)")


def clinic_local(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(clinic_tz())


async def test_upcoming_appointments_in_spanish(seeded: Session, backoffice) -> None:
    appt = appointment_of(seeded, "Lopez")
    dispatcher = CollectingDispatcher()
    assert await ActionTellAppointments(backoffice).run(
        dispatcher, maria(seeded, language="es"), DOMAIN) == []
    [message] = dispatcher.messages
    line = (f"• {momento(clinic_local(appt.starts_at))} con Dr. Priya Shah (primary care) en "
            "Riverside Primary Care, 100 Main St, Suite 2")
    assert message["appointments"] == line
    assert ", 10:30 a. m. con" in line
    assert text_of(message, "es") == f"Estas son sus próximas citas:\n{line}"


async def test_cancel_is_asked_in_spanish(seeded: Session, backoffice) -> None:
    appt = appointment_of(seeded, "Lopez")
    asked = CollectingDispatcher()
    await ActionStartCancel(backoffice).run(asked, maria(seeded, language="es"), DOMAIN)
    [message] = asked.messages
    assert text_of(message, "es") == (
        f"¿Cancelo su cita del {momento(clinic_local(appt.starts_at))} con Dr. Priya Shah "
        "(primary care) en Riverside Primary Care, 100 Main St, Suite 2?")
    assert message["buttons"] == [
        {"title": "Sí, cancelarla", "payload": "/affirm"},
        {"title": "Mejor buscar otra hora", "payload": "/appointment_reschedule"},
        {"title": "Mantenerla", "payload": "/deny"},
    ]


async def test_open_times_in_spanish(seeded: Session, backoffice) -> None:
    appt = appointment_of(seeded, "Lopez")
    dispatcher = CollectingDispatcher()
    tracker = maria(seeded, text="ok", time_preference="afternoons please", language="es",
                    appointment_id=str(appt.id), flow_step="reschedule_time")
    await ActionOfferSlots(backoffice).run(dispatcher, tracker, DOMAIN)
    [message] = dispatcher.messages
    assert text_of(message, "es") == ("Estos son los horarios disponibles más cercanos. ¿Cuál le "
                                      "queda bien?")
    times, none = message["buttons"][:-1], message["buttons"][-1]
    assert none == {"title": "Ninguno de estos", "payload": "/deny"}
    assert len(times) == 3
    for button in times:
        assert re.fullmatch(CUANDO, button["title"]), button["title"]
        assert button["title"].endswith("p. m.")


async def test_a_time_not_shown_is_confirmed_in_spanish(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = maria(seeded, entities={"slot_id": "41"}, appointment_id="1", language="es",
                    flow_step="reschedule_slot")
    await ActionChooseSlot(backoffice).run(dispatcher, tracker, DOMAIN)
    assert text_of(dispatcher.messages[0], "es") == "¿Cambio su cita al horario que eligió?"


def test_which_one_answered_in_spanish() -> None:
    def visit(id_: int, name: str, specialty: str, day: int) -> AppointmentInfo:
        return AppointmentInfo(id=id_, provider_id=id_, provider_name=name, specialty=specialty,
                               location="x", duration_minutes=30, status="booked",
                               starts_at=datetime(2026, 12, day, 10, 30, tzinfo=clinic_tz()))

    shah, kim = visit(1, "Dr. Priya Shah", "primary care", 8), visit(2, "Dr. Alan Kim",
                                                                      "cardiology", 10)
    assert match_appointment("la del martes", [shah, kim]) == [shah]
    assert match_appointment("la del jueves por favor", [shah, kim]) == [kim]
    assert match_appointment("la de Kim", [shah, kim]) == [kim]
    assert match_appointment("la del miercoles", [shah, kim]) == []
