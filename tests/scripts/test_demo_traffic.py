"""The demo traffic's plan: the same conversations for the same seed, each about something its
patient has, spread over the population so that coming back about the same thing is
occasional (and constant everywhere with the three demo patients alone)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from bot.demo.population import plan_population
from scripts import demo_traffic
from scripts.demo_traffic import PATIENTS, Conversation, Deck, Who, plan, population, repeats


def test_the_population_is_the_seeded_one() -> None:
    people = population(80)
    assert len(people) == 83 and set(PATIENTS) < set(people)
    first = plan_population(1)[0]
    assert people["MRNPOP0001"] == Who("Umar Dummerson", "02/26/1987", "73301", "+15555550105",
                                       ("billing", "appointments"))
    assert people[first.mrn].topics == first.topics


def test_same_seed_same_conversations() -> None:
    people = population(80)
    assert plan(300, 7, people) == plan(300, 7, people)
    assert plan(300, 7, people) != plan(300, 8, people)


def test_each_conversation_is_about_something_its_patient_has() -> None:
    people = population(80)
    planned = plan(300, 7, people)
    about = [c for c in planned if c.patient is not None]
    assert len(about) == 148
    for conv in about:
        assert conv.topic in people[conv.patient].topics
        assert conv.topic in demo_traffic.ABOUT_A_PATIENT[conv.kind]
    assert all(c.kind in demo_traffic.ABOUT_A_PATIENT for c in about)
    # Handoffs straight to a person name nobody; the other kinds never do.
    unnamed = Counter(c.kind for c in planned if c.patient is None)
    assert set(unnamed) <= {"web_abandon", "web_info", "emergency", "sms_unknown",
                            "web_handoff"}
    assert all(not c.verified for c in planned if c.kind == "web_handoff" and not c.patient)


def test_coming_back_is_occasional_with_the_population() -> None:
    planned = plan(300, 7, population(80))
    assert repeats(planned) == 11  # of 148 patient conversations: 7 %
    # Three patients: nearly every conversation is about something asked before.
    assert repeats(plan(300, 7, dict(PATIENTS))) == 141


def test_repeats_counts_same_patient_same_topic_only() -> None:
    convs = [Conversation("web_task", 1, "a", "billing"), Conversation("web_task", 2, "a",
                                                                        "refills"),
             Conversation("web_task", 3, "b", "billing"), Conversation("web_info", 4),
             Conversation("sms_known", 5, "a", "billing")]
    assert repeats(convs) == 1


def test_the_deck_deals_each_pair_once_then_repeats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_traffic, "REPEAT_SHARE", 0.0)
    people = {"a": Who("A Sampleton", "01/01/1980", "02139", "+15555550104",
                       ("billing", "refills")),
              "b": Who("B Sampleton", "01/01/1981", "02139", "+15555550105", ("billing",))}
    deck = Deck(people, random.Random(1))
    dealt = [deck.draw(("billing", "refills")) for _ in range(3)]
    assert sorted(dealt) == [("a", "billing"), ("a", "refills"), ("b", "billing")]
    assert deck.draw(("billing",)) in dealt  # spent: back to one already dealt
    with pytest.raises(ValueError):
        deck.draw(("appointments",))


def test_a_429_is_waited_out_as_it_asks() -> None:
    import httpx

    assert demo_traffic.retry_after(httpx.Response(429, headers={"Retry-After": "60"})) == 60.0
    assert demo_traffic.retry_after(httpx.Response(429, headers={"Retry-After": "600"})) == 60.0
    assert demo_traffic.retry_after(httpx.Response(429)) == 10.0
    assert demo_traffic.retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) == 10.0


def test_answers_to_reminders_are_seeded() -> None:
    phones = [who.phone for who in population(80).values()]
    answers = Counter(demo_traffic.reply_to_reminder(7, phone) for phone in phones)
    assert answers == {"1": 36, None: 44, "STOP": 3}
    assert [demo_traffic.reply_to_reminder(7, p) for p in phones] == [
        demo_traffic.reply_to_reminder(7, p) for p in phones]


def test_the_outreach_run_uses_make_runs_redis(tmp_path, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    """Without REDIS_URL, `make run` serves from its embedded Redis: the demo's outreach run
    must offer its reply choices there (else a reply "1" is not understood)."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("EMBEDDED_REDIS_PORT", raising=False)
    env = tmp_path / ".env"
    env.write_text("# REDIS_URL=redis://127.0.0.1:6379/0\nTWILIO_AUTH_TOKEN=x\n")
    assert demo_traffic.read_env(env)["REDIS_URL"] == "redis://127.0.0.1:6390/0"
    monkeypatch.setenv("EMBEDDED_REDIS_PORT", "6400")
    assert demo_traffic.read_env(env)["REDIS_URL"] == "redis://127.0.0.1:6400/0"
    env.write_text("REDIS_URL=redis://10.0.0.5:6379/2\n")
    assert demo_traffic.read_env(env)["REDIS_URL"] == "redis://10.0.0.5:6379/2"
