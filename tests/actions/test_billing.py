import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.billing import (
    ActionCardWarning,
    ActionChoosePlan,
    ActionCreatePlan,
    ActionExplainCharges,
    ActionInsurance,
    ActionOfferPaymentPlan,
    ActionPaymentLink,
    ActionTellBalance,
)
from actions.common import FLOW_SLOTS, end_flow, has_card_number
from bot.backoffice.models import Patient, PaymentPlan
from tests.actions.conftest import DOMAIN, make_tracker


def patient(db: Session, last_name: str) -> str:
    return str(db.scalars(select(Patient.id).where(Patient.last_name == last_name)).one())


async def test_balance_with_charges(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"verified": True, "patient_id": patient(seeded, "Lopez")})
    assert await ActionTellBalance(backoffice).run(dispatcher, tracker, DOMAIN) == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_balance"
    assert message["amount"] == "$125.40"
    lines = message["charges"].split("\n")
    assert len(lines) == 2
    assert lines[0].endswith("Office visit copay: $40.00 (insurance paid $110.00)")
    assert lines[1].endswith("Lab work: $85.40 (insurance paid $124.60)")


async def test_zero_and_overdue(seeded: Session, backoffice) -> None:
    zero, overdue = CollectingDispatcher(), CollectingDispatcher()
    await ActionTellBalance(backoffice).run(
        zero, make_tracker(slots={"verified": True, "patient_id": patient(seeded, "Carter")}),
        DOMAIN)
    await ActionTellBalance(backoffice).run(
        overdue, make_tracker(slots={"verified": True, "patient_id": patient(seeded, "Khan")}),
        DOMAIN)
    assert [m["response"] for m in zero.messages] == ["utter_balance_zero"]
    assert overdue.messages[0]["response"] == "utter_balance_overdue"
    assert overdue.messages[0]["amount"] == "$310.00"


async def test_nothing_is_told_before_verification(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"verified": False, "patient_id": patient(seeded, "Lopez")})
    assert await ActionTellBalance(backoffice).run(dispatcher, tracker, DOMAIN) == []
    assert dispatcher.messages[0]["response"] == "utter_not_verified"
    assert "amount" not in dispatcher.messages[0]


async def test_locked_offers_an_agent_and_clears_the_stop(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"verification_blocked": "locked"})
    events = await ActionTellBalance(backoffice).run(dispatcher, tracker, DOMAIN)
    assert events == [SlotSet("verification_blocked", None)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_verification_locked"]


async def test_back_office_down_is_an_apology(seeded: Session, backoffice_down) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"verified": True, "patient_id": "1"})
    # Like every back-office failure: an apology, an agent offered, any open flow ended.
    assert await ActionTellBalance(backoffice_down).run(dispatcher, tracker, DOMAIN) == end_flow()
    assert [m["response"] for m in dispatcher.messages] == ["utter_backoffice_down"]


# --- issue B: charges, paying, payment plans, insurance ------------------------------------

END = [SlotSet(name, None) for name in FLOW_SLOTS]


def verified(db: Session, last_name: str = "Lopez", text: str = "", intent: str = "inform",
             entities: dict[str, str] | None = None, **slots: Any) -> Tracker:
    tracker = make_tracker(text=text, intent=intent, slots={
        "verified": True, "patient_id": patient(db, last_name), **slots})
    tracker.latest_message["entities"] = [{"entity": k, "value": v}
                                          for k, v in (entities or {}).items()]
    return tracker


def said(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


async def test_itemized_statement(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = verified(seeded, text="can you break down my bill for me")
    assert await ActionExplainCharges(backoffice).run(dispatcher, tracker, DOMAIN) == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_statement"
    assert message["amount"] == "$125.40"
    lines = message["charges"].split("\n")
    assert len(lines) == 2
    assert lines[1].endswith("Lab work: billed $210.00. Insurance paid $124.60. "
                             "Your part: $85.40.")


async def test_words_the_charge_search_ignores_get_the_whole_statement(seeded: Session,
                                                                      backoffice) -> None:
    """The dialogue and the search share one list of filler words: a question made only of
    them is not sent as a search (which would match every charge and show three)."""
    dispatcher = CollectingDispatcher()
    tracker = verified(seeded, text="how much do i owe from this one", intent="inform")
    await ActionExplainCharges(backoffice).run(dispatcher, tracker, DOMAIN)
    assert said(dispatcher) == ["utter_statement"]


async def test_named_charge_is_explained(seeded: Session, backoffice) -> None:
    for text in ("what is the $85 lab fee", "why was i charged for bloodwork"):
        dispatcher = CollectingDispatcher()
        await ActionExplainCharges(backoffice).run(dispatcher, verified(seeded, text=text),
                                                   DOMAIN)
        assert said(dispatcher) == ["utter_charge_explained"]
        assert "Lab work" in dispatcher.messages[0]["charges"]
        assert "Office visit" not in dispatcher.messages[0]["charges"]


async def test_unknown_charge_offers_the_list_and_a_person(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    await ActionExplainCharges(backoffice).run(
        dispatcher, verified(seeded, text="what's the $999 xray charge"), DOMAIN)
    assert said(dispatcher) == ["utter_charge_not_found"]
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [
        "/billing_charge_question", "/human_handoff"]


async def test_billed_twice_records_an_inquiry_and_offers_an_agent(seeded: Session, backoffice
                                                                   ) -> None:
    from bot.backoffice.models import BillingInquiry, InquiryKind

    dispatcher = CollectingDispatcher()
    await ActionExplainCharges(backoffice).run(
        dispatcher, verified(seeded, text="i was billed twice for my copay"), DOMAIN)
    [message] = dispatcher.messages
    assert message["response"] == "utter_inquiry_recorded"
    assert message["days"] == "3"
    assert message["buttons"] == [{"title": "Talk to a person", "payload": "/human_handoff"}]
    inquiry = seeded.scalars(select(BillingInquiry)).one()
    assert (inquiry.kind, inquiry.reference) == (InquiryKind.duplicate, message["reference"])

    dispute = CollectingDispatcher()
    await ActionExplainCharges(backoffice).run(
        dispute, verified(seeded, text="I want to dispute a charge"), DOMAIN)
    assert said(dispute) == ["utter_inquiry_recorded"]


async def test_payment_link(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    assert await ActionPaymentLink(backoffice).run(
        dispatcher, verified(seeded, text="i want to pay my bill"), DOMAIN) == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_payment_link"
    assert message["amount"] == "$125.40"
    assert message["url"].startswith("https://assistant.example.org/pay/")

    nothing = CollectingDispatcher()
    await ActionPaymentLink(backoffice).run(nothing, verified(seeded, "Carter"), DOMAIN)
    assert said(nothing) == ["utter_balance_zero"]


async def test_card_number_is_refused_never_echoed(seeded: Session, backoffice) -> None:
    card = "4111 1111 1111 1111"
    dispatcher = CollectingDispatcher()
    events = await ActionPaymentLink(backoffice).run(
        dispatcher, verified(seeded, text=f"pay with my card {card} exp 09/27",
                             intent="card_number"), DOMAIN)
    assert events == []  # no slot keeps it
    assert said(dispatcher) == ["utter_no_card_numbers", "utter_payment_link"]
    assert all("1111" not in str(m) for m in dispatcher.messages)

    before = CollectingDispatcher()
    assert await ActionCardWarning().run(before, make_tracker(text=card), DOMAIN) == []
    assert said(before) == ["utter_no_card_numbers"]
    assert has_card_number("4111-1111-1111-1111") and has_card_number(card.replace(" ", ""))
    assert not has_card_number("03/12/1984") and not has_card_number("+1 555 555 0101")


async def test_payment_plan_offer_confirm_create(seeded: Session, backoffice) -> None:
    offer = CollectingDispatcher()
    events = await ActionOfferPaymentPlan(backoffice).run(offer, verified(seeded, "Khan"), DOMAIN)
    assert events == END + [SlotSet("flow_step", "plan_pick")]
    [message] = offer.messages
    assert (message["response"], message["amount"]) == ("utter_payment_plan_options", "$310.00")
    assert message["buttons"] == [
        {"title": "3 months, $103.34/mo", "payload": '/inform{"plan_months":"3"}'},
        {"title": "6 months, $51.67/mo", "payload": '/inform{"plan_months":"6"}'},
        {"title": "12 months, $25.84/mo", "payload": '/inform{"plan_months":"12"}'},
    ]

    wrong = CollectingDispatcher()
    assert await ActionChoosePlan(backoffice).run(
        wrong, verified(seeded, "Khan", text="5 months", flow_step="plan_pick"), DOMAIN) == [
            SlotSet("flow_step", "plan_pick")]
    assert said(wrong) == ["utter_pick_plan_again"]

    pick = CollectingDispatcher()
    events = await ActionChoosePlan(backoffice).run(
        pick, verified(seeded, "Khan", entities={"plan_months": "6"}, flow_step="plan_pick"),
        DOMAIN)
    assert events == [SlotSet("plan_months", "6"), SlotSet("flow_step", "plan_confirm")]
    assert (pick.messages[0]["response"], pick.messages[0]["monthly"]) == (
        "utter_confirm_plan", "$51.67")
    assert seeded.scalars(select(PaymentPlan)).all() == []  # nothing until the yes

    done = CollectingDispatcher()
    events = await ActionCreatePlan(backoffice).run(
        done, verified(seeded, "Khan", intent="affirm", plan_months="6",
                       flow_step="plan_confirm"), DOMAIN)
    assert events == END
    assert said(done) == ["utter_plan_created"]
    assert re.fullmatch(r"PP-\w+", done.messages[0]["reference"])
    again = CollectingDispatcher()
    await ActionOfferPaymentPlan(backoffice).run(again, verified(seeded, "Khan"), DOMAIN)
    assert said(again) == ["utter_payment_plan_active"]


async def test_payment_plan_not_eligible(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    assert await ActionOfferPaymentPlan(backoffice).run(
        dispatcher, verified(seeded, "Lopez"), DOMAIN) == END
    assert said(dispatcher) == ["utter_payment_plan_not_eligible"]
    assert dispatcher.messages[0]["buttons"] == [
        {"title": "Talk to a person", "payload": "/human_handoff"}]


async def test_insurance_on_file_and_claims(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    assert await ActionInsurance(backoffice).run(
        dispatcher, verified(seeded, text="did my insurance pay"), DOMAIN) == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_insurance"
    assert "Blue Harbor Health (Blue Harbor PPO Silver), member ID" in message["policies"]
    assert "482913375" not in message["policies"]  # masked
    assert "Lab work: insurance paid $124.60 of $210.00 (claim paid)" in message["claims"]


async def test_new_insurance_records_an_update_request(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    await ActionInsurance(backoffice).run(
        dispatcher, verified(seeded, text="i have new insurance"), DOMAIN)
    [message] = dispatcher.messages
    assert message["response"] == "utter_insurance_update"
    assert re.fullmatch(r"INS-\w+", message["reference"])
    assert "registration team" in message["next_steps"]


async def test_billing_back_office_down(seeded: Session, backoffice_down) -> None:
    for action, text in ((ActionExplainCharges, "explain my bill"),
                         (ActionExplainCharges, "i was billed twice"),
                         (ActionPaymentLink, "pay"), (ActionOfferPaymentPlan, ""),
                         (ActionChoosePlan, "6"), (ActionCreatePlan, ""),
                         (ActionInsurance, "did insurance pay")):
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(text=text, slots={"verified": True, "patient_id": "1",
                                                 "plan_months": "6"})
        assert await action(backoffice_down).run(dispatcher, tracker, DOMAIN) == END
        assert said(dispatcher) == ["utter_backoffice_down"]


async def test_billing_nothing_before_verification(seeded: Session, backoffice) -> None:
    for action in (ActionExplainCharges, ActionPaymentLink, ActionOfferPaymentPlan,
                   ActionChoosePlan, ActionCreatePlan, ActionInsurance):
        dispatcher = CollectingDispatcher()
        await action(backoffice).run(dispatcher, make_tracker(text="x"), DOMAIN)
        assert said(dispatcher) == ["utter_not_verified"]
