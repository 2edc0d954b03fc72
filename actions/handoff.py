"""Handing the conversation to a person, with everything they need to carry on."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action
from rasa_sdk.types import DomainDict

from actions.auth import verified_patient
from actions.backoffice_client import BackOfficeError
from actions.common import language_of
from actions.handoff_client import HandoffClient, default_handoff_client
from bot import i18n
from bot.handoff.enums import Urgency
from bot.handoff.schemas import HANDOFF_OPENED, HandoffReason, HandoffRequest
from bot.i18n import without_accents

log = logging.getLogger(__name__)

# The slot that keeps what the patient asked a person about, once its help was offered.
TOPIC_SLOT = "handoff_topic"
# Words that name what a request for a person is about ("talk to someone about my bill"),
# per topic (the desk team that handles it), in every language we speak; lower case, no
# accents. A word ending in "*" matches the words it begins.
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "billing": ("bill", "bills", "billing", "charges", "charged", "invoice",
                "statement", "balance", "copay", "payment", "payments", "account", "factur*",
                "cobro*", "cargo", "cargos", "saldo", "pago", "pagos", "copago", "cuenta"),
    "scheduling": ("appointment*", "appt", "appts", "scheduling", "cita", "citas"),
    "pharmacy": ("prescription*", "refill*", "medication*", "medicine*", "pharmacy", "receta*",
                 "resurtido*", "medicamento*", "medicina*", "farmacia"),
}


# A clinical person asked for by name ("a nurse about my medication"): no help is offered
# first, the request goes as it is.
CLINICAL_WORDS = ("nurse*", "doctor*", "dr", "physician", "enfermer*", "medico*")


def _said(words: list[str], wanted: tuple[str, ...]) -> bool:
    return any(word.startswith(w[:-1]) if w.endswith("*") else word == w
               for word in words for w in wanted)


def topic_of(text: str) -> str | None:
    """The one topic a request for a person names ("about my bill": billing); None when it
    names none, or more than one ("my bill and my appointment": a person sorts that out), or
    asks for a nurse or doctor."""
    words = re.findall(r"[a-z]+", without_accents(text.lower()))
    if _said(words, CLINICAL_WORDS):
        return None
    found = {topic for topic, wanted in TOPIC_WORDS.items() if _said(words, wanted)}
    return found.pop() if len(found) == 1 else None


def session_intents(tracker: Tracker) -> list[str]:
    """What the patient asked for in this session, in order, each once."""
    seen: list[str] = []
    for event in tracker.events:
        if event.get("event") != "user":
            continue
        name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if name and name not in seen:
            seen.append(str(name))
    return seen


def handoff_reason(tracker: Tracker) -> HandoffReason:
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent == "emergency":
        return "emergency"
    blocked = [e for e in tracker.events
               if e.get("event") == "slot" and e.get("name") == "verification_blocked"
               and e.get("value") == "locked"]
    if blocked:
        return "verification_locked"
    if tracker.get_slot("verification_blocked") == "unavailable":
        return "backoffice_error"
    return "requested"


class ActionHandoff(Action):
    def __init__(self, client_factory: Callable[[], HandoffClient] = default_handoff_client
                 ) -> None:
        self.client_factory = client_factory

    def name(self) -> str:
        return "action_handoff"

    def reason(self, tracker: Tracker) -> HandoffReason:
        return handoff_reason(tracker)

    @staticmethod
    def help_first(tracker: Tracker, reason: HandoffReason) -> str | None:
        """The topic whose help is offered before a person: a plain request for a person
        about a topic we help with ("I want to talk to someone about my bill"), when that
        help was not offered yet. Asked again after it, the person comes, from that team."""
        latest = tracker.latest_message
        if (reason != "requested" or tracker.get_slot(TOPIC_SLOT)
                or (latest.get("intent") or {}).get("name") != "human_handoff"):
            return None
        return topic_of(str(latest.get("text") or ""))

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        reason = self.reason(tracker)
        topic = self.help_first(tracker, reason)
        if topic is not None:
            dispatcher.utter_message(response=f"utter_handoff_offer_{topic}")
            return [SlotSet(TOPIC_SLOT, topic)]
        urgent = reason == "emergency"
        patient_id = verified_patient(tracker)
        request = HandoffRequest(
            conversation_id=tracker.sender_id,
            reason=reason,
            urgency=Urgency.urgent if urgent else Urgency.normal,
            verified=patient_id is not None,
            patient_id=patient_id,
            intents=session_intents(tracker),
            slots={"pending_request": tracker.get_slot("pending_request"),
                   "verified": bool(tracker.get_slot("verified")),
                   TOPIC_SLOT: tracker.get_slot(TOPIC_SLOT)},
            language=language_of(tracker),
        )
        try:
            ticket = await self.client_factory().request_handoff(request)
        except BackOfficeError as exc:
            log.error("handoff request failed: %s", exc)
            dispatcher.utter_message(response="utter_handoff_failed")
            return []
        # The bot service reads the chat's new state only when told a handoff opened.
        opened = {HANDOFF_OPENED: ticket.handoff_id}
        if urgent:
            # Someone we have no number for (an unverified web visitor) is asked for one in
            # the same reply: nobody can reach out to them otherwise.
            dispatcher.utter_message(
                response="utter_handoff_urgent" if ticket.callback_by_phone
                else "utter_handoff_urgent_callback", json_message=opened)
        elif not ticket.team_open:
            # No place in line to give: the request is already a callback task, and this one
            # message says when the team opens and how they get back to the patient.
            language = language_of(tracker)
            when = (i18n.say_opening(ticket.opens_at, datetime.now(UTC), language)
                    if ticket.opens_at is not None else i18n.words("time.soon", language))
            dispatcher.utter_message(
                response="utter_handoff_team_closed" if ticket.callback_by_phone
                else "utter_handoff_team_closed_call_us",
                team=i18n.words(f"team.{ticket.team}", language), when=when,
                json_message=opened)
        else:
            dispatcher.utter_message(response="utter_handoff_queued",
                                     position=str(ticket.position),
                                     wait=i18n.count_words("time.minutes",
                                                           ticket.wait_minutes,
                                                           language_of(tracker)),
                                     json_message=opened)
        return []
