"""A handoff finds its team from its reason and topics, with nobody triaging."""

import pytest

from bot.agents.models import Team
from bot.handoff.enums import Urgency
from bot.handoff.routing import (
    URGENT_TEAM,
    escalation,
    language_unmatched,
    route,
    speaker_first,
    urgency_rank,
)


@pytest.mark.parametrize(("reason", "urgency", "intents", "slots", "team"), [
    ("requested", Urgency.normal, ["greet", "billing_balance", "human_handoff"], {}, "billing"),
    ("requested", Urgency.normal, ["billing_payment_plan", "human_handoff"], {}, "billing"),
    ("billing_dispute", Urgency.normal, [], {}, "billing"),
    ("requested", Urgency.normal, ["appointment_reschedule", "human_handoff"], {}, "scheduling"),
    ("fallback", Urgency.normal, ["appointment_check", "nlu_fallback"], {}, "scheduling"),
    ("refill_needs_person", Urgency.normal, ["refill_request"], {}, "pharmacy"),
    ("requested", Urgency.normal, ["refill_status", "human_handoff"], {}, "pharmacy"),
    # The latest topic wins when the patient moved on.
    ("requested", Urgency.normal, ["billing_balance", "appointment_cancel"], {}, "scheduling"),
    # What they asked before verification (the pending request) says it best.
    ("verification_locked", Urgency.normal, ["greet", "inform"],
     {"pending_request": "refill"}, "pharmacy"),
    # Emergencies and anything clinical: the nurse line, whatever else was asked.
    ("emergency", Urgency.urgent, ["emergency"], {}, "nurse"),
    ("requested", Urgency.normal, ["billing_balance", "emergency", "human_handoff"], {}, "nurse"),
    ("requested", Urgency.urgent, ["billing_balance"], {}, "nurse"),
    ("billing_dispute", Urgency.normal, ["emergency"], {}, "nurse"),
    # A person asked for about a topic, after its help was offered: that topic's team.
    ("requested", Urgency.normal, ["human_handoff"], {"handoff_topic": "billing"}, "billing"),
    ("requested", Urgency.normal, ["greet", "human_handoff", "human_handoff"],
     {"handoff_topic": "scheduling"}, "scheduling"),
    ("requested", Urgency.normal, ["human_handoff"], {"handoff_topic": "pharmacy"}, "pharmacy"),
    ("requested", Urgency.normal, ["human_handoff", "emergency"], {"handoff_topic": "billing"},
     "nurse"),
    ("requested", Urgency.normal, ["human_handoff"], {"handoff_topic": "unknown"}, "general"),
    # The rest: general.
    ("requested", Urgency.normal, ["greet", "human_handoff"], {}, "general"),
    ("backoffice_error", Urgency.normal, [], {}, "general"),
    ("requested", Urgency.normal, ["out_of_scope"], {}, "general"),
])
def test_routing(reason: str, urgency: Urgency, intents: list[str], slots: dict[str, str],
                 team: str) -> None:
    assert route(reason, urgency, intents, slots) is Team(team)


def test_urgency_puts_a_handoff_first_and_on_the_nurse_line_only_when_it_may_move() -> None:
    assert (urgency_rank(Urgency.urgent), urgency_rank(Urgency.normal)) == (1, 0)
    assert URGENT_TEAM is Team.nurse
    assert escalation(reroute=False) == {"urgency": Urgency.urgent, "urgency_rank": 1}
    assert escalation(reroute=True) == {"urgency": Urgency.urgent, "urgency_rank": 1,
                                        "team": "nurse"}


def test_a_conversation_is_offered_first_to_agents_who_speak_its_language() -> None:
    assert speaker_first("es", ["en", "es"]) == 0
    assert speaker_first("en", ["en", "es"]) == 1
    assert speaker_first("es", ["en"]) == 2


def test_a_language_no_available_agent_of_the_team_speaks_is_flagged() -> None:
    ana = (["billing"], ["en", "es"])
    bo = (["scheduling"], ["en"])
    assert not language_unmatched("es", "billing", [ana, bo])
    assert language_unmatched("es", "scheduling", [ana, bo])  # Ana speaks it, not their team
    assert language_unmatched("es", "billing", [])  # nobody available
    assert not language_unmatched("en", "scheduling", [])  # English is every agent's
