"""A switch of language: confirmed in the new language, and the open question asked again in
it, so the flow goes on where it was.

The bot service runs this action itself when the patient sends just a language's name
("español", "English"), after setting the `language` slot; the patient's message never reaches
the policies, so nothing about the flow changes but the language it is said in.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action
from rasa_sdk.types import DomainDict

SWITCHED = "utter_language_switched"
# What a bot event's metadata holds beside the values its response was filled with.
NOT_VALUES = frozenset({"utter_action", "template", "response", "template_name", "text",
                        "buttons", "elements", "custom", "image", "attachment", "quick_replies",
                        "id"})


def last_said(tracker: Tracker) -> dict[str, Any] | None:
    """The bot's last response in this session before the switch (not a confirmation of an
    earlier switch, not a payload no one sees), as its event; None when there is none."""
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind in ("session_started", "restart"):
            return None
        if kind != "bot":
            continue
        name = (event.get("metadata") or {}).get("utter_action")
        if name and name != SWITCHED:
            return event
    return None


def has_own_buttons(domain: DomainDict, response: str) -> bool:
    variations = (domain.get("responses") or {}).get(response) or []
    return any(isinstance(v, dict) and v.get("buttons") for v in variations)


class ActionLanguageSwitched(Action):
    def name(self) -> str:
        return "action_language_switched"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response=SWITCHED)
        event = last_said(tracker)
        if event is None:
            return []
        metadata = event.get("metadata") or {}
        response = str(metadata["utter_action"])
        # Said again with what filled it the first time; the choices it offered (an action's
        # own, when the response has none) are offered again.
        values = {k: v for k, v in metadata.items() if k not in NOT_VALUES}
        buttons = ([] if has_own_buttons(domain, response)
                   else list((event.get("data") or {}).get("buttons") or []))
        dispatcher.utter_message(response=response, buttons=buttons, **values)
        return []
