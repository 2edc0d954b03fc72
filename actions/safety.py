"""Emergencies: answered at once when we are sure, asked about when only the classifier thinks so.

The bot service's rule-based safety net is precise: when it matches, the engine gets
`/emergency` and the patient gets 911 (and 988) with an urgent handoff. The classifier's
`emergency` alone is not precise (ordinary requests such as "roll a die" reach it), so on its
own it gets a safety check: the 911 advice as a question, no urgent handoff. A "yes" (or a
second emergency) to the check is then treated as sure.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff import ActionHandoff
from bot.handoff.schemas import HandoffReason

log = logging.getLogger(__name__)

# What the bot service sends when its safety net matched, and the payload of the check's "Yes".
SURE = "/emergency"
CHECK_RESPONSE = "utter_safety_check"


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
            log.info("classifier-only emergency: asking a safety check, no urgent handoff")
            dispatcher.utter_message(response=CHECK_RESPONSE)
            return []
        # A yes or no after a real emergency was answered (the handoff request failed, or
        # the patient is still with the bot): nothing to confirm.
        dispatcher.utter_message(response="utter_ok")
        return []
