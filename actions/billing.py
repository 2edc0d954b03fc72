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
    agent_button,
    choice_button,
    chosen,
    clinic_today,
    end_flow,
    has_card_number,
    language_of,
    request_text,
    resume_flow,
    say_date,
    set_step,
    yes_no,
)
from actions.insights_client import report_task
from actions.parsing import parse_charge_hint
from bot import i18n
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
from bot.i18n import money, words
from bot.insights.enums import Task

EN = i18n.DEFAULT_LANGUAGE


def charge_lines(balance: Balance, language: str = EN) -> str:
    today = clinic_today()
    lines = []
    for charge in balance.charges:
        insurance = (words("billing.charge_insurance_paid", language,
                           amount=money(charge.insurance_paid_cents, language))
                     if charge.insurance_paid_cents else "")
        lines.append(words("billing.charge_line", language,
                           date=say_date(charge.service_date, today, language),
                           description=charge.description,
                           amount=money(charge.patient_cents, language), insurance=insurance))
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
        language = language_of(tracker)
        if not balance.charges:  # a billing system that gives the total only
            dispatcher.utter_message(response="utter_balance_total",
                                     amount=money(balance.amount_cents, language))
            resume_flow(dispatcher, tracker)
            return []
        due = (words("billing.due_on", language,
                     date=say_date(balance.due_date, language=language))
               if balance.due_date else words("billing.due_now", language))
        dispatcher.utter_message(
            response="utter_balance_overdue" if balance.overdue else "utter_balance",
            amount=money(balance.amount_cents, language), due_date=due,
            charges=charge_lines(balance, language),
        )
        resume_flow(dispatcher, tracker)
        return []



# --- charges -------------------------------------------------------------------------------

# Matched on the request without accents ("cobraron", "equivocado"), English or Spanish.
_DUPLICATE = re.compile(r"\b(twice|double[- ]?(charged|billed)?|duplicated?|two times|"
                        r"charged (me )?again|billed (me )?again|"
                        r"dos veces|doble|duplicad[oa]s?|(me )?(cobraron|cobran) otra vez|"
                        r"me volvieron a cobrar)\b")
_DISPUTE = re.compile(r"\b(dispute|wrong|incorrect|error|mistake|never (had|got|saw|received)|"
                      r"didn'?t (have|get)|not right|already paid|doesn'?t match|fraud|"
                      r"equivocad[oa]|incorrect[oa]|errone[oa]|no es correcto|no esta bien|"
                      r"nunca (tuve|recibi|fui|me hicieron)|ya (lo )?pague|no reconozco|fraude|"
                      r"no estoy de acuerdo|disputar?)\b")
# The words for each state the record holds, by their key in bot.i18n.WORDS.
CLAIM_WORDS = {status: f"billing.claim.{status.value}" for status in
               (ClaimStatus.pending, ClaimStatus.paid, ClaimStatus.denied)}
# Why the patient's part is what it is, as the charge's record says; ends "your part $X ...".
SHARE_WORDS = {reason: f"billing.share.{reason.value}" for reason in PatientShareReason}
DENIAL_WORDS = {reason: f"billing.denial.{reason.value}" for reason in DenialReason}
NEXT_STEP = {reason: f"billing.next.{reason.value}" for reason in
             (PatientShareReason.not_covered, PatientShareReason.self_pay)}


def share_reason(charge: ChargeDetail) -> PatientShareReason | None:
    """What the patient's part is for; a denied claim is not covered even when unrecorded."""
    if charge.patient_share_reason is None and charge.claim_status == ClaimStatus.denied:
        return PatientShareReason.not_covered
    return charge.patient_share_reason


def explain(charge: ChargeDetail, language: str = EN) -> str:
    """One charge, plainly: what was billed, what insurance did, what is left for you and why,
    and what you can do about a charge insurance did not cover."""
    text = words("billing.charge_billed", language, description=charge.description,
                 date=say_date(charge.service_date, language=language),
                 amount=money(charge.billed_cents, language))
    if charge.claim_status == ClaimStatus.pending and not charge.patient_cents:
        return words("billing.pending_nothing_due", language, charge=text)
    reason = share_reason(charge)
    if charge.claim_status == ClaimStatus.pending:
        text += words("billing.pending", language)
    elif charge.claim_status == ClaimStatus.paid and reason != PatientShareReason.self_pay:
        text += words("billing.insurance_paid", language,
                      amount=money(charge.insurance_paid_cents, language))
        if charge.adjustment_cents:
            text += words("billing.discount", language,
                          amount=money(charge.adjustment_cents, language))
    text += words("billing.your_part", language, amount=money(charge.patient_cents, language))
    if reason is not None and charge.patient_cents:
        text += f" {words(SHARE_WORDS[reason], language)}"
        if reason == PatientShareReason.not_covered and charge.denial_reason is not None:
            text += f": {words(DENIAL_WORDS[charge.denial_reason], language)}"
        text += "."
        if next_step := NEXT_STEP.get(reason):
            text += f" {words(next_step, language)}"
        return text
    return f"{text}."


def charge_buttons(charges: list[ChargeDetail], language: str = EN) -> list[dict[str, str]]:
    """A person to talk to when a charge shown was not covered."""
    if any(share_reason(c) == PatientShareReason.not_covered and c.patient_cents
           for c in charges):
        return [agent_button(language)]
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
        lowered = "" if text.startswith("/") else i18n.without_accents(text.lower())
        client = self.client_factory()
        language = language_of(tracker)
        kind = (InquiryKind.duplicate if _DUPLICATE.search(lowered) else
                InquiryKind.dispute if _DISPUTE.search(lowered) else None)
        if kind is not None:
            receipt = await client.record_billing_inquiry(
                patient_id, BillingInquiryCreate(kind=kind))
            dispatcher.utter_message(response="utter_inquiry_recorded",
                                     reference=receipt.reference,
                                     days=str(receipt.response_business_days),
                                     buttons=[agent_button(language)])
            return []
        hint = parse_charge_hint(lowered)
        named = [w for w in (hint.words or "").split() if w not in CHARGE_FILLER_WORDS]
        if hint.amount_cents is not None or hint.month is not None or named:
            found = await client.find_charges(patient_id, amount_cents=hint.amount_cents,
                                              words=" ".join(named) or None, month=hint.month)
            if not found.charges:
                dispatcher.utter_message(
                    response="utter_charge_not_found",
                    buttons=[{"title": words("button.show_all_charges", language),
                              "payload": "/billing_charge_question"}, agent_button(language)])
                return []
            shown = found.charges[:3]
            dispatcher.utter_message(
                response="utter_charge_explained",
                charges="\n".join(f"• {explain(c, language)}" for c in shown),
                buttons=charge_buttons(shown, language))
            return []
        statement = await client.statement(patient_id)
        if not statement.charges:
            dispatcher.utter_message(response="utter_no_charges")
            return []
        dispatcher.utter_message(
            response="utter_statement",
            charges="\n".join(f"• {explain(c, language)}" for c in statement.charges),
            amount=money(statement.balance_cents, language),
            buttons=charge_buttons(statement.charges, language))
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
                                 amount=money(link.amount_cents, language_of(tracker)))
        report_task(tracker, Task.payment_link_sent)
        resume_flow(dispatcher, tracker)
        return []


# --- payment plans -------------------------------------------------------------------------


def plan_title(months: int, monthly_cents: int, language: str = EN) -> str:
    return words("billing.plan_title", language, months=months,
                 monthly=money(monthly_cents, language))


def pay_button(language: str = EN) -> dict[str, str]:
    return {"title": words("button.pay_balance", language), "payload": "/billing_pay"}


def pay_or_agent(language: str = EN) -> list[dict[str, str]]:
    return [pay_button(language), agent_button(language)]


PAY_BUTTON = pay_button()
# The reason the account record holds, said plainly, with what the patient can do next
# (whether paying now is one of them).
HOLD_RESPONSES = {
    PaymentPlanHold.in_collections: ("utter_payment_plan_hold_collections", False),
    PaymentPlanHold.plan_defaulted: ("utter_payment_plan_hold_defaulted", True),
    PaymentPlanHold.assistance_pending: ("utter_payment_plan_hold_assistance", False),
    PaymentPlanHold.under_review: ("utter_payment_plan_hold_review", False),
}


def plan_blocked(dispatcher: CollectingDispatcher, offer: PaymentPlanOptions,
                 language: str = EN) -> None:
    """Why there is no plan to offer, and what the patient can do instead."""
    if offer.reason == "active_plan" and offer.active_plan is not None:
        plan = offer.active_plan
        dispatcher.utter_message(response="utter_payment_plan_active", months=str(plan.months),
                                 monthly=money(plan.monthly_cents, language),
                                 reference=plan.reference)
    elif offer.reason == "no_balance":
        dispatcher.utter_message(response="utter_balance_zero")
    elif offer.reason == "below_minimum":
        dispatcher.utter_message(response="utter_payment_plan_below_minimum",
                                 minimum=money(offer.minimum_cents, language),
                                 amount=money(offer.balance_cents, language),
                                 buttons=pay_or_agent(language))
    elif offer.hold is not None:
        response, can_pay = HOLD_RESPONSES[offer.hold]
        dispatcher.utter_message(response=response, buttons=pay_or_agent(language) if can_pay
                                 else [agent_button(language)])
    else:  # the account is not set up for plans and the record says no more
        dispatcher.utter_message(response="utter_payment_plan_not_eligible",
                                 buttons=pay_or_agent(language))


class ActionOfferPaymentPlan(PatientAction):
    task = Task.plan_set_up

    def name(self) -> str:
        return "action_offer_payment_plan"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, patient_id: int
    ) -> list[dict[str, Any]]:
        offer = await self.client_factory().payment_plan_options(patient_id)
        language = language_of(tracker)
        if not offer.eligible or not offer.options:
            plan_blocked(dispatcher, offer, language)
            return end_flow()
        dispatcher.utter_message(
            response="utter_payment_plan_options", amount=money(offer.balance_cents, language),
            buttons=[choice_button(plan_title(o.months, o.monthly_cents, language),
                                   "plan_months", o.months) for o in offer.options])
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
            said = re.findall(r"\b(3|6|12|three|six|twelve|tres|seis|doce)\b",
                              str(tracker.latest_message.get("text") or "").lower())
            numbers = {"three": "3", "six": "6", "twelve": "12", "tres": "3", "seis": "6",
                       "doce": "12"}
            picked = numbers.get(said[0], said[0]) if len(said) == 1 else None
        offer = await self.client_factory().payment_plan_options(patient_id)
        language = language_of(tracker)
        if not offer.eligible:
            plan_blocked(dispatcher, offer, language)
            return end_flow()
        option = next((o for o in offer.options if str(o.months) == picked), None)
        if option is None:
            dispatcher.utter_message(
                response="utter_pick_plan_again",
                buttons=[choice_button(plan_title(o.months, o.monthly_cents, language),
                                       "plan_months", o.months) for o in offer.options])
            return set_step("plan_pick")  # still asking
        dispatcher.utter_message(response="utter_confirm_plan", months=str(option.months),
                                 monthly=money(option.monthly_cents, language),
                                 last=money(option.last_month_cents, language),
                                 buttons=yes_no(language))
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
        language = language_of(tracker)
        try:
            plan = await self.client_factory().create_payment_plan(patient_id, int(months))
        except Conflict:
            dispatcher.utter_message(response="utter_payment_plan_not_eligible",
                                     buttons=pay_or_agent(language))
            return end_flow()
        dispatcher.utter_message(response="utter_plan_created", months=str(plan.months),
                                 monthly=money(plan.monthly_cents, language),
                                 first_due=say_date(plan.first_due_date, language=language),
                                 reference=plan.reference)
        report_task(tracker, Task.plan_set_up)
        return end_flow()


# --- insurance -----------------------------------------------------------------------------

_NEW_INSURANCE = re.compile(
    r"\b(new (insurance|card|plan|policy|employer|coverage)|switch(ed)?|chang(e|ed)|updat(e|ing)|"
    r"different (insurance|plan)|got married|add (a )?secondary|lapsed|remove my old|"
    r"wrong in your system|info is wrong|i'?m on medicare now|"
    r"seguro nuevo|nuevo seguro|nueva tarjeta|otro seguro|cambi(e|o|ar) (de|mi) seguro|"
    r"actualizar (mi )?seguro|(ahora )?tengo medicare)\b")


def claim_words(status: ClaimStatus, language: str = EN) -> str:
    key = CLAIM_WORDS.get(status)
    return words(key, language) if key else str(status)


def coverage_lines(summary: InsuranceSummary, language: str = EN) -> tuple[str, str]:
    policies = "\n".join(
        words("billing.policy_line", language, payer=p.payer,
              plan=f" ({p.plan_name})" if p.plan_name else "", member_id=p.member_id_masked)
        for p in summary.policies)
    claims = "\n".join(
        words("billing.claim_line", language, date=say_date(c.service_date, language=language),
              description=c.description, paid=money(c.insurance_paid_cents, language),
              billed=money(c.billed_cents, language), state=claim_words(c.claim_status, language))
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
        text = i18n.without_accents(request_text(tracker, ("billing_insurance",)).lower())
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
        language = language_of(tracker)
        policies, claims = coverage_lines(summary, language)
        dispatcher.utter_message(response="utter_insurance", policies=policies,
                                 claims=claims or words("billing.no_claims", language))
        report_task(tracker, Task.insurance_told)
        resume_flow(dispatcher, tracker)
        return []
