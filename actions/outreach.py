"""Replies to outreach messages: the numbered choices of a reminder, a no-show
follow-up or a refill prompt, each carrying the message's id (`/outreach_confirm{"outreach_id":
"12"}`), so the reply acts on that appointment or prescription without asking which.

Confirming from a reminder needs no date of birth when the reply comes from the number the
reminder went to (it reveals nothing the reminder did not say). Everything else that reads or
changes the record (reschedule, cancel, rebook, refill) is a `PatientAction`: verification
first, as for any request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action
from rasa_sdk.types import DomainDict

from actions.appointments import AppointmentAction, ask_time, describe
from actions.auth import verified_patient
from actions.backoffice_client import (
    BackOfficeClient,
    BackOfficeError,
    Conflict,
    NotFound,
    default_client,
)
from actions.common import (
    agent_button,
    channel_of,
    chosen,
    end_flow,
    language_of,
    phone_of,
    say_when,
)
from actions.insights_client import InsightsClient, default_insights_client, report_task
from actions.outreach_client import OutreachClient, default_outreach_client
from actions.refills import submitted_message
from bot.i18n import LANGUAGES, words
from bot.insights.enums import Task
from bot.outreach.schemas import OutreachContext

log = logging.getLogger(__name__)


def _from_choices(tracker: Tracker) -> str | None:
    """The id the patient's latest outreach choice carried, even when verification came in
    between (the date of birth is the latest message then)."""
    found = chosen(tracker, "outreach_id")
    if found:
        return found
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        for item in (event.get("parse_data") or {}).get("entities") or []:
            if item.get("entity") == "outreach_id" and item.get("value") not in (None, ""):
                return str(item["value"])
    return None


def outreach_id(tracker: Tracker) -> int | None:
    """The message being answered: from the choice picked, else the one the engine was told
    about when it went out."""
    value = _from_choices(tracker) or tracker.get_slot("outreach_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def outreach_button(title: str, intent: str, message_id: int, **more: str | int) -> dict[str, str]:
    entities = {"outreach_id": str(message_id), **{k: str(v) for k, v in more.items()}}
    inner = ",".join(f'"{k}":"{v}"' for k, v in entities.items())
    return {"title": title, "payload": f"/{intent}{{{inner}}}"}


class ActionOutreachContext(Action):
    """The engine's side of a sent message (`EXTERNAL_outreach`): remember which it was."""

    def name(self) -> str:
        return "action_outreach_context"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
                  ) -> list[dict[str, Any]]:
        message_id = chosen(tracker, "outreach_id")
        events: list[dict[str, Any]] = [SlotSet("outreach_id", message_id)] if message_id else []
        # The message went out in the patient's language: the replies follow it.
        language = chosen(tracker, "language")
        if language in LANGUAGES:
            events.append(SlotSet("language", language))
        return events


class ActionOutreachConfirm(Action):
    """"1" (or "Confirm") after a reminder: no date of birth from the number on file."""

    def __init__(self, outreach_factory: Callable[[], OutreachClient] = default_outreach_client,
                 insights_factory: Callable[[], InsightsClient] = default_insights_client
                 ) -> None:
        self.outreach_factory = outreach_factory
        self.insights_factory = insights_factory

    def name(self) -> str:
        return "action_outreach_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
                  ) -> list[dict[str, Any]]:
        message_id = outreach_id(tracker)
        if message_id is None:
            dispatcher.utter_message(response="utter_outreach_gone")
            return []
        phone = phone_of(tracker) if channel_of(tracker) == "sms" else None
        try:
            result = await self.outreach_factory().confirm(message_id, phone,
                                                           verified_patient(tracker))
        except NotFound:
            dispatcher.utter_message(response="utter_outreach_gone")
            return []
        except BackOfficeError as exc:
            log.error("outreach confirm failed: %s", exc)
            dispatcher.utter_message(response="utter_backoffice_down")
            report_task(tracker, Task.appointment_confirmed, ok=False,
                        client_factory=self.insights_factory)
            return []
        if result.status == "confirmed" and result.starts_at is not None:
            dispatcher.utter_message(response="utter_outreach_confirmed",
                                     when=say_when(result.starts_at, language_of(tracker)))
            report_task(tracker, Task.appointment_confirmed, client_factory=self.insights_factory)
        elif result.status == "verify":
            dispatcher.utter_message(response="utter_outreach_confirm_elsewhere")
        else:
            dispatcher.utter_message(response="utter_outreach_gone")
        return [SlotSet("outreach_id", str(message_id))]


class OutreachAction(AppointmentAction):
    """A reply that reads or changes the record: verified first (PatientAction)."""

    choice = ""

    def __init__(self, client_factory: Callable[[], BackOfficeClient] = default_client,
                 outreach_factory: Callable[[], OutreachClient] = default_outreach_client
                 ) -> None:
        super().__init__(client_factory)
        self.outreach_factory = outreach_factory

    async def about(self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
                    ) -> OutreachContext | None:
        """What the message was about, if it went to this patient; else says it is gone."""
        message_id = outreach_id(tracker)
        if message_id is not None:
            try:
                found = await self.outreach_factory().context(message_id, patient_id)
                if self.choice:
                    await self.outreach_factory().record_reply(message_id, self.choice)
                return found
            except NotFound:
                pass
        dispatcher.utter_message(response="utter_outreach_gone")
        return None

    async def the_appointment(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                              patient_id: int) -> tuple[OutreachContext, Any] | None:
        ctx = await self.about(dispatcher, tracker, patient_id)
        if ctx is None:
            return None
        appts = [a for a in await self.upcoming(patient_id) if a.id == ctx.subject_id]
        if ctx.subject_type != "appointment" or not appts:
            dispatcher.utter_message(response="utter_outreach_gone")
            return None
        return ctx, appts[0]


class ActionOutreachReschedule(OutreachAction):
    """"2" after a reminder: the reschedule flow for that appointment, without asking which."""

    choice = "reschedule"

    task = Task.appointment_moved

    def name(self) -> str:
        return "action_outreach_reschedule"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
                  ) -> list[dict[str, Any]]:
        found = await self.the_appointment(dispatcher, tracker, patient_id)
        if found is None:
            return end_flow()
        return end_flow() + ask_time(dispatcher, found[1], language=language_of(tracker))


class ActionOutreachCancel(OutreachAction):
    """"3" after a reminder: asks before cancelling; a new time or keeping it are offered."""

    choice = "cancel"

    task = Task.appointment_cancelled

    def name(self) -> str:
        return "action_outreach_cancel"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
                  ) -> list[dict[str, Any]]:
        found = await self.the_appointment(dispatcher, tracker, patient_id)
        if found is None:
            return end_flow()
        ctx, appt = found
        language = language_of(tracker)
        dispatcher.utter_message(response="utter_outreach_confirm_cancel",
                                 appointment=describe(appt, language), buttons=[
                                     outreach_button(words("button.cancel_it", language),
                                                     "outreach_cancel_confirmed", ctx.id),
                                     outreach_button(words("button.new_time_instead", language),
                                                     "outreach_reschedule", ctx.id),
                                     outreach_button(words("button.keep_it", language),
                                                     "outreach_confirm", ctx.id)])
        return end_flow()


class ActionOutreachCancelConfirmed(OutreachAction):
    """"Yes, cancel it": cancelled, and a new time offered."""

    choice = "cancel"

    task = Task.appointment_cancelled

    def name(self) -> str:
        return "action_outreach_cancel_confirmed"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
                  ) -> list[dict[str, Any]]:
        found = await self.the_appointment(dispatcher, tracker, patient_id)
        if found is None:
            return end_flow()
        ctx, appt = found
        try:
            done = await self.client_factory().cancel_appointment(patient_id, appt.id)
        except (Conflict, NotFound):
            dispatcher.utter_message(response="utter_appointment_not_changeable")
            return end_flow()
        language = language_of(tracker)
        dispatcher.utter_message(response="utter_outreach_cancelled",
                                 appointment=describe(done, language),
                                 buttons=[outreach_button(words("button.book_new_time", language),
                                                          "outreach_rebook", ctx.id)])
        return end_flow()


class ActionOutreachRebook(OutreachAction):
    """A new time with the same provider, after a missed (or cancelled) appointment."""

    choice = "rebook"

    task = Task.appointment_moved

    def name(self) -> str:
        return "action_outreach_rebook"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
                  ) -> list[dict[str, Any]]:
        ctx = await self.about(dispatcher, tracker, patient_id)
        if ctx is None:
            return end_flow()
        await offer_times(dispatcher, self.outreach_factory(), ctx.id, patient_id,
                          language=language_of(tracker))
        return end_flow()


async def offer_times(dispatcher: CollectingDispatcher, client: OutreachClient, message_id: int,
                      patient_id: int, taken: bool = False, language: str = "en") -> None:
    found = await client.rebook_slots(message_id, patient_id)
    if not found.slots:
        dispatcher.utter_message(response="utter_outreach_no_slots",
                                 provider=found.provider_name, buttons=[agent_button(language)])
        return
    buttons = [outreach_button(say_when(s.starts_at, language), "outreach_book", message_id,
                               slot_id=s.id)
               for s in found.slots]
    if taken:
        dispatcher.utter_message(response="utter_outreach_slot_taken", buttons=buttons)
    else:
        dispatcher.utter_message(response="utter_outreach_rebook_slots",
                                 provider=found.provider_name, buttons=buttons)


class ActionOutreachBook(OutreachAction):
    """A time was picked from the open times: book it."""

    task = Task.appointment_moved

    def name(self) -> str:
        return "action_outreach_book"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
                  ) -> list[dict[str, Any]]:
        message_id, slot_id = outreach_id(tracker), chosen(tracker, "slot_id")
        if message_id is None or slot_id is None or not slot_id.isdigit():
            dispatcher.utter_message(response="utter_outreach_gone")
            return end_flow()
        client = self.outreach_factory()
        try:
            appt = await client.book(message_id, patient_id, int(slot_id))
        except Conflict:
            await offer_times(dispatcher, client, message_id, patient_id, taken=True,
                              language=language_of(tracker))
            return end_flow()
        except NotFound:
            dispatcher.utter_message(response="utter_outreach_gone")
            return end_flow()
        dispatcher.utter_message(response="utter_outreach_booked",
                                 appointment=describe(appt, language_of(tracker)))
        return end_flow()


class ActionOutreachRefill(OutreachAction):
    """"1" after a refill or renewal prompt: the refill (or the renewal request) is filed."""

    choice = "refill"

    task = Task.refill_filed

    def name(self) -> str:
        return "action_outreach_refill"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
                  ) -> list[dict[str, Any]]:
        ctx = await self.about(dispatcher, tracker, patient_id)
        if ctx is None:
            return end_flow()
        if ctx.subject_type != "prescription":
            dispatcher.utter_message(response="utter_outreach_gone")
            return end_flow()
        try:
            refill = await self.client_factory().request_refill(patient_id, ctx.subject_id)
        except NotFound:
            dispatcher.utter_message(response="utter_prescription_gone",
                                     buttons=[agent_button(language_of(tracker))])
            return end_flow()
        submitted_message(dispatcher, refill, language_of(tracker))
        return end_flow()
