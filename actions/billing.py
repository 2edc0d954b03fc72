"""Billing answers, given only to a verified patient: balance, charges explained, a payment
link, payment plans and insurance. Card numbers are never taken by message."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action
from rasa_sdk.types import DomainDict

from actions.auth import PatientAction
from actions.backoffice_client import Conflict
from actions.common import (
    AGENT_BUTTON,
    YES_NO,
    choice_button,
    chosen,
    clinic_today,
    end_flow,
    has_card_number,
    request_text,
    resume_flow,
    say_date,
    set_step,
)
from actions.insights_client import report_task
from actions.parsing import parse_charge_hint
from bot.backoffice.enums import (
    ClaimStatus,
    DenialReason,
    InquiryKind,
    PatientShareReason,
    PaymentPlanHold,
)
from bot.backoffice.schemas import (
    CHARGE_FILLER_WORDS,
    Balance,
    BillingInquiryCreate,
    ChargeDetail,
    InsuranceSummary,
    InsuranceUpdateCreate,
    PaymentPlanOptions,
)
from bot.insights.enums import Task
from bot.text import money


def charge_lines(balance: Balance) -> str:
    today = clinic_today()
    lines = []
    for charge in balance.charges:
        insurance = (f" (insurance paid {money(charge.insurance_paid_cents)})"
                     if charge.insurance_paid_cents else "")
        lines.append(f"• {say_date(charge.service_date, today)}, {charge.description}: "
                     f"{money(charge.patient_cents)}{insurance}")
    return "\n".join(lines)


class ActionTellBalance(PatientAction):
    task = Task.balance_told

    def name(self) -> str:
        return "action_tell_balance"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        balance = await self.client_factory().balance(patient_id)
        report_task(tracker, Task.balance_told)
        if balance.amount_cents == 0:
            dispatcher.utter_message(response="utter_balance_zero")
            resume_flow(dispatcher, tracker)
            return []
        if not balance.charges:  # a billing system that gives the total only
            dispatcher.utter_message(response="utter_balance_total",
                                     amount=money(balance.amount_cents))
            resume_flow(dispatcher, tracker)
            return []
        due = say_date(balance.due_date) if balance.due_date else "now"
        dispatcher.utter_message(
            response="utter_balance_overdue" if balance.overdue else "utter_balance",
            amount=money(balance.amount_cents), due_date=due, charges=charge_lines(balance),
        )
        resume_flow(dispatcher, tracker)
        return []



# --- charges -------------------------------------------------------------------------------

_DUPLICATE = re.compile(r"\b(twice|double[- ]?(charged|billed)?|duplicated?|two times|"
                        r"charged (me )?again|billed (me )?again)\b")
_DISPUTE = re.compile(r"\b(dispute|wrong|incorrect|error|mistake|never (had|got|saw|received)|"
                      r"didn'?t (have|get)|not right|already paid|doesn'?t match|fraud)\b")
CLAIM_WORDS = {
    ClaimStatus.pending: "insurance is still reviewing it",
    ClaimStatus.paid: "claim paid",
    ClaimStatus.denied: "insurance denied the claim",
}


# Why the patient's part is what it is, as the charge's record says; ends "your part $X ...".
SHARE_WORDS = {
    PatientShareReason.copay: "because that's your plan's copay",
    PatientShareReason.deductible: "because it went toward your yearly deductible",
    PatientShareReason.coinsurance: "because your plan has you pay a share of the cost",
    PatientShareReason.not_covered: "because your insurer didn't cover it",
    PatientShareReason.self_pay: "because no insurance was billed for it",
}
DENIAL_WORDS = {
    DenialReason.out_of_network: "the provider is out of network for your plan",
    DenialReason.not_medically_necessary: "they said it wasn't medically necessary",
    DenialReason.no_prior_authorization: "it needed their approval ahead of time",
    DenialReason.not_a_covered_service: "your plan doesn't cover this service",
    DenialReason.coverage_inactive: "they had no active coverage for you on that date",
}
NEXT_STEP = {
    PatientShareReason.not_covered: "You can ask your insurer to review it, or talk with our "
                                    "billing team.",
    PatientShareReason.self_pay: 'If you had insurance then, tell me "I have new insurance".',
}


def share_reason(charge: ChargeDetail) -> PatientShareReason | None:
    """What the patient's part is for; a denied claim is not covered even when unrecorded."""
    if charge.patient_share_reason is None and charge.claim_status == ClaimStatus.denied:
        return PatientShareReason.not_covered
    return charge.patient_share_reason


def explain(charge: ChargeDetail) -> str:
    """One charge, plainly: what was billed, what insurance did, what is left for you and why,
    and what you can do about a charge insurance did not cover."""
    text = (f"{charge.description} on {say_date(charge.service_date)}: billed "
            f"{money(charge.billed_cents)}")
    if charge.claim_status == ClaimStatus.pending and not charge.patient_cents:
        return f"{text}. Insurance is still reviewing it, so nothing is due for it yet."
    reason = share_reason(charge)
    if charge.claim_status == ClaimStatus.pending:
        text += ", insurance is still reviewing it"
    elif charge.claim_status == ClaimStatus.paid and reason != PatientShareReason.self_pay:
        text += f", insurance paid {money(charge.insurance_paid_cents)}"
        if charge.adjustment_cents:
            text += f", discount {money(charge.adjustment_cents)}"
    text += f", your part {money(charge.patient_cents)}"
    if reason is not None and charge.patient_cents:
        text += f" {SHARE_WORDS[reason]}"
        if reason == PatientShareReason.not_covered and charge.denial_reason is not None:
            text += f": {DENIAL_WORDS[charge.denial_reason]}"
        text += "."
        if next_step := NEXT_STEP.get(reason):
            text += f" {next_step}"
        return text
    return f"{text}."


def charge_buttons(charges: list[ChargeDetail]) -> list[dict[str, str]]:
    """A person to talk to when a charge shown was not covered."""
    if any(share_reason(c) == PatientShareReason.not_covered and c.patient_cents
           for c in charges):
        return [AGENT_BUTTON]
    return []


class ActionExplainCharges(PatientAction):
    """Itemize the bill, explain the charge named, or record a billed-twice/dispute inquiry."""

    task = Task.charges_explained

    def name(self) -> str:
        return "action_explain_charges"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        text = request_text(tracker, ("billing_charge_question",))
        lowered = "" if text.startswith("/") else text.lower()
        client = self.client_factory()
        kind = (InquiryKind.duplicate if _DUPLICATE.search(lowered) else
                InquiryKind.dispute if _DISPUTE.search(lowered) else None)
        if kind is not None:
            receipt = await client.record_billing_inquiry(
                patient_id, BillingInquiryCreate(kind=kind))
            dispatcher.utter_message(response="utter_inquiry_recorded",
                                     reference=receipt.reference,
                                     days=str(receipt.response_business_days),
                                     buttons=[AGENT_BUTTON])
            return []
        hint = parse_charge_hint(lowered)
        words = [w for w in (hint.words or "").split() if w not in CHARGE_FILLER_WORDS]
        if hint.amount_cents is not None or hint.month is not None or words:
            found = await client.find_charges(patient_id, amount_cents=hint.amount_cents,
                                              words=" ".join(words) or None, month=hint.month)
            if not found.charges:
                dispatcher.utter_message(
                    response="utter_charge_not_found",
                    buttons=[{"title": "Show all my charges",
                              "payload": "/billing_charge_question"}, AGENT_BUTTON])
                return []
            shown = found.charges[:3]
            dispatcher.utter_message(
                response="utter_charge_explained",
                charges="\n".join(f"• {explain(c)}" for c in shown),
                buttons=charge_buttons(shown))
            return []
        statement = await client.statement(patient_id)
        if not statement.charges:
            dispatcher.utter_message(response="utter_no_charges")
            return []
        dispatcher.utter_message(
            response="utter_statement",
            charges="\n".join(f"• {explain(c)}" for c in statement.charges),
            amount=money(statement.balance_cents), buttons=charge_buttons(statement.charges))
        report_task(tracker, Task.charges_explained)
        resume_flow(dispatcher, tracker)
        return []


# --- paying --------------------------------------------------------------------------------


class ActionCardWarning(Action):
    """A card number typed before verification: say we can't take it; nothing is kept."""

    def name(self) -> str:
        return "action_card_warning"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_no_card_numbers")
        return []


class ActionPaymentLink(PatientAction):
    """A one-time link (30 minutes). A card number in the message is never repeated."""

    task = Task.payment_link_sent

    def name(self) -> str:
        return "action_payment_link"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if has_card_number(str(tracker.latest_message.get("text") or "")):
            dispatcher.utter_message(response="utter_no_card_numbers")
        return await super().run(dispatcher, tracker, domain)

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        try:
            link = await self.client_factory().create_payment_link(patient_id)
        except Conflict as exc:
            if exc.code != "nothing_owed":
                raise  # PatientAction apologizes
            dispatcher.utter_message(response="utter_balance_zero")
            return []
        dispatcher.utter_message(response="utter_payment_link", url=link.url,
                                 amount=money(link.amount_cents))
        report_task(tracker, Task.payment_link_sent)
        resume_flow(dispatcher, tracker)
        return []


# --- payment plans -------------------------------------------------------------------------


def plan_title(months: int, monthly_cents: int) -> str:
    return f"{months} months, {money(monthly_cents)}/mo"


PAY_BUTTON: dict[str, str] = {"title": "Pay my balance", "payload": "/billing_pay"}
# The reason the account record holds, said plainly, with what the patient can do next.
HOLD_RESPONSES = {
    PaymentPlanHold.in_collections: ("utter_payment_plan_hold_collections", [AGENT_BUTTON]),
    PaymentPlanHold.plan_defaulted: ("utter_payment_plan_hold_defaulted",
                                     [PAY_BUTTON, AGENT_BUTTON]),
    PaymentPlanHold.assistance_pending: ("utter_payment_plan_hold_assistance", [AGENT_BUTTON]),
    PaymentPlanHold.under_review: ("utter_payment_plan_hold_review", [AGENT_BUTTON]),
}


def plan_blocked(dispatcher: CollectingDispatcher, offer: PaymentPlanOptions) -> None:
    """Why there is no plan to offer, and what the patient can do instead."""
    if offer.reason == "active_plan" and offer.active_plan is not None:
        plan = offer.active_plan
        dispatcher.utter_message(response="utter_payment_plan_active", months=str(plan.months),
                                 monthly=money(plan.monthly_cents), reference=plan.reference)
    elif offer.reason == "no_balance":
        dispatcher.utter_message(response="utter_balance_zero")
    elif offer.reason == "below_minimum":
        dispatcher.utter_message(response="utter_payment_plan_below_minimum",
                                 minimum=money(offer.minimum_cents),
                                 amount=money(offer.balance_cents),
                                 buttons=[PAY_BUTTON, AGENT_BUTTON])
    elif offer.hold is not None:
        response, buttons = HOLD_RESPONSES[offer.hold]
        dispatcher.utter_message(response=response, buttons=buttons)
    else:  # the account is not set up for plans and the record says no more
        dispatcher.utter_message(response="utter_payment_plan_not_eligible",
                                 buttons=[PAY_BUTTON, AGENT_BUTTON])


class ActionOfferPaymentPlan(PatientAction):
    task = Task.plan_set_up

    def name(self) -> str:
        return "action_offer_payment_plan"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        offer = await self.client_factory().payment_plan_options(patient_id)
        if not offer.eligible or not offer.options:
            plan_blocked(dispatcher, offer)
            return end_flow()
        dispatcher.utter_message(
            response="utter_payment_plan_options", amount=money(offer.balance_cents),
            buttons=[choice_button(plan_title(o.months, o.monthly_cents), "plan_months",
                                   o.months) for o in offer.options])
        return end_flow() + set_step("plan_pick")


class ActionChoosePlan(PatientAction):
    """A plan length was picked: repeat it back and ask for an explicit yes."""

    task = Task.plan_set_up

    def name(self) -> str:
        return "action_choose_plan"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        picked = chosen(tracker, "plan_months")
        if picked is None:
            said = re.findall(r"\b(3|6|12|three|six|twelve)\b",
                              str(tracker.latest_message.get("text") or "").lower())
            words = {"three": "3", "six": "6", "twelve": "12"}
            picked = words.get(said[0], said[0]) if len(said) == 1 else None
        offer = await self.client_factory().payment_plan_options(patient_id)
        if not offer.eligible:
            plan_blocked(dispatcher, offer)
            return end_flow()
        option = next((o for o in offer.options if str(o.months) == picked), None)
        if option is None:
            dispatcher.utter_message(
                response="utter_pick_plan_again",
                buttons=[choice_button(plan_title(o.months, o.monthly_cents), "plan_months",
                                       o.months) for o in offer.options])
            return set_step("plan_pick")  # still asking
        dispatcher.utter_message(response="utter_confirm_plan", months=str(option.months),
                                 monthly=money(option.monthly_cents),
                                 last=money(option.last_month_cents), buttons=YES_NO)
        return set_step("plan_confirm", plan_months=str(option.months))


class ActionCreatePlan(PatientAction):
    """Only after the patient's explicit yes to the plan repeated back to them."""

    task = Task.plan_set_up

    def name(self) -> str:
        return "action_create_plan"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        months = tracker.get_slot("plan_months")
        if not months:
            return end_flow()
        try:
            plan = await self.client_factory().create_payment_plan(patient_id, int(months))
        except Conflict:
            dispatcher.utter_message(response="utter_payment_plan_not_eligible",
                                     buttons=[PAY_BUTTON, AGENT_BUTTON])
            return end_flow()
        dispatcher.utter_message(response="utter_plan_created", months=str(plan.months),
                                 monthly=money(plan.monthly_cents),
                                 first_due=say_date(plan.first_due_date),
                                 reference=plan.reference)
        report_task(tracker, Task.plan_set_up)
        return end_flow()


# --- insurance -----------------------------------------------------------------------------

_NEW_INSURANCE = re.compile(
    r"\b(new (insurance|card|plan|policy|employer|coverage)|switch(ed)?|chang(e|ed)|updat(e|ing)|"
    r"different (insurance|plan)|got married|add (a )?secondary|lapsed|remove my old|"
    r"wrong in your system|info is wrong|i'?m on medicare now)\b")


def coverage_lines(summary: InsuranceSummary) -> tuple[str, str]:
    policies = "\n".join(
        f"• {p.payer}{f' ({p.plan_name})' if p.plan_name else ''}, member ID {p.member_id_masked}"
        for p in summary.policies)
    claims = "\n".join(
        f"• {say_date(c.service_date)}, {c.description}: insurance paid "
        f"{money(c.insurance_paid_cents)} of {money(c.billed_cents)} "
        f"({CLAIM_WORDS.get(c.claim_status, str(c.claim_status))})"
        for c in summary.claims)
    return policies, claims


class ActionInsurance(PatientAction):
    """Coverage on file and what insurance paid; "new insurance" becomes an update request."""

    task = Task.insurance_told

    def name(self) -> str:
        return "action_insurance"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        text = request_text(tracker, ("billing_insurance",)).lower()
        client = self.client_factory()
        if _NEW_INSURANCE.search(text):
            receipt = await client.request_insurance_update(patient_id,
                                                            InsuranceUpdateCreate())
            dispatcher.utter_message(response="utter_insurance_update",
                                     reference=receipt.reference,
                                     next_steps="\n".join(f"• {s}"
                                                           for s in receipt.next_steps))
            return []
        summary = await client.insurance(patient_id)
        if not summary.policies:
            dispatcher.utter_message(response="utter_no_insurance_on_file")
            return []
        policies, claims = coverage_lines(summary)
        dispatcher.utter_message(response="utter_insurance", policies=policies,
                                 claims=claims or "• No claims yet.")
        report_task(tracker, Task.insurance_told)
        resume_flow(dispatcher, tracker)
        return []
