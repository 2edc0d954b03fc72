"""Refills: find the medication the patient means, confirm it and the pharmacy, submit.

With no refills left the back office records a renewal request for the prescriber instead
(`request_refill` decides that), so the dialogue asks before sending either one.
"""

from __future__ import annotations

import re
from abc import ABC
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.auth import PatientAction
from actions.backoffice_client import NotFound
from actions.common import (
    agent_button,
    choice_button,
    chosen,
    end_flow,
    language_of,
    local_date,
    request_text,
    resume_flow,
    say_date,
    set_step,
    yes_no,
)
from actions.insights_client import report_task
from actions.parsing import match_medication
from bot import i18n
from bot.backoffice.enums import RefillStatus
from bot.backoffice.schemas import PrescriptionInfo, RefillInfo
from bot.insights.enums import Task

# Words of a refill request that do not name a medication.
_GENERIC = frozenset(
    "i im i'm need a an my the please pls refill refills refilled renew renewed renewal get "
    "can you could more of prescription prescriptions rx script meds med medication "
    "medications medicine pills pill want to request new send it for me some another "
    "running out low on again".split()
) | frozenset(  # Spanish, without accents (matched that way)
    "necesito quiero quisiera un una mi mis la el los las lo de del por favor porfa resurtido "
    "resurtidos resurtir surtir rellenar relleno receta recetas medicina medicinas medicamento "
    "medicamentos pastillas pastilla pedir solicitar renovar renovacion nueva nuevo otra otro "
    "mas me puede puedo podria hacer para que se estan esta acabando queda quedan pocas poco "
    "ya tengo mandar enviar".split()
)


def names_something(text: str) -> bool:
    """"refill my inhaler" names a medication; "i need a refill" does not."""
    if text.startswith("/"):
        return False
    words = re.findall(r"[a-z']+", i18n.without_accents(text.lower()))
    return any(w not in _GENERIC for w in words)


def label(rx: PrescriptionInfo) -> str:
    return f"{rx.medication} {rx.strength}"


def medication_buttons(rxs: list[PrescriptionInfo]) -> list[dict[str, str]]:
    return [choice_button(label(rx), "prescription_id", rx.id) for rx in rxs]


def confirm(dispatcher: CollectingDispatcher, rx: PrescriptionInfo,
            language: str = i18n.DEFAULT_LANGUAGE) -> list[dict[str, Any]]:
    """Refills left: confirm medication and pharmacy. None left: offer a renewal request.
    A request already open: say so now, rather than after the patient said yes."""
    if rx.open_request is not None:
        dispatcher.utter_message(response="utter_refill_already_open", medication=label(rx),
                                 reference=rx.open_request.reference,
                                 state=state_words(rx.open_request.status, rx.pharmacy_name,
                                                   language))
        return end_flow()
    if rx.refills_left > 0:
        dispatcher.utter_message(response="utter_confirm_refill", medication=label(rx),
                                 pharmacy=f"{rx.pharmacy_name}, {rx.pharmacy_address}",
                                 buttons=yes_no(language))
    else:
        dispatcher.utter_message(response="utter_offer_renewal", medication=label(rx),
                                 buttons=yes_no(language))
    return set_step("refill_confirm", prescription_id=str(rx.id))


class RefillAction(PatientAction, ABC):
    async def active(self, patient_id: int) -> list[PrescriptionInfo]:
        return (await self.client_factory().prescriptions(patient_id)).prescriptions


def pick(text: str, picked_id: str | None, rxs: list[PrescriptionInfo]) -> list[PrescriptionInfo]:
    if picked_id is not None:
        return [rx for rx in rxs if str(rx.id) == picked_id]
    ids = match_medication(text, [(rx.id, rx.medication, rx.purpose) for rx in rxs])
    return [rx for rx in rxs if rx.id in ids]


class ActionStartRefill(RefillAction):
    task = Task.refill_filed

    def name(self) -> str:
        return "action_start_refill"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        rxs = await self.active(patient_id)
        language = language_of(tracker)
        if not rxs:
            dispatcher.utter_message(response="utter_no_prescriptions",
                                     buttons=[agent_button(language)])
            return end_flow()
        text = request_text(tracker, ("refill_request",))
        matches = pick(text, chosen(tracker, "prescription_id"), rxs)
        if len(matches) == 1:
            return end_flow() + confirm(dispatcher, matches[0], language)
        if not matches and names_something(text):
            dispatcher.utter_message(response="utter_refill_not_on_file",
                                     buttons=[*medication_buttons(rxs), agent_button(language)])
        else:
            dispatcher.utter_message(response="utter_which_medication",
                                     buttons=medication_buttons(matches or rxs))
        return end_flow() + set_step("refill_pick")


class ActionPickPrescription(RefillAction):
    """The answer to "which medication?": a tapped button or its name."""

    task = Task.refill_filed

    def name(self) -> str:
        return "action_pick_prescription"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        rxs = await self.active(patient_id)
        text = str(tracker.latest_message.get("text") or "")
        matches = pick(text, chosen(tracker, "prescription_id"), rxs)
        language = language_of(tracker)
        if len(matches) == 1:
            return confirm(dispatcher, matches[0], language)
        dispatcher.utter_message(response="utter_refill_pick_again",
                                 buttons=[*medication_buttons(rxs), agent_button(language)])
        return set_step("refill_pick")  # still asking


def submitted_message(dispatcher: CollectingDispatcher, refill: RefillInfo,
                      language: str = i18n.DEFAULT_LANGUAGE) -> None:
    medication = f"{refill.medication} {refill.strength}"
    if refill.already_open:
        dispatcher.utter_message(response="utter_refill_already_open", medication=medication,
                                 reference=refill.reference,
                                 state=state_words(refill.status, refill.pharmacy_name,
                                                   language))
    elif refill.status == RefillStatus.renewal_requested:
        dispatcher.utter_message(response="utter_renewal_requested", medication=medication,
                                 reference=refill.reference)
    else:
        dispatcher.utter_message(response="utter_refill_submitted", medication=medication,
                                 pharmacy=refill.pharmacy_name, reference=refill.reference)


class ActionSubmitRefill(RefillAction):
    """Only after the patient said yes: a refill, or a renewal request when none are left."""

    task = Task.refill_filed

    def name(self) -> str:
        return "action_submit_refill"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        prescription_id = tracker.get_slot("prescription_id")
        if not prescription_id:
            return end_flow()
        try:
            refill = await self.client_factory().request_refill(patient_id, int(prescription_id))
        except NotFound:
            dispatcher.utter_message(response="utter_prescription_gone",
                                     buttons=[agent_button(language_of(tracker))])
            return end_flow()
        submitted_message(dispatcher, refill, language_of(tracker))
        report_task(tracker, Task.renewal_filed if refill.status == RefillStatus.renewal_requested
                    else Task.refill_filed)
        return end_flow()


STATES = frozenset({RefillStatus.submitted, RefillStatus.renewal_requested, RefillStatus.ready,
                    RefillStatus.denied})


def state_words(status: RefillStatus, pharmacy_name: str,
                language: str = i18n.DEFAULT_LANGUAGE) -> str:
    """Where a request stands, in plain words."""
    if status not in STATES:
        return str(status)
    return i18n.words(f"refill.state.{status.value}", language, pharmacy=pharmacy_name)


class ActionRefillStatus(RefillAction):
    task = Task.refill_status_told

    def name(self) -> str:
        return "action_refill_status"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        requests = (await self.client_factory().refill_status(patient_id)).requests
        if not requests:
            dispatcher.utter_message(response="utter_no_refill_requests")
            return []
        language = language_of(tracker)
        lines = "\n".join(
            i18n.words("refill.status_line", language, medication=f"{r.medication} {r.strength}",
                       date=say_date(local_date(r.created_at), language=language),
                       state=state_words(r.status, r.pharmacy_name, language),
                       reference=r.reference)
            for r in requests
        )
        dispatcher.utter_message(response="utter_refill_status", requests=lines)
        report_task(tracker, Task.refill_status_told)
        resume_flow(dispatcher, tracker)
        return []
