"""Teams in the handoff queue: routing at request time, per-team queues and waits,
transfers (race-safe against accept, close and each other), callbacks, acknowledgements."""

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from bot.agents.models import Agent, Availability, Role, Team
from bot.agents.service import ensure_agent, set_availability
from bot.clock import clinic_today
from bot.db import get_sessionmaker
from bot.handoff import service
from bot.handoff.models import Disposition, HandoffStatus
from bot.handoff.schemas import HandoffRequest
from bot.settings import get_settings


def request(conv: str = "sms:+15555550101", **kw: object) -> HandoffRequest:
    return HandoffRequest.model_validate({"conversation_id": conv, "reason": "requested", **kw})


@pytest.fixture
def team_agents(seeded: Session) -> dict[str, Agent]:
    return {
        "sol": ensure_agent(seeded, "sol@example.org", "sol-password-1", "Sol",
                            teams=[Team.scheduling]),
        "bea": ensure_agent(seeded, "bea@example.org", "bea-password-1", "Bea",
                            teams=[Team.billing]),
        "bill": ensure_agent(seeded, "bill@example.org", "bill-password-1", "Bill",
                             teams=[Team.billing]),
        "sue": ensure_agent(seeded, "sue@example.org", "sue-password-1", "Sue",
                            roles=[Role.agent, Role.supervisor], teams=[Team.general]),
    }


def test_a_request_is_routed_and_queued_for_its_team_only(
        seeded: Session, team_agents: dict[str, Agent]) -> None:
    move, _ = service.request_handoff(
        seeded, request("web:a", intents=["appointment_reschedule", "human_handoff"]),
        clinic_today())
    bill, _ = service.request_handoff(
        seeded, request("web:b", intents=["billing_charge_question", "human_handoff"]),
        clinic_today())
    assert (move.team, bill.team) == ("scheduling", "billing")
    assert move.path[0]["by"] == "routing" and move.path[0]["team"] == "scheduling"
    ids = {name: [q.id for q in service.queue(seeded, a)] for name, a in team_agents.items()}
    assert ids == {"sol": [move.id], "bea": [bill.id], "bill": [bill.id],
                   "sue": [move.id, bill.id]}  # a supervisor sees every team
    assert [q.team for q in service.queue(seeded, team_agents["sue"])] == [
        "scheduling", "billing"]


def test_an_agent_cannot_accept_another_teams_handoff(
        seeded: Session, team_agents: dict[str, Agent]) -> None:
    bill, _ = service.request_handoff(seeded, request(intents=["billing_pay"]), clinic_today())
    with pytest.raises(service.NotYourHandoff):
        service.accept(seeded, bill.id, team_agents["sol"])
    assert service.accept(seeded, bill.id, team_agents["bea"]).accepted_by == team_agents[
        "bea"].id


def test_the_wait_counts_only_available_agents_of_the_routed_team(
        seeded: Session, team_agents: dict[str, Agent]) -> None:
    handoffs = [service.request_handoff(seeded, request(f"web:w{i}", intents=["billing_pay"]),
                                        clinic_today())[0] for i in range(3)]
    # Two billing agents available: places 1-2 about 3 min, place 3 about 6.
    assert [service.wait_estimate(seeded, h) for h in handoffs] == [(1, 3), (2, 3), (3, 6)]
    set_availability(seeded, team_agents["bill"].id, Availability.away)
    assert [service.wait_estimate(seeded, h)[1] for h in handoffs] == [3, 6, 9]
    set_availability(seeded, team_agents["bea"].id, Availability.away)
    # Nobody available: the wait limit, after which a callback is arranged.
    assert service.wait_estimate(seeded, handoffs[0]) == (
        1, get_settings().desk_wait_limit_minutes)
    # Another team's agents do not count.
    assert service.wait_estimate(seeded, handoffs[0])[1] != 3


def test_a_transfer_moves_it_with_note_and_path(
        seeded: Session, team_agents: dict[str, Agent]) -> None:
    handoff, _ = service.request_handoff(
        seeded, request(intents=["appointment_check", "human_handoff"]), clinic_today())
    service.accept(seeded, handoff.id, team_agents["sol"])
    moved, target = service.transfer(seeded, handoff.id, team_agents["sol"], "billing", None,
                                      "Asks about the $85.40 lab charge")
    seeded.commit()
    assert target is None
    assert (moved.status, moved.team, moved.accepted_by, moved.transfers) == (
        HandoffStatus.waiting, "billing", None, 1)
    assert [(p["by"], p["team"], p.get("from_agent")) for p in moved.path] == [
        ("routing", "scheduling", None), ("Sol", "billing", "Sol")]
    assert moved.path[1]["note"] == "Asks about the $85.40 lab charge"
    # Now in billing's queue, not scheduling's; the same handoff (same transcript, context).
    assert [q.id for q in service.queue(seeded, team_agents["bea"])] == [handoff.id]
    assert service.queue(seeded, team_agents["sol"]) == []
    # Only the agent who has it may transfer an active one; a waiting one, its team.
    with pytest.raises(service.NotYourHandoff):
        service.transfer(seeded, handoff.id, team_agents["sol"], "pharmacy", None, None)
    with pytest.raises(service.BadTransfer, match="already in the billing office queue"):
        service.transfer(seeded, handoff.id, team_agents["bea"], "billing", None, None)


def test_the_latest_transfer_says_from_where_to_where_by_whom_and_why(
        seeded: Session, team_agents: dict[str, Agent]) -> None:
    handoff, _ = service.request_handoff(
        seeded, request(intents=["appointment_check", "human_handoff"]), clinic_today())
    assert service.last_transfer(handoff) is None
    assert service.queue(seeded, team_agents["sol"])[0].transferred_from is None
    service.accept(seeded, handoff.id, team_agents["sol"])
    service.transfer(seeded, handoff.id, team_agents["sol"], "billing", None,
                     "Asks about the $85.40 lab charge")
    seeded.commit()
    service.accept(seeded, handoff.id, team_agents["bea"])
    moved, _ = service.transfer(seeded, handoff.id, team_agents["bea"], None,
                                team_agents["bill"].id, "Refund approved, tell her")
    seeded.commit()
    step = service.last_transfer(moved)
    assert step is not None
    assert (step.from_team, step.to_team, step.by, step.from_agent, step.to_agent,
            step.note) == ("billing", "billing", "Bea", "Bea", "Bill",
                           "Refund approved, tell her")
    assert step.at.isoformat() == moved.path[-1]["at"]
    [item] = service.queue(seeded, team_agents["bill"])
    assert (item.transferred_from, item.reason) == ("billing", "requested")


def test_a_path_step_without_from_team_came_from_the_step_before(
        seeded: Session, team_agents: dict[str, Agent]) -> None:
    """Transfers recorded before `from_team` was written still say where they came from."""
    handoff, _ = service.request_handoff(seeded, request(intents=["billing_pay"]),
                                         clinic_today())
    handoff.path = [*handoff.path, {"team": "pharmacy", "agent": None, "by": "Bea",
                                    "at": "2026-12-01T15:00:00+00:00", "note": None}]
    seeded.commit()
    step = service.last_transfer(handoff)
    assert step is not None and (step.from_team, step.to_team, step.note) == (
        "billing", "pharmacy", None)


def test_a_transfer_to_a_named_agent_is_theirs_alone(
        seeded: Session, team_agents: dict[str, Agent]) -> None:
    handoff, _ = service.request_handoff(seeded, request(intents=["appointment_check"]),
                                         clinic_today())
    service.accept(seeded, handoff.id, team_agents["sol"])
    moved, target = service.transfer(seeded, handoff.id, team_agents["sol"], None,
                                     team_agents["bill"].id, None)
    seeded.commit()
    assert target is not None and target.display_name == "Bill"
    assert (moved.team, moved.assigned_to) == ("billing", team_agents["bill"].id)
    assert [q.assigned_to for q in service.queue(seeded, team_agents["bill"])] == ["Bill"]
    assert service.queue(seeded, team_agents["bea"]) == []
    with pytest.raises(service.NotYourHandoff):
        service.accept(seeded, handoff.id, team_agents["bea"])
    assert service.accept(seeded, handoff.id, team_agents["bill"]).status is (
        HandoffStatus.active)
    with pytest.raises(service.BadTransfer, match="not in the pharmacy team"):
        service.transfer(seeded, handoff.id, team_agents["bill"], "pharmacy",
                         team_agents["bea"].id, None)


def _race(handoff_id: int, moves: list[tuple[int, Callable[[Session, Agent], object]]]
          ) -> list[str]:
    results: list[str] = []
    barrier = threading.Barrier(len(moves))

    def run(agent_id: int, move: Callable[[Session, Agent], object]) -> None:
        with get_sessionmaker()() as session:
            agent = session.get(Agent, agent_id)
            assert agent is not None
            barrier.wait()
            try:
                move(session, agent)
                session.commit()
                results.append("won")
            except (service.HandoffConflict, service.NotYourHandoff):
                results.append("lost")

    threads = [threading.Thread(target=run, args=m) for m in moves]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_transfer_against_accept_exactly_one_wins(
        seeded: Session, team_agents: dict[str, Agent]) -> None:
    for attempt in range(3):
        handoff, _ = service.request_handoff(
            seeded, request(f"web:r{attempt}", intents=["appointment_check"]), clinic_today())
        sue, sol = team_agents["sue"].id, team_agents["sol"].id
        results = _race(handoff.id, [
            (sue, lambda s, a, h=handoff.id: service.transfer(s, h, a, "billing", None, "n")),
            (sol, lambda s, a, h=handoff.id: service.accept(s, h, a)),
            (sol, lambda s, a, h=handoff.id: service.accept(s, h, a)),
        ])
        assert sorted(results) == ["lost", "lost", "won"]
        final = service.get(seeded, handoff.id)
        if final.status is HandoffStatus.active:  # an accept won: still scheduling's
            assert (final.accepted_by, final.team, final.transfers) == (sol, "scheduling", 0)
        else:  # the transfer won: in billing's queue, nobody has it
            assert (final.status, final.team, final.accepted_by, final.transfers) == (
                HandoffStatus.waiting, "billing", None, 1)


def test_two_transfers_and_a_close_at_once_one_wins(
        seeded: Session, team_agents: dict[str, Agent]) -> None:
    handoff, _ = service.request_handoff(seeded, request(intents=["appointment_check"]),
                                         clinic_today())
    sol = team_agents["sol"]
    service.accept(seeded, handoff.id, sol)
    results = _race(handoff.id, [
        (sol.id, lambda s, a: service.transfer(s, handoff.id, a, "billing", None, "one")),
        (sol.id, lambda s, a: service.transfer(s, handoff.id, a, "pharmacy", None, "two")),
        (sol.id, lambda s, a: service.close(s, handoff.id, a, Disposition.resolved)),
    ])
    assert sorted(results) == ["lost", "lost", "won"]
    final = service.get(seeded, handoff.id)
    # Whatever won, the record is whole: one move, no lost path entry.
    assert final.transfers + (final.status is HandoffStatus.closed) == 1
    assert len(final.path) == 1 + final.transfers


def test_waiting_past_the_limit_becomes_a_callback_and_the_bot_answers_again(
        seeded: Session) -> None:
    handoff, _ = service.request_handoff(seeded, request(intents=["refill_request"]),
                                         clinic_today())
    now = service.now()
    assert service.due_for_callback(seeded, now) == []
    later = now + timedelta(minutes=get_settings().desk_wait_limit_minutes + 1)
    assert [h.id for h in service.due_for_callback(seeded, later)] == [handoff.id]
    called = service.make_callback(seeded, handoff.id, later)
    seeded.commit()
    assert called is not None and called.status is HandoffStatus.callback
    assert service.open_handoff(seeded, handoff.conversation_id) is None  # the bot answers
    assert [q.status for q in service.queue(seeded)] == [HandoffStatus.callback]
    assert service.make_callback(seeded, handoff.id, later) is None  # only once
    # Asking for a person again puts it back in line.
    again, created = service.request_handoff(seeded, request(intents=["refill_request"]),
                                             clinic_today())
    assert (again.id, created, again.status) == (handoff.id, True, HandoffStatus.waiting)


def test_a_waiting_patient_is_acknowledged_once_every_few_minutes(seeded: Session) -> None:
    handoff, _ = service.request_handoff(seeded, request(intents=["billing_pay"]),
                                         clinic_today())
    first = service.waiting_acknowledgement(seeded, handoff.id)
    assert first == ("Got it, I've passed that on. Our billing office will see it when they "
                     "pick up your conversation: you're number 1 in line, about "
                     f"{get_settings().desk_wait_limit_minutes} minutes.")
    assert service.waiting_acknowledgement(seeded, handoff.id) is None
    handoff.acknowledged_at = service.now() - timedelta(minutes=10)
    seeded.commit()
    assert service.waiting_acknowledgement(seeded, handoff.id) is not None


def test_urgent_waiting_past_the_alert_setting_is_overdue(seeded: Session) -> None:
    handoff, _ = service.request_handoff(
        seeded, request(reason="emergency", urgency="urgent", intents=["emergency"]),
        clinic_today())
    assert handoff.team == "nurse"
    now = service.now()
    assert service.overdue_urgent(seeded, now) == []
    assert [h.id for h in service.overdue_urgent(seeded, now + timedelta(minutes=3))] == [
        handoff.id]
    assert service.queue_item(handoff, None, at=now + timedelta(minutes=3)).overdue


def test_a_waiting_emergency_is_reminded_of_911_and_988(seeded: Session) -> None:
    handoff, _ = service.request_handoff(
        seeded, request(reason="emergency", urgency="urgent", intents=["emergency"]),
        clinic_today())
    ack = service.waiting_acknowledgement(seeded, handoff.id) or ""
    assert ack.startswith("If this is an emergency, call 911 now") and "988" in ack
    assert ack.endswith("Our nurse line will see it when they pick up your conversation: "
                        f"you're number 1 in line, about "
                        f"{get_settings().desk_wait_limit_minutes} minutes.")
