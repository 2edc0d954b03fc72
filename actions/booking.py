"""Booking a new visit: for the verified patient, by specialty, reason or provider name, at a
time they would like, with a confirmation step and the visit's instructions after.

The choice of service (specialty, provider, visit type) is kept as JSON in `booking_service`
between the steps; the steps in `flow_step` (rules key on it), the chosen time in `slot_id`.
The back office enforces the rules (referral, age and sex limits, visit length, double
booking) and says which one stopped a booking; these actions only say so to the patient.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.appointments import describe, none_of_these, offered_title
from actions.auth import PatientAction
from actions.backoffice_client import Conflict, NotFound
from actions.common import (
    agent_button,
    choice_button,
    chosen,
    clinic_tz,
    end_flow,
    language_of,
    request_text,
    say_when,
    set_step,
    yes_no,
)
from actions.insights_client import report_task
from actions.parsing import parse_time_preference, time_clause
from bot import i18n
from bot.backoffice.schemas import ProviderInfo, ServiceInfo, VisitTypeInfo
from bot.insights.enums import Task

# Words that point to a specialty, English and Spanish (accents removed, lower case). A
# reason that two specialties treat ("my knee hurts") names both: the patient is asked.
SPECIALTY_WORDS: dict[str, tuple[str, ...]] = {
    "dermatology": ("dermatolog", "skin", "rash", "mole", "acne", "eczema", "piel", "lunar",
                    "sarpullido", "granos"),
    "cardiology": ("cardiolog", "heart", "palpitation", "corazon"),
    "orthopedics": ("orthop", "ortop", "bone", "fracture", "sprain", "hueso", "fractura",
                    "knee", "shoulder", "hip", "joint", "back pain", "rodilla", "hombro",
                    "cadera", "espalda", "articulacion"),
    "primary care": ("primary care", "physical", "checkup", "check-up", "check up", "annual",
                     "sick", "flu", "fever", "cough", "cold", "family doctor", "well-woman",
                     "well woman", "pap", "knee", "shoulder", "hip", "joint", "back pain",
                     "medico general", "medicina general", "medico de cabecera", "chequeo",
                     "gripe", "fiebre", "tos", "enferm", "rodilla", "hombro", "cadera",
                     "espalda", "examen fisico"),
    "pediatrics": ("pediatric", "pediatr"),
}
VISIT_WORDS: dict[str, tuple[str, ...]] = {
    "annual_physical": ("physical", "checkup", "check-up", "check up", "chequeo",
                        "examen fisico"),
    "sick_visit": ("sick", "flu", "fever", "cough", "cold", "enferm", "gripe", "fiebre", "tos"),
    "well_woman": ("well-woman", "well woman", "pap", "ginecolog"),
}
# Booking for someone else: the record says nothing about who may act for whom, so a person
# does it.
DEPENDANT = re.compile(
    r"\b(?:my|for)\s+(?:son|daughter|kid|kids|child|children|baby|boy|girl|wife|husband|"
    r"mom|mother|dad|father|grandma|grandpa)\b|\bmi\s+(?:hijo|hija|hijos|nino|nina|bebe|"
    r"esposa|esposo|mama|papa|abuela|abuelo)\b")
_DOCTOR = re.compile(r"\b(?:dr|doctor|doctora|doc)\.?\s+([a-z][a-z-]+)")


def _plain(text: str) -> str:
    return i18n.without_accents((text or "").lower())


def _has(text: str, stems: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(stem)}", text) for stem in stems)


def for_someone_else(text: str) -> bool:
    return bool(DEPENDANT.search(_plain(text)))


def provider_named(text: str, services: list[ServiceInfo]) -> ProviderInfo | None:
    """"Dr. Shah", "doctor kim", "with Ruiz": the one provider whose name it says."""
    plain = _plain(text)
    words = set(re.findall(r"[a-z]+", plain))
    named = set(_DOCTOR.findall(plain))
    found = []
    for service in services:
        for provider in service.providers:
            surname = _plain(provider.name).replace("dr.", "").split()
            if (named | words) & {w for w in surname if len(w) >= 3}:
                found.append(provider)
    return found[0] if len(found) == 1 else None


def specialties_named(text: str, services: list[ServiceInfo]) -> list[str]:
    plain = _plain(text)
    offered = {s.specialty for s in services}
    return [name for name, stems in SPECIALTY_WORDS.items()
            if name in offered and (_has(plain, stems) or name in plain)]


def visit_type_named(text: str, types: list[VisitTypeInfo]) -> str | None:
    plain = _plain(text)
    codes = {t.code for t in types}
    return next((code for code, stems in VISIT_WORDS.items()
                 if code in codes and _has(plain, stems)), None)


def specialty_label(specialty: str, language: str, kind: str = "specialty") -> str:
    """A button title for the specialty (`kind` "specialty_name": its name in a sentence);
    one we have no words for is shown as the back office names it."""
    key = f"{kind}.{specialty}"
    if key in i18n.WORDS.get(language, {}) or key in i18n.WORDS[i18n.DEFAULT_LANGUAGE]:
        return i18n.words(key, language)
    return specialty.capitalize() if kind == "specialty" else specialty


def visit_name(visit: VisitTypeInfo, language: str) -> str:
    return visit.name_es if language == "es" else visit.name


def chosen_service(tracker: Tracker) -> dict[str, Any]:
    try:
        value = json.loads(tracker.get_slot("booking_service") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def stop(dispatcher: CollectingDispatcher, response: str, language: str,
         **values: Any) -> list[dict[str, Any]]:
    """Says why booking cannot go on here, offers a person, and forgets the flow."""
    dispatcher.utter_message(response=response, buttons=[agent_button(language)], **values)
    return end_flow() + [SlotSet("booking_service", None)]


class BookingAction(PatientAction):
    task = Task.appointment_booked

    async def offer(self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int,
                    service: dict[str, Any], said: str) -> list[dict[str, Any]]:
        """Up to three open times for the service near what the patient said, as buttons."""
        language = language_of(tracker)
        wish = parse_time_preference(said, datetime.now(UTC), clinic_tz())
        try:
            found = await self.client_factory().new_visit_slots(
                patient_id, specialty=service.get("specialty"),
                provider_id=service.get("provider_id"), visit_type=service.get("visit_type"),
                start=wish.start, end=wish.end, part_of_day=wish.part_of_day, limit=3)
        except Conflict as exc:
            if exc.code == "referral_required":
                return stop(dispatcher, "utter_booking_referral_needed", language,
                            specialty=specialty_label(str(service.get("specialty") or ""),
                                                      language, "specialty_name"))
            return stop(dispatcher, "utter_booking_not_eligible", language)
        except NotFound:
            return stop(dispatcher, "utter_booking_unknown_service", language)
        visit = visit_name(found.visit_type, language)
        if not found.result.slots:
            dispatcher.utter_message(response="utter_no_open_slots")
            return end_flow() + [SlotSet("booking_service", None)]
        buttons = [choice_button(f"{say_when(s.starts_at, language)}, {s.provider_name}",
                                 "slot_id", s.id) for s in found.result.slots]
        first = found.result.slots[0]
        response = ("utter_offer_new_visit_slots_new_patient"
                    if first.provider_id in found.new_to_providers
                    else "utter_offer_new_visit_slots")
        dispatcher.utter_message(response=response, visit=visit,
                                 minutes=first.duration_minutes,
                                 buttons=[*buttons, none_of_these(language)])
        service = {**service, "visit_type": found.visit_type.code}
        return [SlotSet("booking_service", json.dumps(service, sort_keys=True)),
                *set_step("booking_slot", slot_id=None)]


class ActionStartBooking(BookingAction):
    """What to book: a provider the request names, or the one specialty its words point to
    (with the visit type they name); else the patient picks the specialty from buttons."""

    def name(self) -> str:
        return "action_start_booking"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        language = language_of(tracker)
        answering = tracker.get_slot("flow_step") == "booking_specialty"
        said = (str(tracker.latest_message.get("text") or "") if answering
                else request_text(tracker, ("appointment_book",)))
        if not answering and for_someone_else(said):
            return stop(dispatcher, "utter_booking_for_someone_else", language)
        services = (await self.client_factory().booking_services()).services
        provider = provider_named(said, services)
        picked = chosen(tracker, "specialty")
        specialties = ([picked] if picked in {s.specialty for s in services}
                       else specialties_named(said, services))
        wish = time_clause(said) or tracker.get_slot("time_preference") or ""
        if provider is not None:
            service: dict[str, Any] = {"provider_id": provider.id,
                                       "specialty": provider.specialty}
        elif len(specialties) == 1:
            service = {"specialty": specialties[0]}
        else:
            choices = specialties or [s.specialty for s in services]
            dispatcher.utter_message(
                response="utter_ask_booking_specialty" if not specialties
                else "utter_ask_booking_which_of",
                buttons=[choice_button(specialty_label(c, language), "specialty", c)
                         for c in choices])
            return [SlotSet("time_preference", wish or None),
                    *set_step("booking_specialty", slot_id=None)]
        types = next(s.visit_types for s in services if s.specialty == service["specialty"])
        code = visit_type_named(said, types) or (visit_type_named(
            request_text(tracker, ("appointment_book",)), types) if answering else None)
        if code:
            service["visit_type"] = code
        return [SlotSet("time_preference", None),
                *await self.offer(dispatcher, tracker, patient_id, service, wish)]


class ActionChooseNewVisitSlot(BookingAction):
    """A time was tapped: confirm before booking. Words instead are another time to look
    for."""

    def name(self) -> str:
        return "action_choose_new_visit_slot"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        service = chosen_service(tracker)
        if not service:
            return end_flow()
        slot_id = chosen(tracker, "slot_id")
        if slot_id is None or not slot_id.isdigit():
            said = str(tracker.latest_message.get("text") or "")
            return await self.offer(dispatcher, tracker, patient_id, service,
                                    time_clause(said) or said)
        language = language_of(tracker)
        when = (offered_title(tracker, f'"slot_id":"{slot_id}"')
                or i18n.words("appointment.that_time", language))
        dispatcher.utter_message(response="utter_confirm_booking", when=when,
                                 buttons=yes_no(language))
        return set_step("booking_confirm", slot_id=slot_id)


class ActionBookAppointment(BookingAction):
    """Yes to the time: book it, say what was booked and what to do before the visit."""

    def name(self) -> str:
        return "action_book_appointment"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        service, slot_id = chosen_service(tracker), tracker.get_slot("slot_id")
        if not service or not slot_id or not service.get("visit_type"):
            return end_flow()
        language = language_of(tracker)
        try:
            booked = await self.client_factory().book_appointment(
                patient_id, int(slot_id), str(service["visit_type"]))
        except (Conflict, NotFound) as exc:
            code = exc.code if isinstance(exc, Conflict) else "slot_not_found"
            if code == "double_booked":
                return stop(dispatcher, "utter_booking_double_booked", language)
            if code == "referral_required":
                return stop(dispatcher, "utter_booking_referral_needed", language,
                            specialty=specialty_label(str(service.get("specialty") or ""),
                                                      language, "specialty_name"))
            if code == "not_eligible":
                return stop(dispatcher, "utter_booking_not_eligible", language)
            # Someone else took the time (or it is gone): the next open times.
            dispatcher.utter_message(response="utter_slot_taken")
            return await self.offer(dispatcher, tracker, patient_id, service, "")
        dispatcher.utter_message(response="utter_booked",
                                 appointment=describe(booked.appointment, language),
                                 visit=visit_name(booked.visit_type, language))
        dispatcher.utter_message(response="utter_booking_instructions_new_patient"
                                 if booked.new_patient else "utter_booking_instructions")
        report_task(tracker, Task.appointment_booked)
        return end_flow() + [SlotSet("booking_service", None)]
