"""Repeat-yourself rules: detected when the handoff's context holds the item, not otherwise."""

from __future__ import annotations

from datetime import date

import pytest

from bot.insights.repeat import HandoffContext, agent_repeats, context_of, dates_in, patient_repeats

SUMMARY = {"name": "Maria Lopez", "date_of_birth": "1984-03-12",
           "upcoming_appointments": [{"starts_at": "2026-12-02T15:30:00Z",
                                      "provider": "Dr. Priya Shah", "location": "Main"}],
           "active_prescriptions": [{"medication": "Lisinopril 10 mg", "refills_left": 2}]}
VERIFIED_BALANCE = context_of(True, SUMMARY, ["greet", "billing_balance", "human_handoff"])
VERIFIED_APPT = context_of(True, SUMMARY, ["appointment_reschedule", "human_handoff"])
VERIFIED_REFILL = context_of(True, SUMMARY, ["refill_request", "human_handoff"])
UNVERIFIED = context_of(False, None, ["billing_balance", "human_handoff"])


@pytest.mark.parametrize(("text", "ctx", "items"), [
    ("Can you confirm your date of birth?", VERIFIED_BALANCE, ["dob"]),
    ("What is your DOB please", VERIFIED_BALANCE, ["dob"]),
    ("Who am I speaking with?", VERIFIED_BALANCE, ["name"]),
    ("Please give me your full name and birthday.", VERIFIED_BALANCE, ["dob", "name"]),
    ("Hi! How can I help you today?", VERIFIED_BALANCE, ["balance_question"]),
    ("Which appointment would you like to move?", VERIFIED_APPT, ["appointment"]),
    ("What medication do you need refilled?", VERIFIED_REFILL, ["medication"]),
])
def test_agent_asks_for_what_the_context_holds(text: str, ctx: HandoffContext,
                                               items: list[str]) -> None:
    assert agent_repeats(text, ctx) == items


@pytest.mark.parametrize(("text", "ctx"), [
    # Not verified: asking is right.
    ("Can you confirm your date of birth?", UNVERIFIED),
    ("Who am I speaking with?", UNVERIFIED),
    # A statement, not a question.
    ("I can see your date of birth on file, thanks.", VERIFIED_BALANCE),
    ("Your appointment with Dr. Shah is on Wednesday.", VERIFIED_APPT),
    # The context does not hold it: no appointment topic, no refill topic.
    ("Which appointment would you like to move?", VERIFIED_BALANCE),
    ("What medication do you need refilled?", VERIFIED_APPT),
    # No request in the context to ask about.
    ("How can I help you today?", context_of(True, SUMMARY, ["human_handoff"])),
])
def test_agent_asks_nothing_the_context_holds(text: str, ctx: HandoffContext) -> None:
    assert agent_repeats(text, ctx) == []


@pytest.mark.parametrize(("text", "ctx", "items"), [
    ("my dob is 03/12/1984", VERIFIED_BALANCE, ["dob"]),
    ("born March 12th, 1984", VERIFIED_BALANCE, ["dob"]),
    ("1984-03-12", VERIFIED_BALANCE, ["dob"]),
    ("this is maria lopez", VERIFIED_BALANCE, ["name"]),
    ("it's the one with dr shah", VERIFIED_APPT, ["appointment"]),
    ("I need my lisinopril", VERIFIED_REFILL, ["medication"]),
    ("I just want to know how much I owe", VERIFIED_BALANCE, ["balance_question"]),
])
def test_patient_resends_what_the_context_holds(text: str, ctx: HandoffContext,
                                                items: list[str]) -> None:
    assert patient_repeats(text, ctx) == items


@pytest.mark.parametrize(("text", "ctx"), [
    ("my dob is 03/12/1984", UNVERIFIED),              # the context had no verified DOB
    ("my son was born 04/01/2010", VERIFIED_BALANCE),  # another date
    ("this is maria", VERIFIED_BALANCE),               # first name alone
    ("it's the one with dr kim", VERIFIED_APPT),       # not her provider
    ("I need my lisinopril", VERIFIED_APPT),           # not a refill handoff
    ("thanks, that helps", VERIFIED_BALANCE),
])
def test_patient_sends_nothing_again(text: str, ctx: HandoffContext) -> None:
    assert patient_repeats(text, ctx) == []


def test_dates_in_reads_the_usual_shapes() -> None:
    assert dates_in("3/12/84 or 12 Mar 1984, not 13/45/1984") == {date(1984, 3, 12)}


# The card the agent was handed shows the balance, $120.50.
CARD = {**SUMMARY, "balance_cents": 12050}
BALANCE_GIVEN = context_of(True, CARD, ["billing_balance", "human_handoff"])


@pytest.mark.parametrize(("text", "items"), [
    ("how much do I owe?", ["balance_question"]),
    ("what's my balance again?", ["balance_question"]),
    ("is my balance still $120.50?", ["balance_question"]),  # the card's amount
    ("may I know my balance", ["balance_question"]),  # "may" here is no month
    # The date of birth said again is a repeat, and no charge's date.
    ("my dob is 03/12/1984, how much do I owe", ["dob", "balance_question"]),
    ("born March 12th, 1984, what is my balance", ["dob", "balance_question"]),
])
def test_asking_the_balance_again_is_a_repeat(text: str, items: list[str]) -> None:
    assert patient_repeats(text, BALANCE_GIVEN) == items


@pytest.mark.parametrize("text", [
    "what is the $80 charge from March on my bill?",
    "I have another question about my bill: what is the $80 from March?",
    "there's a charge on my bill I don't recognise",  # a charge the card does not list
    "the balance went up by $80, why?",  # an amount that is not the balance
    "what was my bill on 3/4?",
    "how much do I owe for the lab fee?",
    "how much do I owe since May?",
])
def test_a_question_about_another_charge_is_no_repeat(text: str) -> None:
    assert patient_repeats(text, BALANCE_GIVEN) == []


def test_the_cards_balance_is_in_the_context() -> None:
    assert BALANCE_GIVEN.balance_cents == 12050
    assert VERIFIED_BALANCE.balance_cents is None
    assert context_of(True, {**SUMMARY, "balance_cents": None}, []).balance_cents is None
