"""Real conversations in a real tracker store (SQLite file and PostgreSQL), as the engine
leaves them: verification with identifiers typed in, low confidence, fallbacks, a repeat, a
handoff after fallbacks, and an old conversation outside the default window."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.db import normalize_url
from tests.bot.review.rasa_events import Conversation, create_events_table, store

SALT = "test-salt"  # REVIEW_SALT: conversation references are keyed by it
MARIA = "web:3f9c2a71d0"
JAMES = "sms:+15555550102"
LATE = "web:77aa01"
OLD = "web:old0001"
# Identifiers typed or said in these conversations: no review output may hold one.
IDENTIFIERS = ("Maria", "Lopez", "03/12/1984", "1984-03-12", "555-555-0101", "02139",
               "125.40", "85.40", "+15555550102", "5555550102", "november 2 1975",
               "1975-11-02")
AGENT_BUTTON = {"title": "Talk to a person", "payload": "/human_handoff"}
FALLBACK_RANKING = [("nlu_fallback", 0.3), ("out_of_scope", 0.22), ("greet", 0.11)]


def maria(start: float) -> Conversation:
    """Web chat: verified by name, DOB and ZIP; a low-confidence question; two fallbacks in a
    row, then the "Talk to a person" button; a message and an agent's reply during the
    handoff (appended by the bot service, not parsed by the engine)."""
    c = Conversation(MARIA, start)
    c.session_start()
    c.user("how much do I owe", "billing_balance", 0.97).slot("pending_request", "balance")
    c.action("verify_form", "RulePolicy").loop("verify_form").slot("requested_slot", "full_name")
    c.bot("Before I share account details, I need to confirm who you are. What's your first "
          "and last name?", "utter_ask_full_name").listen()
    c.user("Maria Lopez", "inform", 0.41, [("inform", 0.41), ("greet", 0.2)])
    c.slot("full_name", "Maria Lopez").action("verify_form", "RulePolicy")
    c.slot("full_name", "Maria Lopez").slot("requested_slot", "dob")
    c.bot("Thanks. What's your date of birth?", "utter_ask_dob").listen()
    c.user("03/12/1984", "inform", 0.93).slot("dob", "03/12/1984")
    c.action("verify_form", "RulePolicy").slot("dob", "1984-03-12")
    c.slot("requested_slot", "zip_code")
    c.bot("And the 5-digit ZIP code of your home address?", "utter_ask_zip_code").listen()
    c.user("02139", "inform", 0.52).slot("zip_code", "02139").action("verify_form", "RulePolicy")
    c.slot("zip_code", "02139").slot("verified", True).slot("patient_id", "1")
    c.slot("full_name", None).slot("dob", None).slot("zip_code", None)
    c.loop(None).slot("requested_slot", None)
    c.bot("Thank you, you're verified.", "utter_verified")
    c.action("action_tell_balance", "RulePolicy")
    c.bot("Your balance is $125.40, due 06/30. It's for:\n- office visit copay $40.00\n"
          "- lab work $85.40", "utter_balance").listen()
    c.user("maria here can u text me at 555-555-0101 about the lab charge",
           "billing_charge_question", 0.44,
           [("billing_charge_question", 0.44), ("billing_balance", 0.31)]).featurization()
    c.action("action_explain_charges", "TEDPolicy")
    c.bot("Maria, the lab work on 03/02 was $85.40.").listen()
    c.user("blorft zzqx", "nlu_fallback", 0.3, FALLBACK_RANKING)
    c.action("action_fallback", "RulePolicy")
    c.bot("Sorry, I didn't quite get that. Could you say it another way?", "utter_default")
    c.listen()
    c.user("blorft zzqx!!", "nlu_fallback", 0.3, [("nlu_fallback", 0.3), ("out_of_scope", 0.25)])
    c.action("action_fallback", "RulePolicy")
    c.bot("Sorry, I'm still not getting it. I can connect you with someone from our team.",
          "utter_default_agent", [AGENT_BUTTON]).listen()
    c.user("/human_handoff", "human_handoff", 1.0).action("action_handoff", "RulePolicy")
    c.bot("I'm connecting you with someone from our team. You're number 1 in line, about "
          "2 minutes.", "utter_handoff_queued").listen()
    c.user("it's Maria Lopez 03/12/1984 zip 02139", "inform", 1.0, during_handoff=True)
    c.bot("Hi Maria, this is Sam.", agent="Sam")
    return c


def james(start: float) -> Conversation:
    """SMS: an unsure question, the same question again in other words, verification by DOB
    in words, then two thanks (short and alike, but not a repeat)."""
    c = Conversation(JAMES, start)
    c.session_start()
    c.user("my bill from march has a charge i dont get", "billing_charge_question", 0.58,
           [("billing_charge_question", 0.58), ("billing_insurance", 0.3)])
    c.action("utter_bot_capabilities", "TEDPolicy")
    c.bot("I can help with bills, appointments and refills.", "utter_bot_capabilities")
    c.listen()
    c.user("my bill from march has a charge i dont understand", "billing_charge_question", 0.91)
    c.slot("pending_request", "charges").action("verify_form", "RulePolicy")
    c.loop("verify_form").slot("requested_slot", "dob")
    c.bot("Please reply with your date of birth.", "utter_ask_dob_sms").listen()
    c.user("november 2 1975", "inform", 0.71).slot("dob", "november 2 1975")
    c.action("verify_form", "RulePolicy").slot("dob", "1975-11-02").slot("verified", True)
    c.slot("patient_id", "2").slot("dob", None).loop(None).slot("requested_slot", None)
    c.action("action_explain_charges", "RulePolicy")
    c.bot("You have no charges from March.").listen()
    c.user("thanks", "thank", 0.99).action("utter_welcome", "RulePolicy").listen()
    c.user("thank you", "thank", 0.98).action("utter_welcome", "RulePolicy").listen()
    return c


def late_handoff(start: float) -> Conversation:
    """A fallback, then three turns later a person: too late to count as giving up on it."""
    c = Conversation(LATE, start)
    c.session_start()
    c.user("asdf qwer", "nlu_fallback", 0.3, FALLBACK_RANKING)
    c.action("action_fallback", "RulePolicy").bot("Sorry?", "utter_default").listen()
    c.user("what can you do", "bot_capabilities", 0.95).action("utter_bot_capabilities")
    c.listen()
    c.user("ok great", "affirm", 0.9).action("utter_ok").listen()
    c.user("i want a person", "human_handoff", 0.97).action("action_handoff", "RulePolicy")
    return c.listen()


def old(start: float) -> Conversation:
    c = Conversation(OLD, start)
    c.session_start()
    c.user("zzzz", "nlu_fallback", 0.3, FALLBACK_RANKING).action("action_fallback", "RulePolicy")
    return c.listen()


@dataclass
class Tracker:
    url: str
    now: datetime
    ids: dict[str, int]  # each user text's row id


@pytest.fixture(params=["sqlite", "postgresql"])
def tracker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tracker]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'engine-tracker.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_engine(normalize_url(url))
    now = datetime.now(UTC)
    create_events_table(engine)
    try:
        ids: dict[str, int] = {}
        for build, age in ((old, timedelta(days=10)), (james, timedelta(hours=3)),
                           (late_handoff, timedelta(hours=2)), (maria, timedelta(hours=1))):
            ids |= store(engine, build((now - age).timestamp()))
        yield Tracker(url=url, now=now, ids=ids)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE events"))
        engine.dispose()


@pytest.fixture
def tracker_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tracker: Tracker
                ) -> Tracker:
    """The bot's settings (`get_settings`) name the tracker store and the key."""
    from bot.settings import get_settings

    monkeypatch.setenv("ENGINE_TRACKER_DB", tracker.url)
    monkeypatch.setenv("REVIEW_SALT", SALT)
    get_settings.cache_clear()
    return tracker
