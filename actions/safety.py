"""Emergencies: answered at once when we are sure, asked about when only the classifier thinks so.

The bot service's rule-based safety net is precise: when it matches, the engine gets
`/emergency` and the patient gets 911 (and 988) with an urgent handoff. The classifier's
`emergency` alone is not precise (ordinary requests such as "roll a die" reach it), so on its
own it gets a safety check: the 911 advice as a question, no urgent handoff. A "yes" (or a
second emergency) to the check is then treated as sure.

Inside verification, at the name question, a reply is a name: "Peter Nobody" may look like an
emergency to the classifier, but only the safety net (or words asking for help) stops the
form there; a name goes back to the form, which asks the next question.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff import ActionHandoff
from actions.parsing import parse_full_name
from bot.handoff.schemas import HandoffReason
from bot.i18n import without_accents

log = logging.getLogger(__name__)

# What the bot service sends when its safety net matched, and the payload of the check's "Yes".
SURE = "/emergency"
CHECK_RESPONSE = "utter_safety_check"
VERIFY_FORM = "verify_form"
# Words that ask for help: a reply at the name question with one of them still gets the
# safety check (the safety net itself already caught the explicit emergencies).
DISTRESS_WORDS = frozenset(
    "help hurt hurts hurting pain dying die dead emergency urgent ambulance 911 sick bleeding "
    "breathe breathing unconscious suicide overdose attack "
    # Spanish, without accents (the name is compared without them too).
    "ayuda ayudeme ayudenme ayudame socorro auxilio duele dolor muriendo morir muerto "
    "muerta emergencia urgente ambulancia sangre sangrando respirar respiro inconsciente "
    "suicidio sobredosis ataque infarto desmayo".split())


def _intent(tracker: Tracker) -> str | None:
    name = (tracker.latest_message.get("intent") or {}).get("name")
    return str(name) if name else None


def answering_safety_check(tracker: Tracker) -> bool:
    """True when the bot's last words before this message were the safety check."""
    seen_latest_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_latest_user:
                return False
            seen_latest_user = True
        elif kind == "bot" and seen_latest_user:
            return (event.get("metadata") or {}).get("utter_action") == CHECK_RESPONSE
    return False


def asked_for_name(tracker: Tracker) -> bool:
    """True when the verification form was asking for the name as this message came (the
    rule that stops the form for an emergency has since deactivated it)."""
    events = list(tracker.events)
    latest_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=0)
    loop: str | None = None
    requested: str | None = None
    for event in events[:latest_user]:
        kind = event.get("event")
        if kind == "active_loop":
            loop = event.get("name")
        elif kind == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        elif kind in ("restart", "session_started"):
            loop = requested = None
    return loop == VERIFY_FORM and requested == "full_name"


def typed_name(tracker: Tracker) -> str | None:
    """The name this message gives at the form's name question, if it reads as one and asks
    for no help."""
    if not asked_for_name(tracker):
        return None
    text = str(tracker.latest_message.get("text") or "")
    name = parse_full_name(text)
    if name is None or any(without_accents(w.strip("'.-")) in DISTRESS_WORDS
                           for w in name.lower().split()):
        return None
    return name


def is_sure(tracker: Tracker) -> bool:
    """The safety net matched, the patient tapped "Yes", or answered the check with a yes or
    another emergency."""
    text = str(tracker.latest_message.get("text") or "").strip()
    if text.startswith(SURE):
        return True
    return answering_safety_check(tracker) and _intent(tracker) in ("affirm", "emergency")


class ActionEmergency(ActionHandoff):
    """911 and an urgent handoff when sure; otherwise the safety check, and nothing raised."""

    def name(self) -> str:
        return "action_emergency"

    def reason(self, tracker: Tracker) -> HandoffReason:
        return "emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if is_sure(tracker):
            dispatcher.utter_message(response="utter_emergency")
            return await super().run(dispatcher, tracker, domain)
        if answering_safety_check(tracker):  # "no", or anything else that is not a yes
            dispatcher.utter_message(response="utter_safety_check_clear")
            return []
        if _intent(tracker) == "emergency":
            name = typed_name(tracker)
            if name is not None:
                log.info("classifier-only emergency at the name question: taken as the name")
                return [ActiveLoop(VERIFY_FORM), SlotSet("full_name", name)]
            log.info("classifier-only emergency: asking a safety check, no urgent handoff")
            dispatcher.utter_message(response=CHECK_RESPONSE)
            return []
        # A yes or no after a real emergency was answered (the handoff request failed, or
        # the patient is still with the bot): nothing to confirm.
        dispatcher.utter_message(response="utter_ok")
        return []
