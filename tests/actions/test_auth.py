import asyncio
import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any, cast

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions import insights_client
from actions.appointments import (
    ActionCancelAppointment,
    ActionChooseSlot,
    ActionOfferSlots,
    ActionPickAppointment,
    ActionReschedule,
    ActionStartCancel,
    ActionStartReschedule,
    ActionTellAppointments,
)
from actions.auth import ActionAskDob, PatientAction, ValidateVerifyForm
from actions.backoffice_client import (
    BackOfficeClient,
    BackOfficeError,
    BackOfficeUnavailable,
    Conflict,
)
from actions.billing import (
    ActionChoosePlan,
    ActionCreatePlan,
    ActionExplainCharges,
    ActionInsurance,
    ActionOfferPaymentPlan,
    ActionPaymentLink,
    ActionTellBalance,
)
from actions.common import FLOW_SLOTS, end_flow
from actions.insights_client import InsightsClient
from actions.outreach import (
    ActionOutreachBook,
    ActionOutreachCancel,
    ActionOutreachCancelConfirmed,
    ActionOutreachConfirm,
    ActionOutreachRebook,
    ActionOutreachRefill,
    ActionOutreachReschedule,
    OutreachAction,
)
from actions.outreach_client import OutreachClient
from actions.refills import (
    ActionPickPrescription,
    ActionRefillStatus,
    ActionStartRefill,
    ActionSubmitRefill,
)
from bot.backoffice.models import Patient
from bot.insights.enums import Task
from tests.actions.conftest import DOMAIN, make_tracker, text_of


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


def maria(db: Session) -> str:
    return str(db.scalars(select(Patient.id).where(Patient.last_name == "Lopez")).one())


async def test_sms_asks_only_the_date_of_birth(seeded: Session, backoffice) -> None:
    form = ValidateVerifyForm(backoffice)
    tracker = make_tracker()
    assert await form.required_slots([], CollectingDispatcher(), tracker, DOMAIN) == ["dob"]
    web = make_tracker(sender="web:abc")
    assert await form.required_slots([], CollectingDispatcher(), web, DOMAIN) == [
        "full_name", "dob", "zip_code"]


async def test_sms_right_date_verifies(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="03/12/1984", extracted={"dob": "03/12/1984"}, requested_slot="dob")
    events = await ValidateVerifyForm(backoffice).run(dispatcher, tracker, DOMAIN)
    assert events == [
        SlotSet("dob", None), SlotSet("full_name", None), SlotSet("zip_code", None),
        SlotSet("verified", True), SlotSet("patient_id", maria(seeded)),
        SlotSet("language", "en"), SlotSet("requested_slot", None),
    ]
    assert responses(dispatcher) == ["utter_verified", None]
    # Never shown: it tells the bot service the conversation's language.
    assert dispatcher.messages[1]["custom"] == {"language_set": "en"}


async def test_verification_speaks_the_language_on_the_patients_record(
        seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(sender="sms:+15555550104", text="30/09/1968",
                           extracted={"dob": "30/09/1968"}, requested_slot="dob")
    events = await ValidateVerifyForm(backoffice).run(dispatcher, tracker, DOMAIN)
    assert SlotSet("verified", True) in events and SlotSet("language", "es") in events
    assert [m["custom"] for m in dispatcher.messages if m["custom"]] == [{"language_set": "es"}]


async def test_a_language_the_patient_chose_stays_and_becomes_their_preference(
        seeded: Session, backoffice) -> None:
    """Maria's record says English; she chose Spanish before verifying: the conversation stays
    in Spanish and her record says so, from her. A language only detected is not a choice."""
    detected = make_tracker(extracted={"dob": "03/12/1984"}, requested_slot="dob", metadata={
        "channel": "sms", "phone": "+15555550101", "language": "es",
        "language_source": "detected"})
    events = await ValidateVerifyForm(backoffice).run(CollectingDispatcher(), detected, DOMAIN)
    assert SlotSet("language", "en") in events
    chose = make_tracker(extracted={"dob": "03/12/1984"}, requested_slot="dob", metadata={
        "channel": "sms", "phone": "+15555550101", "language": "es",
        "language_source": "patient"})
    events = await ValidateVerifyForm(backoffice).run(CollectingDispatcher(), chose, DOMAIN)
    assert SlotSet("language", "es") in events
    seeded.expire_all()
    record = seeded.scalars(select(Patient).where(Patient.last_name == "Lopez")).one()
    assert (record.preferred_language, record.preferred_language_source) == ("es", "patient")


async def test_sms_wrong_date_says_how_many_tries_are_left(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="3-12-85", extracted={"dob": "3-12-85"}, requested_slot="dob")
    events = await ValidateVerifyForm(backoffice).run(dispatcher, tracker, DOMAIN)
    assert events == [
        SlotSet("dob", None), SlotSet("full_name", None), SlotSet("zip_code", None),
        SlotSet("requested_slot", "dob"),
    ]
    assert dispatcher.messages[0]["response"] == "utter_verification_failed"
    assert dispatcher.messages[0]["tries"] == "2 more times"


async def test_third_failure_locks_and_ends_the_form(seeded: Session, backoffice) -> None:
    form = ValidateVerifyForm(backoffice)
    for _ in range(2):
        await form.run(CollectingDispatcher(),
                       make_tracker(extracted={"dob": "1/1/1990"}, requested_slot="dob"), DOMAIN)
    dispatcher = CollectingDispatcher()
    events = await form.run(dispatcher, make_tracker(extracted={"dob": "1/1/1990"},
                                                     requested_slot="dob"), DOMAIN)
    assert events == [
        SlotSet("dob", None), SlotSet("full_name", None), SlotSet("zip_code", None),
        SlotSet("verification_blocked", "locked"), SlotSet("requested_slot", None),
    ]
    # Said here, with the time left; the request the form was for then says nothing more.
    assert [(m["response"], m["minutes"]) for m in dispatcher.messages] == [
        ("utter_verification_locked", "15 minutes")]


async def test_unreadable_date_is_not_a_failed_try(seeded: Session, backoffice, redis_client
                                                   ) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(extracted={"dob": "how much do i owe"}, requested_slot="dob")
    events = await ValidateVerifyForm(backoffice).run(dispatcher, tracker, DOMAIN)
    assert events == [SlotSet("dob", None), SlotSet("requested_slot", "dob")]
    assert responses(dispatcher) == ["utter_dob_unreadable"]
    assert redis_client.keys("verify:*") == []


async def test_number_not_on_file_is_never_verified(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(sender="sms:+15555559999", extracted={"dob": "03/12/1984"},
                           requested_slot="dob")
    events = await ValidateVerifyForm(backoffice).run(dispatcher, tracker, DOMAIN)
    assert SlotSet("verified", True) not in events
    assert responses(dispatcher) == ["utter_verification_failed"]


async def test_web_collects_name_and_date_then_verifies_with_zip(seeded: Session, backoffice
                                                                 ) -> None:
    form = ValidateVerifyForm(backoffice)
    dispatcher = CollectingDispatcher()
    name = make_tracker(sender="web:s1", extracted={"full_name": "my name is maria lopez"},
                        requested_slot="full_name")
    assert await form.run(dispatcher, name, DOMAIN) == [SlotSet("full_name", "maria lopez")]
    dob = make_tracker(sender="web:s1", slots={"full_name": "maria lopez"},
                       extracted={"dob": "March 12 1984"}, requested_slot="dob")
    assert await form.run(dispatcher, dob, DOMAIN) == [SlotSet("dob", "1984-03-12")]
    zip_code = make_tracker(sender="web:s1", requested_slot="zip_code",
                            slots={"full_name": "maria lopez", "dob": "1984-03-12"},
                            extracted={"zip_code": "it's 02139"})
    events = await form.run(dispatcher, zip_code, DOMAIN)
    assert SlotSet("verified", True) in events
    assert events[-1] == SlotSet("requested_slot", None)


async def test_back_office_down_ends_the_form_with_an_apology(seeded: Session, backoffice_down
                                                              ) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(extracted={"dob": "03/12/1984"}, requested_slot="dob")
    events = await ValidateVerifyForm(backoffice_down).run(dispatcher, tracker, DOMAIN)
    assert SlotSet("verification_blocked", "unavailable") in events
    assert events[-1] == SlotSet("requested_slot", None)
    assert responses(dispatcher) == ["utter_backoffice_down"]


async def test_dob_question_says_why_on_sms() -> None:
    sms, web = CollectingDispatcher(), CollectingDispatcher()
    await ActionAskDob().run(sms, make_tracker(), DOMAIN)
    await ActionAskDob().run(web, make_tracker(sender="web:x"), DOMAIN)
    assert responses(sms) == ["utter_ask_dob_sms"]
    assert responses(web) == ["utter_ask_dob"]


# --- every action on the patient's record fails the same way --------------------------------

class FailingClient:
    """Stands in for the back-office client: every call raises what it raises when the back
    office is down, and is noted, so a test knows the action got as far as asking."""

    def __init__(self, error: BackOfficeError) -> None:
        self.error = error
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            raise self.error

        return call


RECORD_ACTIONS: list[type[PatientAction]] = [
    ActionTellBalance, ActionExplainCharges, ActionPaymentLink, ActionOfferPaymentPlan,
    ActionChoosePlan, ActionCreatePlan, ActionInsurance,
    ActionTellAppointments, ActionStartReschedule, ActionStartCancel, ActionPickAppointment,
    ActionOfferSlots, ActionChooseSlot, ActionReschedule, ActionCancelAppointment,
    ActionStartRefill, ActionPickPrescription, ActionSubmitRefill, ActionRefillStatus,
    ActionOutreachReschedule, ActionOutreachCancel, ActionOutreachCancelConfirmed,
    ActionOutreachRebook, ActionOutreachBook, ActionOutreachRefill,
]
MID_FLOW = {"verified": True, "patient_id": "1", "flow_step": "plan_confirm",
            "appointment_id": "1", "slot_id": "2", "prescription_id": "1", "plan_months": "3"}


def concrete_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= concrete_subclasses(sub)
        if not inspect.isabstract(sub):
            found.add(sub)
    return found


def test_every_action_on_the_record_is_checked_below() -> None:
    assert concrete_subclasses(PatientAction) == set(RECORD_ACTIONS)


@pytest.mark.parametrize("action", RECORD_ACTIONS, ids=lambda a: a.__name__)
async def test_back_office_failure_is_one_apology_and_ends_the_flow(
        action: type[PatientAction]) -> None:
    client = FailingClient(BackOfficeUnavailable("GET /patients/1/...: HTTP 503"))
    dispatcher = CollectingDispatcher()
    if issubclass(action, OutreachAction):  # a reply to an outreach message: both clients
        tracker = make_tracker(slots={**MID_FLOW, "outreach_id": "1"})
        tracker.latest_message["entities"] = [{"entity": "slot_id", "value": "2"}]  # a time
        acting: PatientAction = action(lambda: cast(BackOfficeClient, client),
                                       lambda: cast(OutreachClient, client))
    else:
        tracker = make_tracker(slots=MID_FLOW)
        acting = action(lambda: cast(BackOfficeClient, client))
    events = await acting.run(dispatcher, tracker, DOMAIN)
    assert client.calls, "the action never asked the back office"
    apology = CollectingDispatcher()
    apology.utter_message(response="utter_backoffice_down")  # its buttons offer a person
    assert dispatcher.messages == apology.messages
    assert events == [SlotSet(name, None) for name in FLOW_SLOTS]


async def test_an_unexpected_no_is_the_same_apology() -> None:
    """A conflict the action has no words for (here: not "nothing owed") goes the same way."""
    client = FailingClient(Conflict("POST /payment-links", "payment_link_locked"))
    dispatcher = CollectingDispatcher()
    events = await ActionPaymentLink(lambda: cast(BackOfficeClient, client)).run(
        dispatcher, make_tracker(slots=MID_FLOW), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_backoffice_down"]
    assert events == [SlotSet(name, None) for name in FLOW_SLOTS]


# --- ... and each failure is reported to the insights as that action's failed task ----------

FAILED_TASK: dict[type[PatientAction], Task] = {
    ActionTellBalance: Task.balance_told, ActionExplainCharges: Task.charges_explained,
    ActionPaymentLink: Task.payment_link_sent, ActionOfferPaymentPlan: Task.plan_set_up,
    ActionChoosePlan: Task.plan_set_up, ActionCreatePlan: Task.plan_set_up,
    ActionInsurance: Task.insurance_told,
    ActionTellAppointments: Task.appointments_told, ActionStartReschedule: Task.appointment_moved,
    ActionStartCancel: Task.appointment_cancelled, ActionPickAppointment: Task.appointment_moved,
    ActionOfferSlots: Task.appointment_moved, ActionChooseSlot: Task.appointment_moved,
    ActionReschedule: Task.appointment_moved, ActionCancelAppointment: Task.appointment_cancelled,
    ActionStartRefill: Task.refill_filed, ActionPickPrescription: Task.refill_filed,
    ActionSubmitRefill: Task.refill_filed, ActionRefillStatus: Task.refill_status_told,
    ActionOutreachReschedule: Task.appointment_moved,
    ActionOutreachCancel: Task.appointment_cancelled,
    ActionOutreachCancelConfirmed: Task.appointment_cancelled,
    ActionOutreachRebook: Task.appointment_moved, ActionOutreachBook: Task.appointment_moved,
    ActionOutreachRefill: Task.refill_filed,
}


class Reports:
    """The insights endpoint as the action server reaches it: every report it got."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert request.url == "http://bot.test/api/insights/tasks"
        self.seen.append(json.loads(request.content))
        return httpx.Response(202, json={"episode_id": 1})

    def factory(self) -> InsightsClient:
        return InsightsClient("http://bot.test", "secret",
                              transport=httpx.MockTransport(self.handler))


async def reported() -> None:
    """The reports go in the background: wait for those in flight."""
    await asyncio.gather(*list(insights_client._in_flight))


def failing(action: type[PatientAction], insights: Callable[[], InsightsClient]
            ) -> tuple[PatientAction, Tracker]:
    client = FailingClient(BackOfficeUnavailable("GET /patients/1/...: HTTP 503"))
    if issubclass(action, OutreachAction):
        tracker = make_tracker(slots={**MID_FLOW, "outreach_id": "1"}, intent="outreach_confirm")
        tracker.latest_message["entities"] = [{"entity": "slot_id", "value": "2"}]
        acting: PatientAction = action(lambda: cast(BackOfficeClient, client),
                                       lambda: cast(OutreachClient, client))
    else:
        tracker = make_tracker(slots=MID_FLOW, intent="billing_balance")
        acting = action(lambda: cast(BackOfficeClient, client))
    acting.insights_factory = insights
    return acting, tracker


def test_every_action_on_the_record_names_its_task() -> None:
    assert set(FAILED_TASK) == set(RECORD_ACTIONS)
    assert {a: a.task for a in RECORD_ACTIONS} == FAILED_TASK


@pytest.mark.parametrize("action", RECORD_ACTIONS, ids=lambda a: a.__name__)
async def test_back_office_failure_is_reported_as_a_failed_task(
        action: type[PatientAction]) -> None:
    reports = Reports()
    acting, tracker = failing(action, reports.factory)
    await acting.run(CollectingDispatcher(), tracker, DOMAIN)
    await reported()
    intent = "outreach_confirm" if issubclass(action, OutreachAction) else "billing_balance"
    assert reports.seen == [{"conversation_id": "sms:+15555550101",
                             "task": FAILED_TASK[action].value, "ok": False,
                             "intent": intent, "patient_id": 1}]


async def test_picking_which_appointment_to_cancel_fails_the_cancellation() -> None:
    reports = Reports()
    acting, _ = failing(ActionPickAppointment, reports.factory)
    tracker = make_tracker(slots={**MID_FLOW, "flow_step": "cancel_pick"})
    await acting.run(CollectingDispatcher(), tracker, DOMAIN)
    await reported()
    assert [r["task"] for r in reports.seen] == ["appointment_cancelled"]


async def test_a_report_that_cannot_be_made_never_fails_the_turn(
        caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> InsightsClient:
        raise RuntimeError("BACKOFFICE_URL is not set")

    acting, tracker = failing(ActionTellBalance, broken)
    dispatcher = CollectingDispatcher()
    assert await acting.run(dispatcher, tracker, DOMAIN) == end_flow()
    assert responses(dispatcher) == ["utter_backoffice_down"]
    assert "task report not sent" in caplog.text


async def test_a_report_the_bot_refuses_never_fails_the_turn(
        caplog: pytest.LogCaptureFixture) -> None:
    acting, tracker = failing(ActionTellBalance, lambda: InsightsClient(
        "http://bot.test", "secret", transport=httpx.MockTransport(lambda r: httpx.Response(500))))
    dispatcher = CollectingDispatcher()
    assert await acting.run(dispatcher, tracker, DOMAIN) == end_flow()
    await reported()
    assert responses(dispatcher) == ["utter_backoffice_down"]
    assert "task report not recorded" in caplog.text


async def test_no_report_when_the_action_answered() -> None:
    """A refusal before verification is no back-office failure: nothing is reported."""
    reports = Reports()
    acting, _ = failing(ActionTellBalance, reports.factory)
    await acting.run(CollectingDispatcher(), make_tracker(), DOMAIN)
    await reported()
    assert reports.seen == []


async def test_an_outreach_confirmation_the_back_office_failed_is_reported() -> None:
    reports = Reports()
    client = FailingClient(BackOfficeUnavailable("POST /outreach/1/confirm: HTTP 503"))
    tracker = make_tracker(slots={"outreach_id": "1"}, intent="outreach_confirm")
    dispatcher = CollectingDispatcher()
    action = ActionOutreachConfirm(lambda: cast(OutreachClient, client), reports.factory)
    assert await action.run(dispatcher, tracker, DOMAIN) == []
    await reported()
    assert responses(dispatcher) == ["utter_backoffice_down"]
    assert reports.seen == [{"conversation_id": "sms:+15555550101",
                             "task": "appointment_confirmed", "ok": False,
                             "intent": "outreach_confirm", "patient_id": None}]


async def test_tries_left_in_spanish(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="13/03/85", extracted={"dob": "13/03/85"}, requested_slot="dob",
                           slots={"language": "es"})
    await ValidateVerifyForm(backoffice).run(dispatcher, tracker, DOMAIN)
    [message] = dispatcher.messages
    assert message["tries"] == "2 veces más"
    assert text_of(message, "es") == ("Lo siento, esos datos no coinciden con nuestros "
                                      "registros. Puede intentarlo 2 veces más.")


async def test_an_all_numeric_date_both_ways_is_asked_in_spanish_never_guessed(
        seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="12/03/1984", extracted={"dob": "12/03/1984"},
                           requested_slot="dob", slots={"language": "es"})
    events = await ValidateVerifyForm(backoffice).run(dispatcher, tracker, DOMAIN)
    assert events == [SlotSet("dob", None), SlotSet("requested_slot", "dob")]  # none spent
    [message] = dispatcher.messages
    assert message["response"] == "utter_dob_which"
    assert message["buttons"] == [
        {"title": "12 de marzo de 1984", "payload": "1984-03-12"},
        {"title": "3 de diciembre de 1984", "payload": "1984-12-03"}]
    # The question is on screen: the form's own question is not asked over it.
    tracker.events.append({"event": "bot", "text": "¿cuál?",
                           "metadata": {"utter_action": "utter_dob_which"}})
    asked = CollectingDispatcher()
    assert await ActionAskDob().run(asked, tracker, DOMAIN) == []
    assert asked.messages == []
    # The tapped answer verifies.
    picked = CollectingDispatcher()
    tapped = make_tracker(text="1984-03-12", extracted={"dob": "1984-03-12"},
                          requested_slot="dob", slots={"language": "es"})
    await ValidateVerifyForm(backoffice).run(picked, tapped, DOMAIN)
    assert responses(picked)[0] == "utter_verified"


async def test_in_english_the_month_comes_first_and_a_failure_says_how_to_write_it(
        seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="12/03/1984", extracted={"dob": "12/03/1984"},
                           requested_slot="dob")
    await ValidateVerifyForm(backoffice).run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_verification_failed", "utter_dob_order_hint"]
    unambiguous = CollectingDispatcher()
    tracker = make_tracker(text="03/17/1990", extracted={"dob": "03/17/1990"},
                           requested_slot="dob")
    await ValidateVerifyForm(backoffice).run(unambiguous, tracker, DOMAIN)
    assert responses(unambiguous) == ["utter_verification_failed"]
