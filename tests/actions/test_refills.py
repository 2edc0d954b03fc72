import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.common import AGENT_BUTTON, FLOW_SLOTS, YES_NO
from actions.refills import (
    ActionPickPrescription,
    ActionRefillStatus,
    ActionStartRefill,
    ActionSubmitRefill,
    names_something,
)
from bot.backoffice.models import Patient, Prescription
from bot.clock import clinic_today
from tests.actions.conftest import DOMAIN, fecha, make_tracker, text_of

END = [SlotSet(name, None) for name in FLOW_SLOTS]


def patient(db: Session, last_name: str) -> str:
    return str(db.scalars(select(Patient.id).where(Patient.last_name == last_name)).one())


def rx(db: Session, medication: str) -> Prescription:
    return db.scalars(select(Prescription).where(Prescription.medication == medication)).one()


def tracker_for(db: Session, text: str = "", last_name: str = "Lopez",
                entities: dict[str, str] | None = None, **slots: Any) -> Tracker:
    tracker = make_tracker(text=text, intent="refill_request", slots={
        "verified": True, "patient_id": patient(db, last_name), **slots})
    tracker.latest_message["entities"] = [{"entity": k, "value": v}
                                          for k, v in (entities or {}).items()]
    return tracker


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


def test_what_names_a_medication() -> None:
    assert not names_something("i need a refill")
    assert not names_something("can you renew my prescription please")
    assert names_something("refill my inhaler")


async def test_named_medication_with_refills_confirms_pharmacy(seeded: Session, backoffice
                                                               ) -> None:
    lisinopril = rx(seeded, "Lisinopril")
    dispatcher = CollectingDispatcher()
    events = await ActionStartRefill(backoffice).run(
        dispatcher, tracker_for(seeded, "refill my lisinoprl"), DOMAIN)
    assert events == END + [SlotSet("prescription_id", str(lisinopril.id)),
                            SlotSet("flow_step", "refill_confirm")]
    [message] = dispatcher.messages
    assert (message["response"], message["medication"]) == ("utter_confirm_refill",
                                                             "Lisinopril 10 mg")
    assert message["pharmacy"] == "Main Street Pharmacy, 12 Main St, Cambridge, MA"
    assert message["buttons"] == YES_NO


async def test_by_what_it_is_for(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    await ActionStartRefill(backoffice).run(
        dispatcher, tracker_for(seeded, "i'm running out of my cholesterol pills"), DOMAIN)
    assert responses(dispatcher) == ["utter_offer_renewal"]  # atorvastatin: 0 refills left
    assert dispatcher.messages[0]["medication"] == "Atorvastatin 20 mg"


async def test_unclear_asks_with_buttons(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionStartRefill(backoffice).run(
        dispatcher, tracker_for(seeded, "i need a refill"), DOMAIN)
    assert events == END + [SlotSet("flow_step", "refill_pick")]
    [message] = dispatcher.messages
    assert message["response"] == "utter_which_medication"
    assert [b["title"] for b in message["buttons"]] == ["Atorvastatin 20 mg", "Lisinopril 10 mg"]
    assert message["buttons"][0]["payload"] == (
        f'/inform{{"prescription_id":"{rx(seeded, "Atorvastatin").id}"}}')


async def test_not_on_file_says_so_and_offers_an_agent(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionStartRefill(backoffice).run(
        dispatcher, tracker_for(seeded, "refill my inhaler"), DOMAIN)
    assert events == END + [SlotSet("flow_step", "refill_pick")]
    assert responses(dispatcher) == ["utter_refill_not_on_file"]
    assert dispatcher.messages[0]["buttons"][-1] == AGENT_BUTTON


async def test_no_prescriptions_at_all(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionStartRefill(backoffice).run(
        dispatcher, tracker_for(seeded, "refill", last_name="Khan"), DOMAIN)
    assert events == END
    assert responses(dispatcher) == ["utter_no_prescriptions"]
    assert dispatcher.messages[0]["buttons"] == [AGENT_BUTTON]


async def test_pick_by_button_and_wrong_choice(seeded: Session, backoffice) -> None:
    lisinopril = rx(seeded, "Lisinopril")
    dispatcher = CollectingDispatcher()
    events = await ActionPickPrescription(backoffice).run(
        dispatcher, tracker_for(seeded, entities={"prescription_id": str(lisinopril.id)},
                                flow_step="refill_pick"), DOMAIN)
    assert events == [SlotSet("prescription_id", str(lisinopril.id)),
                      SlotSet("flow_step", "refill_confirm")]
    metformin = rx(seeded, "Metformin")  # James's: not hers to pick
    for tracker in (tracker_for(seeded, "the purple one", flow_step="refill_pick"),
                    tracker_for(seeded, entities={"prescription_id": str(metformin.id)},
                                flow_step="refill_pick")):
        wrong = CollectingDispatcher()
        assert await ActionPickPrescription(backoffice).run(wrong, tracker, DOMAIN) == [
            SlotSet("flow_step", "refill_pick")]
        assert responses(wrong) == ["utter_refill_pick_again"]
        assert wrong.messages[0]["buttons"][-1] == AGENT_BUTTON


async def test_submit_refill_gives_a_reference(seeded: Session, backoffice) -> None:
    lisinopril = rx(seeded, "Lisinopril")
    dispatcher = CollectingDispatcher()
    tracker = tracker_for(seeded, prescription_id=str(lisinopril.id), flow_step="refill_confirm")
    assert await ActionSubmitRefill(backoffice).run(dispatcher, tracker, DOMAIN) == END
    [message] = dispatcher.messages
    assert message["response"] == "utter_refill_submitted"
    assert message["pharmacy"] == "Main Street Pharmacy"
    assert re.fullmatch(r"RX-\w+", message["reference"])
    seeded.expire_all()
    assert rx(seeded, "Lisinopril").refills_left == 1

    again = CollectingDispatcher()
    await ActionSubmitRefill(backoffice).run(again, tracker, DOMAIN)
    assert responses(again) == ["utter_refill_already_open"]
    assert again.messages[0]["reference"] == message["reference"]


async def test_no_refills_left_sends_a_renewal_request(seeded: Session, backoffice) -> None:
    atorvastatin = rx(seeded, "Atorvastatin")
    dispatcher = CollectingDispatcher()
    tracker = tracker_for(seeded, prescription_id=str(atorvastatin.id),
                          flow_step="refill_confirm")
    assert await ActionSubmitRefill(backoffice).run(dispatcher, tracker, DOMAIN) == END
    assert responses(dispatcher) == ["utter_renewal_requested"]

    status = CollectingDispatcher()
    assert await ActionRefillStatus(backoffice).run(status, tracker_for(seeded), DOMAIN) == []
    assert status.messages[0]["response"] == "utter_refill_status"
    assert "Atorvastatin 20 mg" in status.messages[0]["requests"]
    assert "waiting for your prescriber to renew it" in status.messages[0]["requests"]


async def test_someone_elses_prescription_is_not_found(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_for(seeded, prescription_id=str(rx(seeded, "Metformin").id),
                          flow_step="refill_confirm")
    assert await ActionSubmitRefill(backoffice).run(dispatcher, tracker, DOMAIN) == END
    assert responses(dispatcher) == ["utter_prescription_gone"]


async def test_no_refill_requests_yet(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    assert await ActionRefillStatus(backoffice).run(dispatcher, tracker_for(seeded), DOMAIN) == []
    assert responses(dispatcher) == ["utter_no_refill_requests"]


async def test_refills_back_office_down_and_unverified(seeded: Session, backoffice_down) -> None:
    for action in (ActionStartRefill, ActionPickPrescription, ActionSubmitRefill):
        dispatcher = CollectingDispatcher()
        tracker = tracker_for(seeded, "refill my lisinopril", prescription_id="1")
        assert await action(backoffice_down).run(dispatcher, tracker, DOMAIN) == END
        assert responses(dispatcher) == ["utter_backoffice_down"]
    dispatcher = CollectingDispatcher()
    assert await ActionRefillStatus(backoffice_down).run(
        dispatcher, tracker_for(seeded), DOMAIN) == END  # like every other action
    assert responses(dispatcher) == ["utter_backoffice_down"]
    unverified = CollectingDispatcher()
    await ActionStartRefill(backoffice_down).run(unverified, make_tracker(text="refill"), DOMAIN)
    assert responses(unverified) == ["utter_not_verified"]


async def test_an_open_request_is_told_before_asking(seeded: Session, backoffice) -> None:
    """Not "Send a refill of Lisinopril?" and only after "Yes" that one is already open."""
    lisinopril = rx(seeded, "Lisinopril")
    first = CollectingDispatcher()
    await ActionSubmitRefill(backoffice).run(
        first, tracker_for(seeded, prescription_id=str(lisinopril.id),
                           flow_step="refill_confirm"), DOMAIN)
    reference = first.messages[0]["reference"]
    for action, text in ((ActionStartRefill, "refill my lisinopril"),
                         (ActionPickPrescription, "lisinopril")):
        dispatcher = CollectingDispatcher()
        events = await action(backoffice).run(dispatcher, tracker_for(seeded, text), DOMAIN)
        [message] = dispatcher.messages
        assert (message["response"], message["medication"], message["reference"],
                message["state"]) == ("utter_refill_already_open", "Lisinopril 10 mg",
                                      reference, "sent to Main Street Pharmacy, not ready yet")
        assert SlotSet("flow_step", "refill_confirm") not in events
        assert events[-len(END):] == END


def after_verification(db: Session, request: str) -> Tracker:
    """The request, then the date of birth: the latest message is not the request."""
    tracker = tracker_for(db, "03/12/1984")
    tracker.latest_message["intent"] = {"name": "inform", "confidence": 1.0}
    tracker.events = [{"event": "user", "text": request,
                       "parse_data": {"intent": {"name": "refill_request"}}}] + tracker.events
    return tracker


async def test_the_medication_in_the_first_message_survives_verification(
        seeded: Session, backoffice) -> None:
    """Typos, "renew", a purpose: the request names it, so "which medication?" is not asked."""
    lisinopril, atorvastatin = rx(seeded, "Lisinopril"), rx(seeded, "Atorvastatin")
    for request, prescription, response in (
            ("refil my lisinoprl", lisinopril, "utter_confirm_refill"),
            ("atorvastatn refill pls", atorvastatin, "utter_offer_renewal"),
            ("can you renew my atorvastatin", atorvastatin, "utter_offer_renewal"),
            ("i need my atorvastatin renewed", atorvastatin, "utter_offer_renewal"),
            ("renew my lisinopril please", lisinopril, "utter_confirm_refill"),
            ("my blood pressure pills ran out", lisinopril, "utter_confirm_refill")):
        dispatcher = CollectingDispatcher()
        events = await ActionStartRefill(backoffice).run(
            dispatcher, after_verification(seeded, request), DOMAIN)
        assert events == END + [SlotSet("prescription_id", str(prescription.id)),
                                SlotSet("flow_step", "refill_confirm")], request
        assert responses(dispatcher) == [response], request


async def test_a_medication_not_on_file_is_said_after_verification_too(
        seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionStartRefill(backoffice).run(
        dispatcher, after_verification(seeded, "i need a refill on my inhaler"), DOMAIN)
    assert events == END + [SlotSet("flow_step", "refill_pick")]
    assert responses(dispatcher) == ["utter_refill_not_on_file"]


# --- in Spanish ------------------------------------------------------------------

def test_a_spanish_request_that_names_no_medication() -> None:
    assert not names_something("necesito un resurtido de mi receta, por favor")
    assert not names_something("quiero pedir más pastillas")
    assert names_something("necesito resurtir el inhalador")


async def test_refill_confirmed_in_spanish(seeded: Session, backoffice) -> None:
    lisinopril = rx(seeded, "Lisinopril")
    dispatcher = CollectingDispatcher()
    events = await ActionStartRefill(backoffice).run(
        dispatcher, tracker_for(seeded, "necesito resurtir el lisinopril", language="es"), DOMAIN)
    assert events == END + [SlotSet("prescription_id", str(lisinopril.id)),
                            SlotSet("flow_step", "refill_confirm")]
    [message] = dispatcher.messages
    assert message["buttons"] == [{"title": "Sí", "payload": "/affirm"},
                                  {"title": "No", "payload": "/deny"}]
    assert text_of(message, "es") == ("¿Envío un resurtido de Lisinopril 10 mg a Main Street "
                                      "Pharmacy, 12 Main St, Cambridge, MA?")


async def test_refill_status_in_spanish(seeded: Session, backoffice) -> None:
    lisinopril = rx(seeded, "Lisinopril")
    submitted = CollectingDispatcher()
    await ActionSubmitRefill(backoffice).run(submitted, tracker_for(
        seeded, prescription_id=str(lisinopril.id), language="es"), DOMAIN)
    reference = submitted.messages[0]["reference"]
    assert text_of(submitted.messages[0], "es") == (
        "¡Listo! Su resurtido de Lisinopril 10 mg se envió a Main Street Pharmacy. Su número de "
        f"referencia es {reference}. Para saber cómo va, solo pregunte \"¿ya está lista mi "
        "receta?\".")
    status = CollectingDispatcher()
    await ActionRefillStatus(backoffice).run(status, tracker_for(seeded, language="es"), DOMAIN)
    [message] = status.messages
    assert message["requests"] == (
        f"• Lisinopril 10 mg, pedida el {fecha(clinic_today())}: enviada a Main Street "
        f"Pharmacy, todavía no está lista (ref. {reference})")


async def test_no_prescriptions_offers_a_person_in_spanish(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    await ActionStartRefill(backoffice).run(
        dispatcher, tracker_for(seeded, "necesito un resurtido", last_name="Khan", language="es"),
        DOMAIN)
    assert dispatcher.messages[0]["buttons"] == [{"title": "Hablar con una persona",
                                                  "payload": "/human_handoff"}]
