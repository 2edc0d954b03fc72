"""Small helpers every action module shares: who is talking, and how we say numbers and dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action
from rasa_sdk.types import DomainDict

from actions.settings import get_action_settings
from bot import i18n
from bot.privacy import CARD_NUMBER


def channel_of(tracker: Tracker) -> str:
    """"sms" or "web": from the message metadata the bot service sends, else the sender id."""
    metadata = tracker.latest_message.get("metadata") or {}
    channel = metadata.get("channel") if isinstance(metadata, dict) else None
    if channel in ("sms", "web"):
        return str(channel)
    return "sms" if tracker.sender_id.startswith("sms:") else "web"


def phone_of(tracker: Tracker) -> str | None:
    metadata = tracker.latest_message.get("metadata") or {}
    phone = metadata.get("phone") if isinstance(metadata, dict) else None
    if phone:
        return str(phone)
    if tracker.sender_id.startswith("sms:"):
        return tracker.sender_id.removeprefix("sms:")
    return None


def language_of(tracker: Tracker) -> str:
    """The conversation's language (the `language` slot), English when unset or unknown."""
    return i18n.language_or_default(tracker.get_slot("language"))


def clinic_today() -> date:
    return datetime.now(ZoneInfo(get_action_settings().clinic_timezone)).date()


def say_date(day: date, today: date | None = None, language: str = i18n.DEFAULT_LANGUAGE) -> str:
    """"Dec 13" ("13 de diciembre"), with the year only when it is not this year."""
    return i18n.say_date(day, today or clinic_today(), language)


def say_day(day: date, language: str = i18n.DEFAULT_LANGUAGE) -> str:
    """"Tuesday, Dec 15" ("martes 15 de diciembre")."""
    return i18n.say_day(day, language)


# --- shared by the multi-step flows ---------------------------------------------------------

# One categorical slot, `flow_step`, says which question of which flow the patient is
# answering; rules key on it. These are every slot a flow may leave behind.
FLOW_SLOTS = ("flow_step", "appointment_id", "slot_id", "time_preference", "prescription_id",
              "plan_months")


def agent_button(language: str = i18n.DEFAULT_LANGUAGE) -> dict[str, str]:
    return {"title": i18n.words("button.agent", language), "payload": "/human_handoff"}


def yes_no(language: str = i18n.DEFAULT_LANGUAGE) -> list[dict[str, str]]:
    return [{"title": i18n.words("button.yes", language), "payload": "/affirm"},
            {"title": i18n.words("button.no", language), "payload": "/deny"}]


# In English, the default language.
AGENT_BUTTON = agent_button()
YES_NO = yes_no()


def end_flow() -> list[dict[str, Any]]:
    """Forget every step and choice of the flow, so nothing leaks into the next request."""
    return [SlotSet(name, None) for name in FLOW_SLOTS]


def set_step(step: str | None, **ids: str | None) -> list[dict[str, Any]]:
    return [SlotSet(name, value) for name, value in ids.items()] + [SlotSet("flow_step", step)]


def has_card_number(text: str) -> bool:
    """The shape redaction removes (without its check-digit test: anything card-like is
    refused): we never take cards by message."""
    return bool(CARD_NUMBER.search(text or ""))


def request_text(tracker: Tracker, intents: tuple[str, ...]) -> str:
    """What the patient wrote when asking (verification may have come in between)."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if name in intents:
            return str(event.get("text") or "")
    return str(tracker.latest_message.get("text") or "")


def chosen(tracker: Tracker, entity: str) -> str | None:
    """The id a button carried (`/inform{"appointment_id":"12"}`), if the patient tapped one."""
    for item in tracker.latest_message.get("entities") or []:
        if item.get("entity") == entity and item.get("value") not in (None, ""):
            return str(item["value"])
    return None


def choice_button(title: str, entity: str, value: int | str) -> dict[str, str]:
    return {"title": title, "payload": f'/inform{{"{entity}":"{value}"}}'}


def clinic_tz() -> ZoneInfo:
    return ZoneInfo(get_action_settings().clinic_timezone)


def local_date(moment: datetime) -> date:
    """The clinic's calendar day of a moment (naive times from the database are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(clinic_tz()).date()


def say_when(moment: datetime, language: str = i18n.DEFAULT_LANGUAGE) -> str:
    """"Thu, Dec 3 at 10:30 AM" ("jueves 3 de diciembre, 10:30 a. m."), in the clinic's
    time zone."""
    return i18n.say_moment(moment.astimezone(clinic_tz()), language)


# The questions each step asks, so a side question can be answered and the step asked again.
STEP_QUESTIONS: dict[str, tuple[str, ...]] = {
    "reschedule_pick": ("utter_which_appointment_move", "utter_pick_one"),
    # Asked by reschedule_form, which asks again by itself after a side question.
    "reschedule_time": ("utter_ask_time_preference",),
    "reschedule_slot": ("utter_offer_slots", "utter_offer_slots_widened"),
    "reschedule_confirm": ("utter_confirm_slot",),
    "cancel_pick": ("utter_which_appointment_cancel", "utter_pick_one"),
    "cancel_confirm": ("utter_confirm_cancel",),
    "refill_pick": ("utter_which_medication", "utter_refill_not_on_file",
                    "utter_refill_pick_again"),
    "refill_confirm": ("utter_confirm_refill", "utter_offer_renewal"),
    "plan_pick": ("utter_payment_plan_options", "utter_pick_plan_again"),
    "plan_confirm": ("utter_confirm_plan",),
}


def resume_flow(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """After answering a side question mid-flow, ask the flow's open question again.
    (An active form asks again by itself.)"""
    if tracker.active_loop.get("name"):
        return
    questions = STEP_QUESTIONS.get(str(tracker.get_slot("flow_step")), ())
    for event in reversed(tracker.events):
        if event.get("event") != "bot":
            continue
        if (event.get("metadata") or {}).get("utter_action") in questions:
            dispatcher.utter_message(response="utter_resume_flow")
            dispatcher.utter_message(text=str(event.get("text") or ""),
                                     buttons=list((event.get("data") or {}).get("buttons")
                                                  or []))
            return


class ActionEndFlow(Action):
    """"Never mind", "stop", or "no" to a confirmation: leave the flow with nothing changed."""

    def name(self) -> str:
        return "action_end_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_flow_stopped")
        return end_flow() + [SlotSet("pending_request", None)]


class ActionFallback(Action):
    """Not understood: ask again once; the second time in a row, offer a person."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        users = [e for e in tracker.events if e.get("event") == "user"]
        previous = users[-2] if len(users) >= 2 else {}
        intent = ((previous.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent == "nlu_fallback":
            dispatcher.utter_message(response="utter_default_agent",
                                     buttons=[agent_button(language_of(tracker))])
        else:
            dispatcher.utter_message(response="utter_default")
        return []
