from __future__ import annotations

import glob
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.review import service
from bot.review.schemas import ReviewTurn, TurnKind
from bot.settings import Settings
from tests.bot.review.conftest import IDENTIFIERS, JAMES, LATE, MARIA, SALT, Tracker

ROOT = Path(__file__).resolve().parents[3]
F, LOW, REPEAT, HANDOFF = (TurnKind.fallback, TurnKind.low_confidence, TurnKind.repeat,
                           TurnKind.handoff_after_fallback)


@contextmanager
def review(tracker: Tracker, **settings: object) -> Iterator[service.Review]:
    values: dict[str, object] = {"engine_tracker_db": tracker.url, "review_salt": SALT}
    with service.open_review(Settings(**{**values, **settings})) as opened:  # type: ignore[arg-type]
        yield opened


def turns(tracker: Tracker, **kw: object) -> list[ReviewTurn]:
    with review(tracker) as r:
        return service.find_turns(r, now=tracker.now, **kw)  # type: ignore[arg-type]


def ref(tracker: Tracker, sender: str) -> str:
    return service.conversation_ref(sender, SALT.encode())


def test_each_kind_of_wrong_turn_newest_first(tracker: Tracker) -> None:
    found = turns(tracker)
    assert [(t.text, t.kinds) for t in found] == [
        ("/human_handoff", [HANDOFF]),  # the button after two fallbacks
        ("blorft zzqx!!", [F, REPEAT]),  # same best guess after a fallback
        ("blorft zzqx", [F]),
        ("[NAME] here can u text me at [PHONE] about the lab charge", [LOW]),
        ("asdf qwer", [F]),  # its handoff came three turns later: not counted
        ("my bill from march has a charge i dont understand", [REPEAT]),  # words alike
        ("my bill from march has a charge i dont get", [LOW]),
    ]
    assert [t.at for t in found] == sorted((t.at for t in found), reverse=True)
    # Form answers typed at a low confidence ("Maria Lopez" 0.41, "02139" 0.52) are not
    # listed: the form takes the words whatever the intent; short alike thanks are not either.
    fallback = found[2]
    assert (fallback.intent, fallback.confidence) == ("nlu_fallback", 0.3)
    assert (fallback.guess_intent, fallback.guess_confidence) == ("out_of_scope", 0.22)
    assert fallback.reply.startswith("Sorry, I didn't quite get that.")
    assert fallback.ref == ref(tracker, MARIA) and fallback.channel == "web"
    assert fallback.id == tracker.ids["blorft zzqx"]
    assert found[0].payload and not fallback.payload
    assert found[-1].channel == "sms" and found[-1].confidence == 0.58


def test_window_and_limit(tracker: Tracker) -> None:
    assert "zzzz" not in [t.text for t in turns(tracker)]  # ten days old
    assert "zzzz" in [t.text for t in turns(tracker, since=timedelta(days=30))]
    assert [t.text for t in turns(tracker, limit=2)] == ["/human_handoff", "blorft zzqx!!"]
    assert turns(tracker, since=timedelta(minutes=1)) == []


def test_low_confidence_threshold_is_a_setting(tracker: Tracker) -> None:
    with review(tracker, review_low_confidence=0.5) as r:
        found = service.find_turns(r, now=tracker.now)
    assert [t.text for t in found if LOW in t.kinds] == [
        "[NAME] here can u text me at [PHONE] about the lab charge"]


def test_no_identifier_in_any_output(tracker: Tracker) -> None:
    outputs: list[str] = []
    with review(tracker) as r:
        found = service.find_turns(r, now=tracker.now, since=timedelta(days=30))
        outputs += [t.model_dump_json() for t in found]
        outputs += [service.nlu_example_yaml(t, "inform") for t in found if not t.payload]
        for sender in (MARIA, JAMES, LATE):
            outputs.append(service.test_story_yaml(r, ref(tracker, sender)))
    text = "\n".join(outputs).lower()
    for identifier in IDENTIFIERS + (MARIA, JAMES, LATE):
        assert identifier.lower() not in text, identifier
    assert "[DATE OF BIRTH]" in "\n".join(outputs) and "[ZIP CODE]" in "\n".join(outputs)
    assert "[FULL NAME]" in "\n".join(outputs)


def test_bot_replies_are_redacted(tracker: Tracker) -> None:
    with review(tracker) as r:
        turn = service.get_turn(r, tracker.ids[
            "maria here can u text me at 555-555-0101 about the lab charge"])
    assert turn.reply == "[NAME], the lab work on [DATE] was $[NUMBER]."


def test_references_are_keyed_hashes(tracker: Tracker) -> None:
    with review(tracker) as r:
        events = service.conversation_events(r, ref(tracker, JAMES))
        with pytest.raises(service.ConversationNotFound):
            service.conversation_events(r, service.conversation_ref(JAMES, b"other-key"))
    assert {e.sender_id for e in events} == {JAMES}
    assert [e.kind for e in events][:3] == ["action", "session_started", "action"]
    assert ref(tracker, JAMES) != service.conversation_ref(JAMES, b"other-key")
    assert "555" not in ref(tracker, JAMES)
    derived = service.conversation_key(Settings(review_salt="", engine_token="secret"))
    assert derived != b"secret" and len(derived) == 32
    with pytest.raises(service.ReviewNotConfigured):
        service.conversation_key(Settings(review_salt="", engine_token=""))


def test_get_turn_only_finds_listed_turns(tracker: Tracker) -> None:
    with review(tracker) as r:
        assert service.get_turn(r, tracker.ids["zzzz"]).kinds == [F]  # any age
        for text in ("how much do I owe", "Maria Lopez"):  # fine turns, a form answer
            with pytest.raises(service.TurnNotFound):
                service.get_turn(r, tracker.ids[text])
        with pytest.raises(service.TurnNotFound):
            service.get_turn(r, 10**9)


def test_nlu_example(tracker: Tracker) -> None:
    with review(tracker) as r:
        turn = service.get_turn(r, tracker.ids["blorft zzqx"])
        handoff = service.get_turn(r, tracker.ids["/human_handoff"])
        unsure = service.get_turn(r, tracker.ids[
            "maria here can u text me at 555-555-0101 about the lab charge"])
    example = service.nlu_example_yaml(turn, "out_of_scope")
    assert example == ('version: "3.1"\nnlu:\n- intent: out_of_scope\n  examples: |\n'
                       "    - blorft zzqx\n")
    assert yaml.safe_load(example) == {
        "version": "3.1", "nlu": [{"intent": "out_of_scope", "examples": "- blorft zzqx\n"}]}
    assert yaml.safe_load(service.nlu_example_yaml(unsure, "billing_charge_question"))[
        "nlu"][0]["examples"] == "- [NAME] here can u text me at [PHONE] about the lab charge\n"
    with pytest.raises(ValueError):
        service.nlu_example_yaml(handoff, "human_handoff")  # a payload is not wording
    with pytest.raises(ValueError):
        service.nlu_example_yaml(turn, "out_of_scope\n- intent: x")


def _steps(story_yaml: str) -> list[dict[str, object]]:
    [story] = yaml.safe_load(story_yaml)["stories"]
    return list(story["steps"])


def test_story_of_a_whole_conversation_with_a_corrected_turn(tracker: Tracker) -> None:
    with review(tracker) as r:
        story_yaml = service.test_story_yaml(r, ref(tracker, MARIA),
                                             {tracker.ids["blorft zzqx"]: "out_of_scope"})
    parsed = yaml.safe_load(story_yaml)
    assert parsed["version"] == "3.1"
    assert parsed["stories"][0]["story"].startswith(f"review {ref(tracker, MARIA)} ")
    assert _steps(story_yaml) == [
        {"user": "how much do I owe", "intent": "billing_balance"},
        {"slot_was_set": [{"pending_request": "balance"}]},
        {"action": "verify_form"},
        {"active_loop": "verify_form"},
        {"slot_was_set": [{"requested_slot": "full_name"}]},
        {"user": "[FULL NAME]", "intent": "inform"},
        {"action": "verify_form"},
        {"slot_was_set": [{"requested_slot": "dob"}]},
        {"user": "[DATE OF BIRTH]", "intent": "inform"},
        {"action": "verify_form"},
        {"slot_was_set": [{"requested_slot": "zip_code"}]},
        {"user": "[ZIP CODE]", "intent": "inform"},
        {"action": "verify_form"},
        {"slot_was_set": [{"verified": True}]},
        {"active_loop": None},
        {"slot_was_set": [{"requested_slot": None}]},
        {"action": "action_tell_balance"},
        {"user": "[NAME] here can u text me at [PHONE] about the lab charge",
         "intent": "billing_charge_question"},
        {"action": "action_explain_charges"},
        {"user": "blorft zzqx", "intent": "out_of_scope"},  # the designer's correction
        {"action": "action_fallback"},
        {"user": "blorft zzqx!!", "intent": "nlu_fallback"},
        {"action": "action_fallback"},
        {"user": "/human_handoff", "intent": "human_handoff"},
        {"action": "action_handoff"},
    ]
    assert f"# turn {tracker.ids['blorft zzqx']}: intent corrected from nlu_fallback" \
        in story_yaml


def test_story_steps_have_the_shape_of_the_conversation_tests(tracker: Tracker) -> None:
    """Every step is one the hand-written stories in tests/conversations use, written the same
    way (a quoted user text with its intent; one slot per slot_was_set)."""
    shapes: set[frozenset[str]] = set()
    for path in glob.glob(str(ROOT / "tests" / "conversations" / "*.yml")):
        for story in yaml.safe_load(Path(path).read_text())["stories"]:
            shapes |= {frozenset(step) for step in story["steps"]}
    with review(tracker) as r:
        for sender in (MARIA, JAMES, LATE):
            story_yaml = service.test_story_yaml(r, ref(tracker, sender))
            assert {frozenset(step) for step in _steps(story_yaml)} <= shapes
            assert "\n  - user: \"" in story_yaml and story_yaml.startswith('version: "3.1"\n')


def test_sms_story_keeps_payload_ids_and_skips_identifying_slots(tracker: Tracker) -> None:
    with review(tracker) as r:
        steps = _steps(service.test_story_yaml(r, ref(tracker, JAMES)))
    assert {"user": "[DATE OF BIRTH]", "intent": "inform"} in steps
    assert {"action": "utter_bot_capabilities"} in steps
    slots = {name for step in steps for item in step.get("slot_was_set", [])  # type: ignore[attr-defined]
             for name in item}
    assert slots == {"pending_request", "requested_slot", "verified"}


def test_payload_values_other_than_ids_are_redacted() -> None:
    known = {"Maria Lopez"}
    assert service._redact_payload('/inform{"appointment_id":"12"}', known) == \
        '/inform{"appointment_id":"12"}'
    assert service._redact_payload('/inform{"note":"Maria Lopez 03/12/1984"}', known) == \
        '/inform{"note":"[NAME] [DATE]"}'
    assert service._redact_payload("/human_handoff", known) == "/human_handoff"


def test_a_missing_tracker_store_reads_as_empty_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "none.db"
    with service.open_review(Settings(engine_tracker_db=str(path), review_salt="s")) as r:
        assert service.find_turns(r) == []
        with pytest.raises(service.TurnNotFound):
            service.get_turn(r, 1)
        with pytest.raises(service.ConversationNotFound):
            service.test_story_yaml(r, "cabc")
    assert not path.exists()


def test_domain_intents_and_story_slots() -> None:
    intents = service.domain_intents()
    assert {"greet", "billing_balance", "out_of_scope", "stop", "card_number"} <= set(intents)
    assert service.story_slots() == {"verified", "pending_request", "flow_step",
                                     "requested_slot"}


def test_the_tracker_store_on_postgresql_is_read_with_the_request_timeouts(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A desk request reading a hung tracker database gives up (DB_*_TIMEOUT_*)."""
    import psycopg
    from sqlalchemy import create_engine, text

    from bot.db import normalize_url
    from tests.bot.review.rasa_events import create_events_table
    from tests.conftest import clear_caches

    monkeypatch.setenv("DB_CONNECT_TIMEOUT_SECONDS", "4")
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "1234")
    clear_caches()
    engine = create_engine(normalize_url(postgres_url))
    create_events_table(engine)
    try:
        with service.open_tracker(postgres_url) as conn:
            assert conn is not None
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "1234ms"
            assert conn.execute(text("SHOW transaction_read_only")).scalar_one() == "on"
            dbapi = conn.connection.dbapi_connection
            assert isinstance(dbapi, psycopg.Connection)
            assert dbapi.info.get_parameters()["connect_timeout"] == "4"
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE events"))
        engine.dispose()
        clear_caches()


def test_out_of_scope_answers_safety_checks_and_false_alarms_are_listed() -> None:
    """The turns a walkthrough found missing: "roll a die please" answered as out of scope, a
    typed choice that got the safety check, answered "no", then a person."""
    rows = [
        {"event": "user", "text": "roll a die please",
         "parse_data": {"intent": {"name": "out_of_scope", "confidence": 0.93}}},
        {"event": "bot", "text": "Sorry, I can't help with that here.",
         "metadata": {"utter_action": "utter_out_of_scope"}},
        {"event": "user", "text": "keep it",
         "parse_data": {"intent": {"name": "emergency", "confidence": 0.81}}},
        {"event": "action", "name": "action_emergency"},
        {"event": "bot", "text": "Are you having a medical emergency right now?",
         "metadata": {"utter_action": "utter_safety_check"}},
        {"event": "user", "text": "no",
         "parse_data": {"intent": {"name": "deny", "confidence": 0.99}}},
        {"event": "action", "name": "action_emergency"},
        {"event": "bot", "text": "Okay, glad you're safe.",
         "metadata": {"utter_action": "utter_safety_check_clear"}},
        {"event": "user", "text": "/human_handoff",
         "parse_data": {"intent": {"name": "human_handoff", "confidence": 1.0}}},
        {"event": "action", "name": "action_handoff"},
    ]
    events = [service.TrackerEvent(i, "web:x", float(i), row) for i, row in enumerate(rows)]
    turns_ = service._turns(events)
    service._classify(turns_, 0.6)
    assert [(t.text, t.kinds) for t in turns_] == [
        ("roll a die please", [TurnKind.out_of_scope]),
        ("keep it", [TurnKind.safety_check]),
        ("no", [TurnKind.false_alarm]),
        ("/human_handoff", [HANDOFF]),
    ]


def test_internal_intents_are_not_offered_as_labels() -> None:
    intents = service.domain_intents()
    assert not [i for i in intents if i.startswith(("EXTERNAL_", "outreach_"))]
