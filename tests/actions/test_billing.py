import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.backoffice_client import BackOfficeClient
from actions.billing import (
    HOLD_RESPONSES,
    ActionCardWarning,
    ActionChoosePlan,
    ActionCreatePlan,
    ActionExplainCharges,
    ActionInsurance,
    ActionOfferPaymentPlan,
    ActionPaymentLink,
    ActionTellBalance,
)
from actions.common import FLOW_SLOTS, end_flow, has_card_number, say_date
from bot.backoffice.models import (
    Charge,
    ClaimStatus,
    DenialReason,
    Patient,
    PatientShareReason,
    PaymentPlan,
    PaymentPlanHold,
)
from bot.clock import clinic_today
from tests.actions.conftest import DOMAIN, RESPONSES, fecha, make_tracker, text_of


def patient(db: Session, last_name: str) -> str:
    return str(db.scalars(select(Patient.id).where(Patient.last_name == last_name)).one())


TALK = {"title": "Talk to a person", "payload": "/human_handoff"}
PAY = {"title": "Pay my balance", "payload": "/billing_pay"}


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


async def test_locked_clears_the_stop_silently(seeded: Session, backoffice) -> None:
    # The form already said the pause, its time left and the agent offer (test_auth.py).
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"verification_blocked": "locked"})
    events = await ActionTellBalance(backoffice).run(dispatcher, tracker, DOMAIN)
    assert events == [SlotSet("verification_blocked", None)]
    assert dispatcher.messages == []


async def test_back_office_down_is_an_apology(seeded: Session, backoffice_down) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"verified": True, "patient_id": "1"})
    # Like every back-office failure: an apology, an agent offered, any open flow ended.
    assert await ActionTellBalance(backoffice_down).run(dispatcher, tracker, DOMAIN) == end_flow()
    assert [m["response"] for m in dispatcher.messages] == ["utter_backoffice_down"]


# --- charges, paying, payment plans, insurance ------------------------------------

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
    visit = say_date(clinic_today() - timedelta(days=21))
    assert text_of(message) == (
        "Here's what's on your bill:\n"
        f"• Office visit copay on {visit}: billed $150.00, insurance paid $110.00, your part "
        "$40.00 because that's your plan's copay.\n"
        f"• Lab work on {visit}: billed $210.00, insurance paid $124.60, your part $85.40 "
        "because it went toward your yearly deductible.\n"
        "Total you owe now: $125.40.")
    assert message["buttons"] == []


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


async def test_named_charge_says_why_the_part_is_yours(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    await ActionExplainCharges(backoffice).run(
        dispatcher, verified(seeded, text="why do i owe $85.40 for labs"), DOMAIN)
    [message] = dispatcher.messages
    visit = say_date(clinic_today() - timedelta(days=21))
    assert text_of(message) == (
        "Here's that charge:\n"
        f"• Lab work on {visit}: billed $210.00, insurance paid $124.60, your part $85.40 "
        "because it went toward your yearly deductible.")
    assert message["buttons"] == []


async def test_a_charge_not_covered_says_why_and_what_to_do(seeded: Session,
                                                            backoffice) -> None:
    day = clinic_today() - timedelta(days=5)
    seeded.add(Charge(patient_id=int(patient(seeded, "Lopez")), service_date=day,
                      description="X-ray", billed_cents=30000, insurance_paid_cents=0,
                      patient_cents=30000, claim_status=ClaimStatus.denied,
                      patient_share_reason=PatientShareReason.not_covered,
                      denial_reason=DenialReason.out_of_network))
    seeded.commit()
    dispatcher = CollectingDispatcher()
    await ActionExplainCharges(backoffice).run(
        dispatcher, verified(seeded, text="what is the x-ray charge"), DOMAIN)
    [message] = dispatcher.messages
    assert text_of(message) == (
        "Here's that charge:\n"
        f"• X-ray on {say_date(day)}: billed $300.00, your part $300.00 because your insurer "
        "didn't cover it: the provider is out of network for your plan. You can ask your "
        "insurer to review it, or talk with our billing team.")
    assert message["buttons"] == [TALK]
    statement = CollectingDispatcher()
    await ActionExplainCharges(backoffice).run(
        statement, verified(seeded, text="explain my bill"), DOMAIN)
    assert said(statement) == ["utter_statement"]
    assert statement.messages[0]["buttons"] == [TALK]


async def test_a_claim_still_pending_owes_nothing_yet(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    await ActionExplainCharges(backoffice).run(
        dispatcher, verified(seeded, "Carter", text="explain my bill"), DOMAIN)
    [message] = dispatcher.messages
    assert text_of(message) == (
        "Here's what's on your bill:\n"
        f"• Cardiology consult on {say_date(clinic_today() - timedelta(days=10))}: billed "
        "$350.00. Insurance is still reviewing it, so nothing is due for it yet.\n"
        "Total you owe now: $0.00.")


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


async def test_payment_plan_below_the_minimum(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    assert await ActionOfferPaymentPlan(backoffice).run(
        dispatcher, verified(seeded, "Lopez"), DOMAIN) == END
    [message] = dispatcher.messages
    assert text_of(message) == (
        "Payment plans are for balances of $150.00 or more, and yours is $125.40. You can pay "
        "it with a secure link, or talk with our billing team about other options.")
    assert message["buttons"] == [PAY, TALK]


PLAN_HOLD_TEXTS = {
    PaymentPlanHold.in_collections: (
        "Your balance has been passed to a collection agency, so I can't set up a payment plan "
        "here. Our billing team can tell you how to arrange payments.", [TALK]),
    PaymentPlanHold.plan_defaulted: (
        "A payment plan on your account ended early in the last 12 months, so a new one needs "
        "our billing team. You can talk with them, or pay with a secure link.", [PAY, TALK]),
    PaymentPlanHold.assistance_pending: (
        "Your financial assistance application is still being reviewed, and it may lower what "
        "you owe, so a plan waits until it's decided. Our billing team can tell you where it "
        "stands.", [TALK]),
    PaymentPlanHold.under_review: (
        "Our billing team is reviewing your account right now, so I can't set up a plan by "
        "message. They can go over your options with you.", [TALK]),
}


@pytest.mark.parametrize("hold", list(PaymentPlanHold))
async def test_payment_plan_held_says_why(seeded: Session, backoffice,
                                          hold: PaymentPlanHold) -> None:
    seeded.get_one(Patient, int(patient(seeded, "Khan"))).payment_plan_hold = hold
    seeded.commit()
    for action, slots in ((ActionOfferPaymentPlan, {}),
                          (ActionChoosePlan, {"flow_step": "plan_pick"})):
        dispatcher = CollectingDispatcher()
        assert await action(backoffice).run(
            dispatcher, verified(seeded, "Khan", entities={"plan_months": "6"}, **slots),
            DOMAIN) == END
        [message] = dispatcher.messages
        assert (text_of(message), message["buttons"]) == PLAN_HOLD_TEXTS[hold]


def test_every_hold_has_its_response() -> None:
    assert set(HOLD_RESPONSES) == set(PaymentPlanHold)
    assert all(response in RESPONSES for response, _ in HOLD_RESPONSES.values())


async def test_payment_plan_not_eligible_without_a_recorded_reason(seeded: Session,
                                                                   backoffice) -> None:
    seeded.get_one(Patient, int(patient(seeded, "Khan"))).payment_plan_eligible = False
    seeded.commit()
    dispatcher = CollectingDispatcher()
    assert await ActionOfferPaymentPlan(backoffice).run(
        dispatcher, verified(seeded, "Khan"), DOMAIN) == END
    [message] = dispatcher.messages
    assert text_of(message) == (
        "I can't set up a payment plan on your account by message. Our billing team can go "
        "over your options with you, or you can pay with a secure link.")
    assert message["buttons"] == [PAY, TALK]


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


# --- what each part of a charge is for -------------------------------------------

def _line(**kwargs: Any) -> str:
    from actions.billing import explain
    from bot.backoffice.schemas import ChargeDetail

    fields: dict[str, Any] = {
        "id": 1, "service_date": clinic_today(), "description": "Imaging",
        "billed_cents": 50000, "insurance_paid_cents": 30000, "adjustment_cents": 5000,
        "patient_cents": 15000, "claim_status": ClaimStatus.paid, "statement_date": None,
        "due_date": None, **kwargs}
    return explain(ChargeDetail(**fields))


DENIED = {"insurance_paid_cents": 0, "adjustment_cents": 0, "patient_cents": 50000,
          "claim_status": ClaimStatus.denied}
AFTER = ". You can ask your insurer to review it, or talk with our billing team."


@pytest.mark.parametrize("fields,ending", [
    ({"patient_share_reason": "coinsurance"},
     "insurance paid $300.00, discount $50.00, your part $150.00 because your plan has you "
     "pay a share of the cost."),
    ({"patient_share_reason": "copay"},
     "insurance paid $300.00, discount $50.00, your part $150.00 because that's your plan's "
     "copay."),
    ({"patient_share_reason": None},  # not recorded: no "because"
     "insurance paid $300.00, discount $50.00, your part $150.00."),
    ({**DENIED, "patient_share_reason": "self_pay", "claim_status": ClaimStatus.paid},
     'your part $500.00 because no insurance was billed for it. If you had insurance then, '
     'tell me "I have new insurance".'),
    ({**DENIED, "patient_share_reason": None},  # a denial recorded before reasons were
     "your part $500.00 because your insurer didn't cover it" + AFTER),
    ({**DENIED, "patient_share_reason": "not_covered", "denial_reason": "out_of_network"},
     "your part $500.00 because your insurer didn't cover it: the provider is out of network "
     "for your plan" + AFTER),
    ({**DENIED, "patient_share_reason": "not_covered",
      "denial_reason": "not_medically_necessary"},
     "your part $500.00 because your insurer didn't cover it: they said it wasn't medically "
     "necessary" + AFTER),
    ({**DENIED, "patient_share_reason": "not_covered",
      "denial_reason": "no_prior_authorization"},
     "your part $500.00 because your insurer didn't cover it: it needed their approval ahead "
     "of time" + AFTER),
    ({**DENIED, "patient_share_reason": "not_covered", "denial_reason": "not_a_covered_service"},
     "your part $500.00 because your insurer didn't cover it: your plan doesn't cover this "
     "service" + AFTER),
    ({**DENIED, "patient_share_reason": "not_covered", "denial_reason": "coverage_inactive"},
     "your part $500.00 because your insurer didn't cover it: they had no active coverage for "
     "you on that date" + AFTER),
    ({"claim_status": ClaimStatus.pending, "insurance_paid_cents": 0, "adjustment_cents": 0,
      "patient_cents": 4000, "patient_share_reason": "copay"},
     "insurance is still reviewing it, your part $40.00 because that's your plan's copay."),
])
def test_each_reason_in_plain_words(fields: dict[str, Any], ending: str) -> None:
    assert _line(**fields) == (
        f"Imaging on {say_date(clinic_today())}: billed $500.00, {ending}")


def test_every_reason_has_its_words() -> None:
    from actions.billing import DENIAL_WORDS, SHARE_WORDS

    assert set(SHARE_WORDS) == set(PatientShareReason)
    assert set(DENIAL_WORDS) == set(DenialReason)


async def test_a_billing_system_that_gives_only_the_total_is_said_without_a_charge_list() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/backoffice/patients/7/balance"
        return httpx.Response(200, json={"patient_id": 7, "amount_cents": 12540,
                                         "due_date": None, "overdue": False, "charges": []})

    def client() -> BackOfficeClient:
        return BackOfficeClient("http://backoffice.test", "token",
                                transport=httpx.MockTransport(answer))

    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"verified": True, "patient_id": "7"})
    assert await ActionTellBalance(client).run(dispatcher, tracker, DOMAIN) == []
    [message] = dispatcher.messages
    assert (message["response"], message["amount"]) == ("utter_balance_total", "$125.40")
    assert text_of(message) == ("Your balance is $125.40. If you have a question about a "
                                "charge, I can connect you with our billing team.")


# --- in Spanish ------------------------------------------------------------------

def spanish(db: Session, last_name: str = "Lopez", **kwargs: Any) -> Tracker:
    return verified(db, last_name, language="es", **kwargs)


async def test_balance_in_spanish(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    assert await ActionTellBalance(backoffice).run(dispatcher, spanish(seeded), DOMAIN) == []
    [message] = dispatcher.messages
    visit = fecha(clinic_today() - timedelta(days=21))
    due = fecha(clinic_today() + timedelta(days=16))
    charges = (f"• {visit}, Office visit copay: $40.00 (el seguro pagó $110.00)\n"
               f"• {visit}, Lab work: $85.40 (el seguro pagó $124.60)")
    assert (message["response"], message["amount"], message["due_date"], message["charges"]) == (
        "utter_balance", "$125.40", f"el {due}", charges)
    assert text_of(message, "es") == f"Su saldo es de $125.40 y vence el {due}. Es por:\n{charges}"


async def test_statement_in_spanish(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = spanish(seeded, text="explíqueme mi factura")
    assert await ActionExplainCharges(backoffice).run(dispatcher, tracker, DOMAIN) == []
    [message] = dispatcher.messages
    visit = fecha(clinic_today() - timedelta(days=21))
    assert text_of(message, "es") == (
        "Esto es lo que tiene en su factura:\n"
        f"• Office visit copay del {visit}: se cobró $150.00, el seguro pagó $110.00, su parte "
        "es $40.00 porque es el copago de su plan.\n"
        f"• Lab work del {visit}: se cobró $210.00, el seguro pagó $124.60, su parte es $85.40 "
        "porque se aplicó a su deducible del año.\n"
        "Total que debe ahora: $125.40.")


async def test_payment_plans_in_spanish(seeded: Session, backoffice) -> None:
    offer = CollectingDispatcher()
    await ActionOfferPaymentPlan(backoffice).run(offer, spanish(seeded, "Khan"), DOMAIN)
    [message] = offer.messages
    assert text_of(message, "es") == ("Puede pagar su saldo de $310.00 en pagos mensuales, sin "
                                      "costo adicional. ¿Qué plan prefiere?")
    assert message["buttons"] == [
        {"title": "3 meses, $103.34 al mes", "payload": '/inform{"plan_months":"3"}'},
        {"title": "6 meses, $51.67 al mes", "payload": '/inform{"plan_months":"6"}'},
        {"title": "12 meses, $25.84 al mes", "payload": '/inform{"plan_months":"12"}'},
    ]
    pick = CollectingDispatcher()
    await ActionChoosePlan(backoffice).run(
        pick, spanish(seeded, "Khan", entities={"plan_months": "6"}, flow_step="plan_pick"),
        DOMAIN)
    assert pick.messages[0]["buttons"] == [{"title": "Sí", "payload": "/affirm"},
                                           {"title": "No", "payload": "/deny"}]


def test_a_denied_charge_in_spanish() -> None:
    from actions.billing import explain
    from bot.backoffice.schemas import ChargeDetail

    charge = ChargeDetail(
        id=1, service_date=clinic_today(), description="Imaging", billed_cents=50000,
        statement_date=None, due_date=None, **{**DENIED, "patient_share_reason": "not_covered",
                                               "denial_reason": "out_of_network"})
    assert explain(charge, "es") == (
        f"Imaging del {fecha(clinic_today())}: se cobró $500.00, su parte es $500.00 porque su "
        "seguro no lo cubrió: el proveedor está fuera de la red de su plan. Puede pedirle a su "
        "seguro que lo revise, o hablar con nuestro equipo de facturación.")
