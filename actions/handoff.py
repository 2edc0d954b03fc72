"""Handing the conversation to a person, with everything they need to carry on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Tracker
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

log = logging.getLogger(__name__)


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

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        reason = self.reason(tracker)
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
                   "verified": bool(tracker.get_slot("verified"))},
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
