"""Identity verification: a form that asks what the channel needs, checked by the back office.

SMS: the number on file plus the date of birth. Web: full name, date of birth and ZIP code.
Three failures pause verification for 15 minutes (kept by the back office in Redis), counted
per conversation and per source (the web client's address, the texting number), so that
what the patient hears never tells whether the details belong to a patient; the paused
person is told the real time left. Many failures at one record on the web pause its web
checks: whoever tries it then is told so, and how to get help now, without spending a try.
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.interfaces import Action
from rasa_sdk.types import DomainDict

from actions.backoffice_client import BackOfficeClient, BackOfficeError, default_client
from actions.common import channel_of, clinic_today, end_flow, language_of, phone_of
from actions.insights_client import InsightsClient, default_insights_client, report_task
from actions.parsing import (
    ambiguous_date_of_birth,
    parse_date_of_birth,
    parse_full_name,
    parse_zip_code,
)
from bot import i18n
from bot.backoffice.schemas import VerificationRequest, VerificationStatus
from bot.insights.enums import Task

log = logging.getLogger(__name__)

WEB_SLOTS = ["full_name", "dob", "zip_code"]
SMS_SLOTS = ["dob"]
CLEARED = {"full_name": None, "dob": None, "zip_code": None}


def tries(left: int, language: str = i18n.DEFAULT_LANGUAGE) -> str:
    return i18n.count_words("auth.tries", left, language)


def minutes(seconds: int, language: str = i18n.DEFAULT_LANGUAGE) -> str:
    """The real time left, rounded up: a pause with 4 minutes left is never told as 15."""
    return i18n.count_words("time.minutes", max(1, math.ceil(seconds / 60)), language)


def source_of(tracker: Tracker) -> str | None:
    """The web client's address the bot service put on the message (None when absent)."""
    metadata = tracker.latest_message.get("metadata") or {}
    ip = metadata.get("ip") if isinstance(metadata, dict) else None
    return str(ip)[:64] if ip else None


def verified_patient(tracker: Tracker) -> int | None:
    """The patient id, only when this session verified the patient."""
    patient_id = tracker.get_slot("patient_id")
    if tracker.get_slot("verified") and patient_id:
        try:
            return int(patient_id)
        except (TypeError, ValueError):
            return None
    return None


def refuse_unverified(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """Says why nothing can be shared; clears the stop so a later request tries again.
    A pause ("locked") or the back office down ("unavailable") was already told by the form,
    with the time left or the apology."""
    blocked = tracker.get_slot("verification_blocked")
    if blocked not in ("locked", "unavailable"):
        dispatcher.utter_message(response="utter_not_verified")
    return [SlotSet("verification_blocked", None)] if blocked else []


class PatientAction(Action, ABC):
    """An action about the verified patient's own records.

    Before verification it shares nothing and says why. A back-office failure anywhere in
    `act` is answered here and only here: a short apology with an agent offered, and any
    open flow ended (its choices may be stale). `act` catches only the errors that mean
    something to the patient (a taken slot, nothing owed) and lets every other one through.
    That failure is also reported to the insights as the failed `task` (the request this
    action works towards), so the back-office error count and the episode's failed tasks
    see every one of them.
    """

    # Every concrete action names it (tests/actions/test_auth.py checks each one).
    task: ClassVar[Task | None] = None

    @abstractmethod
    def name(self) -> str: ...

    def __init__(self, client_factory: Callable[[], BackOfficeClient] = default_client,
                 insights_factory: Callable[[], InsightsClient] = default_insights_client
                 ) -> None:
        self.client_factory = client_factory
        self.insights_factory = insights_factory

    def failed_task(self, tracker: Tracker) -> Task | None:
        """The request the back office just failed (an action serving two flows overrides)."""
        return self.task

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        patient_id = verified_patient(tracker)
        if patient_id is None:
            return refuse_unverified(dispatcher, tracker)
        try:
            return await self.act(dispatcher, tracker, patient_id)
        except BackOfficeError as exc:
            log.error("%s failed: %s", self.name(), exc)
            dispatcher.utter_message(response="utter_backoffice_down")
            task = self.failed_task(tracker)
            if task is not None:  # in the background; never fails the turn
                report_task(tracker, task, ok=False, client_factory=self.insights_factory)
            return end_flow()

    @abstractmethod
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]: ...


class ValidateVerifyForm(FormValidationAction):
    def __init__(self, client_factory: Callable[[], BackOfficeClient] = default_client) -> None:
        self.client_factory = client_factory

    def name(self) -> str:
        return "validate_verify_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher,
        tracker: Tracker, domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("verified") or tracker.get_slot("verification_blocked"):
            return []
        return SMS_SLOTS if channel_of(tracker) == "sms" else WEB_SLOTS

    async def validate_full_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = parse_full_name(str(value or ""))
        if name is None:
            dispatcher.utter_message(response="utter_name_unreadable")
        return {"full_name": name}

    async def validate_zip_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        zip_code = parse_zip_code(str(value or ""))
        if zip_code is None:
            dispatcher.utter_message(response="utter_zip_unreadable")
            return {"zip_code": None}
        return await self._verify(dispatcher, tracker, zip_code=zip_code)

    async def validate_dob(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        language = language_of(tracker)
        both = ambiguous_date_of_birth(text, clinic_today())
        # 12/03/1984 in a language that writes the day first: asked, never guessed (one tap).
        # In English the question shows the month first (03/17/1990), so that reading is
        # tried, and a failure says how to write it.
        if both is not None and i18n.writes_day_first(language):
            readings = reversed(both)
            dispatcher.utter_message(response="utter_dob_which", buttons=[
                {"title": i18n.say_full_date(day, language), "payload": day.isoformat()}
                for day in readings])
            return {"dob": None}
        born = parse_date_of_birth(text, clinic_today())
        if born is None:
            dispatcher.utter_message(response="utter_dob_unreadable")
            return {"dob": None}
        if channel_of(tracker) == "sms":
            return await self._verify(dispatcher, tracker, dob=born.isoformat())
        return {"dob": born.isoformat()}

    async def _verify(
        self, dispatcher: CollectingDispatcher, tracker: Tracker,
        dob: str | None = None, zip_code: str | None = None,
    ) -> dict[str, Any]:
        channel = channel_of(tracker)
        request = VerificationRequest(
            conversation_id=tracker.sender_id,
            channel="sms" if channel == "sms" else "web",
            date_of_birth=dob or tracker.get_slot("dob"),
            phone=phone_of(tracker) if channel == "sms" else None,
            full_name=tracker.get_slot("full_name") if channel != "sms" else None,
            zip_code=zip_code,
            source=source_of(tracker) if channel != "sms" else None,
        )
        try:
            result = await self.client_factory().verify(request)
        except BackOfficeError as exc:
            log.error("verification call failed: %s", exc)
            dispatcher.utter_message(response="utter_backoffice_down")
            # Ends the form unverified; the request that needed it then says nothing more.
            return {**CLEARED, "verification_blocked": "unavailable"}
        if result.status is VerificationStatus.verified:
            dispatcher.utter_message(response="utter_verified")
            return {**CLEARED, "verified": True, "patient_id": str(result.patient_id)}
        if result.status is VerificationStatus.locked:
            dispatcher.utter_message(response="utter_verification_locked",
                                     minutes=minutes(result.retry_after_seconds,
                                                     language_of(tracker)))
            return {**CLEARED, "verification_blocked": "locked"}
        if result.status is VerificationStatus.record_paused:
            # Not this person's tries (none spent): the record's, from elsewhere. Said alike
            # whether or not the details were right, with the ways to get help now.
            dispatcher.utter_message(response="utter_verification_record_paused",
                                     minutes=minutes(result.retry_after_seconds,
                                                     language_of(tracker)))
            return {**CLEARED, "verification_blocked": "locked"}
        dispatcher.utter_message(response="utter_verification_failed",
                                 tries=tries(result.attempts_left, language_of(tracker)))
        typed = _typed_date_of_birth(tracker)
        if typed is not None and ambiguous_date_of_birth(typed, clinic_today()) is not None:
            dispatcher.utter_message(response="utter_dob_order_hint")
        return dict(CLEARED)


class ActionAskDob(Action):
    """On SMS the date of birth is the first question, so it says why we ask."""

    def name(self) -> str:
        return "action_ask_dob"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if _asked_which_date(tracker):  # the question is on screen already
            return []
        sms = channel_of(tracker) == "sms"
        dispatcher.utter_message(response="utter_ask_dob_sms" if sms else "utter_ask_dob")
        return []


def _typed_date_of_birth(tracker: Tracker) -> str | None:
    """What the patient typed when asked for the date of birth, in this attempt."""
    if tracker.get_slot("requested_slot") == "dob":
        return str(tracker.latest_message.get("text") or "")
    answer: str | None = None
    asking_dob = False
    for event in tracker.events:
        if event.get("event") == "slot" and event.get("name") == "requested_slot":
            asking_dob = event.get("value") == "dob"
        elif event.get("event") == "user" and asking_dob:
            answer = str(event.get("text") or "")
    return answer


def _asked_which_date(tracker: Tracker) -> bool:
    """This turn's validation asked which of two readings the date is."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot":
            return (event.get("metadata") or {}).get("utter_action") == "utter_dob_which"
    return False
