"""A switch of language: confirmed, and the bot's last question said again as it was asked."""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.language import ActionLanguageSwitched

DOMAIN: dict[str, Any] = {"responses": {
    "utter_ask_dob_sms": [{"text": "What's your date of birth?"}],
    "utter_confirm_refill": [{"text": "Send a refill of {medication} to {pharmacy}?",
                              "buttons": [{"title": "Yes", "payload": "/affirm"}]}],
    "utter_which_medication": [{"text": "Which one?"}],
}}


def tracker(events: list[dict[str, Any]]) -> Tracker:
    return Tracker(sender_id="sms:+15555550104", slots={"language": "es"}, latest_message={},
                   events=events, paused=False, followup_action=None, active_loop={},
                   latest_action_name="action_listen")


def bot(response: str, text: str = "...", buttons: list[dict[str, str]] | None = None,
        **values: str) -> dict[str, Any]:
    return {"event": "bot", "text": text, "data": {"buttons": buttons},
            "metadata": {"utter_action": response, "template": response, **values}}


async def run(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    assert await ActionLanguageSwitched().run(dispatcher, tracker(events), DOMAIN) == []
    return [{k: v for k, v in m.items() if v} for m in dispatcher.messages]


async def test_the_last_question_is_asked_again_with_what_filled_it() -> None:
    said = await run([
        {"event": "user", "text": "refill"},
        bot("utter_confirm_refill", "Send a refill of Amlodipine to Little Havana Pharmacy?",
            [{"title": "Yes", "payload": "/affirm"}], medication="Amlodipine 5 mg",
            pharmacy="Little Havana Pharmacy"),
        {"event": "action", "name": "action_listen"},
        {"event": "slot", "name": "language", "value": "es"},
    ])
    # The response's own buttons come with it again: not offered twice.
    assert said == [
        {"response": "utter_language_switched", "template": "utter_language_switched"},
        {"response": "utter_confirm_refill", "template": "utter_confirm_refill",
         "medication": "Amlodipine 5 mg", "pharmacy": "Little Havana Pharmacy"}]


async def test_choices_an_action_made_are_offered_again() -> None:
    choices = [{"title": "Amlodipine 5 mg", "payload": '/inform{"prescription_id":"4"}'}]
    said = await run([bot("utter_which_medication", "Which one?", choices),
                      {"event": "action", "name": "action_listen"}])
    assert said[1] == {"response": "utter_which_medication",
                       "template": "utter_which_medication", "buttons": choices}


async def test_an_earlier_switch_and_unseen_payloads_are_passed_over() -> None:
    said = await run([
        bot("utter_ask_dob_sms"),
        {"event": "bot", "text": None, "data": {"custom": {"language_set": "es"}},
         "metadata": {}},
        bot("utter_language_switched"),
    ])
    assert [m["response"] for m in said] == ["utter_language_switched", "utter_ask_dob_sms"]


async def test_nothing_asked_in_this_session_is_only_confirmed() -> None:
    said = await run([bot("utter_ask_dob_sms"), {"event": "session_started"},
                      {"event": "action", "name": "action_listen"}])
    assert [m["response"] for m in said] == ["utter_language_switched"]
    assert [m["response"] for m in await run([])] == ["utter_language_switched"]
