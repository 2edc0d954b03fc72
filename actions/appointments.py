"""Appointments: what is coming up, moving one to another time, cancelling one.

The steps are kept in `flow_step` (rules key on it) and the choices as ids in slots;
every action reads the slots, makes one back-office call and says what happened.
"""

from __future__ import annotations

import re
from abc import ABC
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.interfaces import Action
from rasa_sdk.types import DomainDict

from actions.auth import PatientAction
from actions.backoffice_client import Conflict, NotFound
from actions.common import (
    choice_button,
    chosen,
    clinic_today,
    clinic_tz,
    end_flow,
    has_card_number,
    language_of,
    request_text,
    resume_flow,
    say_day,
    say_when,
    set_step,
    yes_no,
)
from actions.insights_client import report_task
from actions.parsing import names_a_time, parse_time_preference, split_move_request
from bot import i18n
from bot.backoffice.schemas import AppointmentInfo
from bot.insights.enums import Task

EN = i18n.DEFAULT_LANGUAGE


def cancel_buttons(language: str = EN) -> list[dict[str, str]]:
    return [
        {"title": i18n.words("button.cancel_it", language), "payload": "/affirm"},
        {"title": i18n.words("button.new_time_instead", language),
         "payload": "/appointment_reschedule"},
        {"title": i18n.words("button.keep_it", language), "payload": "/deny"},
    ]


def none_of_these(language: str = EN) -> dict[str, str]:
    return {"title": i18n.words("button.none_of_these", language), "payload": "/deny"}


CANCEL_BUTTONS = cancel_buttons()
NONE_OF_THESE = none_of_these()


def describe(appt: AppointmentInfo, language: str = EN) -> str:
    """"Thu, Dec 3 at 10:30 AM with Dr. Priya Shah (primary care) at <place>"."""
    return i18n.words("appointment.line", language, when=say_when(appt.starts_at, language),
                      provider=appt.provider_name, specialty=appt.specialty,
                      location=appt.location)


def short(appt: AppointmentInfo, language: str = EN) -> str:
    """A button title: "Dr. Priya Shah, Thu, Dec 3 at 10:30 AM"."""
    return i18n.words("appointment.short", language, provider=appt.provider_name,
                      when=say_when(appt.starts_at, language))


def appointment_buttons(appts: list[AppointmentInfo], language: str = EN
                        ) -> list[dict[str, str]]:
    return [choice_button(short(a, language), "appointment_id", a.id) for a in appts]


def match_appointment(text: str, appts: list[AppointmentInfo]) -> list[AppointmentInfo]:
    """"the one with dr kim", "cardiology", "thursday", "the 3rd", "la del jueves": the
    appointments it fits."""
    words = set(re.findall(r"[a-z]+", i18n.without_accents(text.lower()))) - {
        "dr", "the", "one", "with", "my", "on", "la", "el", "de", "del", "con", "mi", "una"}
    days = {int(n) for n in re.findall(r"\b(\d{1,2})(?:st|nd|rd|th)?\b", text)}
    found = []
    for appt in appts:
        local = appt.starts_at.astimezone(clinic_tz())
        known = set(re.findall(r"[a-z]+", f"{appt.provider_name} {appt.specialty}".lower()))
        known |= {f"{local:%A}".lower(), f"{local:%a}".lower(), f"{local:%B}".lower()}
        known |= i18n.names_of_day(local)
        if words & known or local.day in days:
            found.append(appt)
    return found


_DOCTOR = re.compile(r"\b(?:dr|doctor|doc)\.?\s+([a-z][a-z-]+)")
_WEEKDAYS = {"monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
             "weds": 2, "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4,
             "saturday": 5, "sat": 5, "sunday": 6, "sun": 6}
_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december"]
_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b|\bthe (\d{1,2})\b(?![:/])")
_MONTH_DAY = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+"
                        r"(\d{1,2})(?:st|nd|rd|th)?\b")
_SLASH_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})\b")
_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)|\b(\d{1,2}):(\d{2})\b")


def _name_words(appt: AppointmentInfo) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", appt.provider_name.lower())
            if w not in ("dr", "doctor") and len(w) >= 3}


def _names_specialty(specialty: str, lowered: str, words: set[str]) -> bool:
    """"cardiology", "the cardiologist", "my primary care visit"."""
    if specialty.lower() in lowered:
        return True
    stems = {w[:6] for w in re.findall(r"[a-z]+", specialty.lower()) if len(w) >= 6}
    return any(w[:6] in stems for w in words if len(w) >= 5)


def _between(start: date, end: date) -> Callable[[date], bool]:
    return lambda day: start <= day < end


def _on_day(test: Callable[[date], bool]) -> Callable[[AppointmentInfo], bool]:
    return lambda appt: test(appt.starts_at.astimezone(clinic_tz()).date())


def _days_named(lowered: str, words: set[str], today: date) -> list[Callable[[date], bool]]:
    tests: list[Callable[[date], bool]] = []
    weekdays = {_WEEKDAYS[w] for w in words if w in _WEEKDAYS}
    if weekdays:
        tests.append(lambda d: d.weekday() in weekdays)
    named = {today for w in words if w == "today"} | {
        today + timedelta(days=1) for w in words if w == "tomorrow"}
    if named:
        tests.append(lambda d: d in named)
    monday = today - timedelta(days=today.weekday())
    if "this week" in lowered:
        tests.append(_between(today, monday + timedelta(days=7)))
    if "next week" in lowered:
        tests.append(_between(monday + timedelta(days=7), monday + timedelta(days=14)))
    month_days = {(next(i for i, m in enumerate(_MONTH_NAMES, 1) if m.startswith(m_)), int(n))
                  for m_, n in _MONTH_DAY.findall(lowered)}
    month_days |= {(int(m_), int(n)) for m_, n in _SLASH_DATE.findall(lowered)}
    if month_days:
        tests.append(lambda d: (d.month, d.day) in month_days)
    else:
        day_numbers = {int(a or b) for a, b in _ORDINAL.findall(lowered)}
        if day_numbers:
            tests.append(lambda d: d.day in day_numbers)
        months = {i for i, m in enumerate(_MONTH_NAMES, 1) if m in words and m != "may"}
        if months:
            tests.append(lambda d: d.month in months)
    return tests


def appointments_named(text: str, appts: list[AppointmentInfo]) -> list[AppointmentInfo] | None:
    """The appointments a request names ("with Dr. Kim", "on the 3rd", "my cardiology visit",
    "friday's", "my 10:30"): those that fit everything it names; None when it names nothing.

    Stricter than `match_appointment` (the answer to "which one?"): a request carries other
    words, so only a doctor's name, a kind of visit, a day, a date or a clock time count.
    """
    lowered = re.sub(r"'s\b", "", (text or "").lower())
    if not lowered or lowered.startswith("/"):
        return None
    words = set(re.findall(r"[a-z]+", lowered))
    tests: list[Callable[[AppointmentInfo], bool]] = []
    doctors = set(_DOCTOR.findall(lowered)) | (words & {w for a in appts for w in _name_words(a)})
    if doctors:
        tests.append(lambda a: bool(doctors & _name_words(a)))
    kinds = {a.specialty for a in appts if _names_specialty(a.specialty, lowered, words)}
    if kinds:
        tests.append(lambda a: a.specialty in kinds)
    tests += [_on_day(test) for test in _days_named(lowered, words, clinic_today())]
    clocks: set[tuple[int, int | None]] = set()
    for hour, minute, meridiem, hour24, minute24 in _CLOCK.findall(lowered):
        if meridiem:
            clocks.add((int(hour) % 12 + (12 if meridiem.startswith("p") else 0),
                        int(minute) if minute else None))
        else:
            clocks.add((int(hour24) + (12 if int(hour24) < 7 else 0), int(minute24)))
    if clocks:
        def at_clock(a: AppointmentInfo) -> bool:
            local = a.starts_at.astimezone(clinic_tz())
            return any(local.hour == h and m in (None, local.minute) for h, m in clocks)
        tests.append(at_clock)
    if not tests:
        return None
    return [a for a in appts if all(test(a) for test in tests)]


class AppointmentAction(PatientAction, ABC):
    async def upcoming(self, patient_id: int) -> list[AppointmentInfo]:
        return (await self.client_factory().appointments(patient_id)).appointments


def ask_time(dispatcher: CollectingDispatcher, appt: AppointmentInfo,
             wish: str | None = None, language: str = EN) -> list[dict[str, Any]]:
    """Says which appointment; `reschedule_form` then asks when (rules key on the step),
    unless the patient already said (`wish`): a form asks only for empty slots, so it ends
    at once and the open times follow."""
    dispatcher.utter_message(response="utter_moving_appointment",
                             appointment=describe(appt, language))
    return set_step("reschedule_time", appointment_id=str(appt.id), time_preference=wish)


def move_request(tracker: Tracker) -> tuple[str, str | None]:
    """The request to move an appointment, as (which one, when instead): the message that
    asked, even when verification or a question came after it."""
    return split_move_request(request_text(tracker, ("appointment_reschedule",)))


def the_one_named(text: str, appts: list[AppointmentInfo]) -> AppointmentInfo | None:
    named = appointments_named(text, appts)
    return named[0] if named and len(named) == 1 else None


def named_first(text: str, appts: list[AppointmentInfo]) -> list[AppointmentInfo]:
    """The choices to show: those the request named, when it named several; else all."""
    named = appointments_named(text, appts)
    return named if named and len(named) > 1 else appts


def ask_cancel(dispatcher: CollectingDispatcher, appt: AppointmentInfo,
               language: str = EN) -> list[dict[str, Any]]:
    dispatcher.utter_message(response="utter_confirm_cancel",
                             appointment=describe(appt, language),
                             buttons=cancel_buttons(language))
    return set_step("cancel_confirm", appointment_id=str(appt.id))


class ActionTellAppointments(AppointmentAction):
    task = Task.appointments_told

    def name(self) -> str:
        return "action_tell_appointments"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        appts = await self.upcoming(patient_id)
        if not appts:
            dispatcher.utter_message(response="utter_no_appointments")
            return []
        language = language_of(tracker)
        lines = "\n".join(f"• {describe(a, language)}" for a in appts)
        dispatcher.utter_message(response="utter_appointments", appointments=lines)
        report_task(tracker, Task.appointments_told)
        resume_flow(dispatcher, tracker)
        return []


class ActionStartReschedule(AppointmentAction):
    """Which appointment: the only one, the one picked at cancel time, the one the request
    names ("with Dr. Shah"), or ask with buttons. When the request said when ("to next
    Tuesday afternoon"), that is kept for the open times, never asked again."""

    task = Task.appointment_moved

    def name(self) -> str:
        return "action_start_reschedule"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("flow_step") == "reschedule_slot" and tracker.get_slot(
                "appointment_id"):
            # "Can we do next Tuesday instead?" while choosing a time: look for that time.
            said = str(tracker.latest_message.get("text") or "")
            return [SlotSet("time_preference", split_move_request(said)[1] or said),
                    FollowupAction("action_offer_slots")]
        appts = await self.upcoming(patient_id)
        if not appts:
            dispatcher.utter_message(response="utter_no_appointments")
            return end_flow()
        which, wish = move_request(tracker)
        language = language_of(tracker)
        # "Find a new time instead" while cancelling keeps the appointment already chosen.
        if tracker.get_slot("flow_step") == "cancel_confirm":
            picked = [a for a in appts if str(a.id) == tracker.get_slot("appointment_id")]
            if picked:
                return ask_time(dispatcher, picked[0], wish, language)
        named = appts[0] if len(appts) == 1 else the_one_named(which, appts)
        if named is not None:
            return ask_time(dispatcher, named, wish, language)
        dispatcher.utter_message(response="utter_which_appointment_move",
                                 buttons=appointment_buttons(named_first(which, appts),
                                                             language))
        # The time already asked for waits for the answer (action_pick_appointment).
        kept = {"time_preference": wish} if wish else {}
        return end_flow() + set_step("reschedule_pick", **kept)


class ActionStartCancel(AppointmentAction):
    task = Task.appointment_cancelled

    def name(self) -> str:
        return "action_start_cancel"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        appts = await self.upcoming(patient_id)
        if not appts:
            dispatcher.utter_message(response="utter_no_appointments")
            return end_flow()
        # "Cancel my appointment on the 3rd / with Dr. Kim": the one it names, if just one.
        which = request_text(tracker, ("appointment_cancel",))
        named = appts[0] if len(appts) == 1 else the_one_named(which, appts)
        language = language_of(tracker)
        if named is not None:
            return end_flow() + ask_cancel(dispatcher, named, language)
        dispatcher.utter_message(response="utter_which_appointment_cancel",
                                 buttons=appointment_buttons(named_first(which, appts),
                                                             language))
        return end_flow() + set_step("cancel_pick")


class ActionPickAppointment(AppointmentAction):
    """The answer to "which appointment?": a tapped button or words that fit just one. To
    move it, the time asked for before (kept in `time_preference`) or in this answer ("the
    one with Dr. Kim, to Friday") is used, not asked again."""

    task = Task.appointment_moved

    def name(self) -> str:
        return "action_pick_appointment"

    def failed_task(self, tracker: Tracker) -> Task:
        cancelling = tracker.get_slot("flow_step") == "cancel_pick"
        return Task.appointment_cancelled if cancelling else Task.appointment_moved

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        appts = await self.upcoming(patient_id)
        if not appts:
            dispatcher.utter_message(response="utter_no_appointments")
            return end_flow()
        moving = tracker.get_slot("flow_step") != "cancel_pick"
        said = str(tracker.latest_message.get("text") or "")
        which, wish = split_move_request(said, clauses=False) if moving else (said, None)
        picked_id = chosen(tracker, "appointment_id")
        if picked_id is not None:
            matches = [a for a in appts if str(a.id) == picked_id]
        else:
            matches = match_appointment(which, appts)
        language = language_of(tracker)
        if len(matches) != 1:
            dispatcher.utter_message(response="utter_pick_one",
                                     buttons=appointment_buttons(appts, language))
            return [SlotSet("flow_step", tracker.get_slot("flow_step"))]  # still asking
        if not moving:
            return ask_cancel(dispatcher, matches[0], language)
        return ask_time(dispatcher, matches[0], wish or tracker.get_slot("time_preference"),
                        language)


# Never a time, whatever the words: these always leave the question (rules say how).
NEVER_A_TIME = frozenset({"emergency", "human_handoff", "stop", "deny", "card_number"})
# Another request, when the classifier is sure of it and the words name no time.
OTHER_REQUESTS = frozenset({
    "billing_balance", "billing_pay", "billing_charge_question", "billing_payment_plan",
    "billing_insurance", "refill_request", "refill_status", "appointment_check",
    "appointment_cancel", "out_of_scope", "bot_capabilities", "goodbye", "thank"})
SURE = 0.8


class ValidateRescheduleForm(FormValidationAction):
    """The one free-text question: when the patient would like to come. Time phrases are
    classified all over the place ("mornings" as a greeting), so the words decide: a time,
    or anything not clearly another request, is the answer; a clear other request is not,
    so the form steps aside, that request is answered and the question is asked again."""

    def name(self) -> str:
        return "validate_reschedule_form"

    async def extract_time_preference(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "time_preference":
            return {}
        text = str(tracker.latest_message.get("text") or "").strip()
        intent = tracker.latest_message.get("intent") or {}
        name, confidence = intent.get("name"), float(intent.get("confidence") or 0)
        if not text or name in NEVER_A_TIME or has_card_number(text):
            return {}
        if names_a_time(text) or name not in OTHER_REQUESTS or confidence < SURE:
            return {"time_preference": text}
        return {}

    async def validate_time_preference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"time_preference": str(value)[:200] if value else None}


class ActionOfferSlots(AppointmentAction):
    """Up to three open times near what the patient asked for (`time_preference`), as
    buttons."""

    task = Task.appointment_moved

    def name(self) -> str:
        return "action_offer_slots"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        wish = tracker.get_slot("time_preference") or tracker.latest_message.get("text")
        return await self.offer(dispatcher, tracker, patient_id, str(wish or ""))

    async def offer(self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int,
                    said: str) -> list[dict[str, Any]]:
        appointment_id = tracker.get_slot("appointment_id")
        if not appointment_id:
            return end_flow()
        wish = parse_time_preference(said, datetime.now(UTC), clinic_tz())
        try:
            found = await self.client_factory().open_slots(
                patient_id, int(appointment_id), start=wish.start, end=wish.end,
                part_of_day=wish.part_of_day, limit=3)
        except Conflict:
            dispatcher.utter_message(response="utter_appointment_not_changeable")
            return end_flow()
        if not found.slots:
            dispatcher.utter_message(response="utter_no_open_slots")
            return end_flow()
        language = language_of(tracker)
        buttons = [choice_button(say_when(s.starts_at, language), "slot_id", s.id)
                   for s in found.slots]
        if found.widened:
            dispatcher.utter_message(response="utter_offer_slots_widened",
                                     buttons=[*buttons, none_of_these(language)])
        elif wish.day is not None:  # the day as understood, so a wrong reading shows
            dispatcher.utter_message(response="utter_offer_slots_on_day",
                                     day=say_day(wish.day, language),
                                     buttons=[*buttons, none_of_these(language)])
        else:
            dispatcher.utter_message(response="utter_offer_slots",
                                     buttons=[*buttons, none_of_these(language)])
        return set_step("reschedule_slot", slot_id=None)


def offered_title(tracker: Tracker, payload_part: str) -> str | None:
    """The title of the button the patient tapped, as we showed it (no second lookup)."""
    for event in reversed(tracker.events):
        if event.get("event") != "bot":
            continue
        for button in (event.get("data") or {}).get("buttons") or []:
            if payload_part in str(button.get("payload", "")):
                return str(button.get("title"))
    return None


class ActionChooseSlot(ActionOfferSlots):
    """A time was tapped: confirm it before anything changes. Words instead of a tap are
    another time to look for."""

    def name(self) -> str:
        return "action_choose_slot"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        slot_id = chosen(tracker, "slot_id")
        if slot_id is None or not slot_id.isdigit():
            said = str(tracker.latest_message.get("text") or "")
            return [SlotSet("time_preference", said),
                    *await self.offer(dispatcher, tracker, patient_id, said)]
        language = language_of(tracker)
        when = (offered_title(tracker, f'"slot_id":"{slot_id}"')
                or i18n.words("appointment.that_time", language))
        dispatcher.utter_message(response="utter_confirm_slot", when=when,
                                 buttons=yes_no(language))
        return set_step("reschedule_confirm", slot_id=slot_id)


class ActionAskOtherTime(Action):
    """"None of these": keep the appointment chosen; `reschedule_form` asks when again."""

    def name(self) -> str:
        return "action_ask_other_time"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_ask_other_time")
        return set_step("reschedule_time", slot_id=None, time_preference=None)


class ActionReschedule(AppointmentAction):
    task = Task.appointment_moved

    def name(self) -> str:
        return "action_reschedule"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        appointment_id, slot_id = tracker.get_slot("appointment_id"), tracker.get_slot("slot_id")
        if not appointment_id or not slot_id:
            return end_flow()
        try:
            appt = await self.client_factory().reschedule(patient_id, int(appointment_id),
                                                          int(slot_id))
        except (Conflict, NotFound) as exc:
            if isinstance(exc, Conflict) and exc.code == "appointment_not_changeable":
                dispatcher.utter_message(response="utter_appointment_not_changeable")
                return end_flow()
            # Someone else took the time (or it is gone): look again with the patient.
            dispatcher.utter_message(response="utter_slot_taken")
            return set_step("reschedule_time", slot_id=None, time_preference=None)
        dispatcher.utter_message(response="utter_rescheduled",
                                 appointment=describe(appt, language_of(tracker)))
        report_task(tracker, Task.appointment_moved)
        return end_flow()


class ActionCancelAppointment(AppointmentAction):
    task = Task.appointment_cancelled

    def name(self) -> str:
        return "action_cancel_appointment"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        appointment_id = tracker.get_slot("appointment_id")
        if not appointment_id:
            return end_flow()
        try:
            appt = await self.client_factory().cancel_appointment(patient_id, int(appointment_id))
        except (Conflict, NotFound):
            dispatcher.utter_message(response="utter_appointment_not_changeable")
            return end_flow()
        dispatcher.utter_message(response="utter_cancelled",
                                 appointment=describe(appt, language_of(tracker)))
        report_task(tracker, Task.appointment_cancelled)
        return end_flow()

