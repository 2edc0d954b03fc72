"""The measures of `docs/metrics.md` on hand-built episode sequences: the 24 h and 7 day
windows, same topic against another topic, outreach apart from inbound, and a property test
that outcomes are exclusive and every rate stays within 0 and 1."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.insights import measures
from bot.insights.enums import Outcome
from bot.insights.outcomes import Facts, outcome
from tests.bot.insights.facts import LATER, T0, episode, handed, resolved

H = timedelta(hours=1)


def summary(window, universe=None, now=LATER):  # type: ignore[no-untyped-def]
    return measures.summarize(window, universe if universe is not None else window, now)


def test_containment_counts_bot_resolved_without_a_same_topic_return_in_24h() -> None:
    first = resolved()
    back_same = resolved(start=20 * H)                       # billing again within 24 h
    other = resolved(start=25 * H, conversation_id="sms:+15555550102")
    s = summary([first, other], [first, back_same, other])
    assert s["containment"] == {"rate": 0.5, "numerator": 1, "denominator": 2, "pending": 0}


def test_a_return_after_24h_or_about_another_topic_still_contains() -> None:
    first = resolved()
    later = resolved(start=30 * H)                            # after the 24 h window
    other_topic = episode(start=2 * H, topics=("appointments",))
    assert summary([first], [first, later])["containment"]["numerator"] == 1
    assert summary([first], [first, other_topic])["containment"]["numerator"] == 1


def test_the_same_patient_on_another_channel_is_a_return() -> None:
    first = resolved(patient_id=7)
    web = resolved(start=3 * H, conversation_id="web:abc", channel="web", patient_id=7)
    assert summary([first], [first, web])["containment"]["numerator"] == 0


def test_containment_is_pending_until_its_window_ends() -> None:
    first = resolved()
    s = summary([first], now=T0 + 2 * H)
    assert s["containment"]["pending"] == 1 and s["rates"]["containment"] == 1.0


def test_containment_denominator_is_episodes_with_a_task() -> None:
    hello = episode(intents=("greet",))
    left = episode(topics=("refills",))
    s = summary([resolved(), hello, left])
    assert (s["containment"]["numerator"], s["containment"]["denominator"]) == (1, 2)


def test_outreach_started_episodes_are_reported_apart() -> None:
    inbound = resolved()
    reply = resolved(start=H, conversation_id="sms:+15555550102", origin="outreach",
                     outreach_message="appointment_reminder")
    s = summary([inbound, reply])
    assert s["containment"]["denominator"] == 1
    assert s["outreach_started"]["episodes"] == 1
    assert s["outreach_started"]["containment"]["denominator"] == 1
    assert s["outreach_started"]["outcomes"]["bot_resolved"] == 1


def test_first_contact_resolution_uses_7_days_and_counts_agents() -> None:
    by_agent = handed(topics=("billing",))
    back_in_5_days = resolved(start=5 * 24 * H)
    s = summary([by_agent], [by_agent, back_in_5_days])
    assert s["first_contact_resolution"]["numerator"] == 0
    back_in_8_days = resolved(start=8 * 24 * H)
    s = summary([by_agent], [by_agent, back_in_8_days])
    assert s["first_contact_resolution"]["rate"] == 1.0


def test_escalation_by_reason() -> None:
    window = [handed(reason="requested"), handed(reason="emergency"),
              handed(reason="verification_locked"), resolved()]
    s = summary(window)
    assert s["rates"]["escalation"] == 0.75
    assert s["escalation"]["by_reason"] == {
        "asked": {"count": 1, "rate": 0.25}, "emergency": {"count": 1, "rate": 0.25},
        "lockout": {"count": 1, "rate": 0.25}}


def test_asking_for_a_person_after_a_back_office_failure_counts_as_that_failure() -> None:
    after_failure = handed(reason="requested", failed_tasks=("balance_told",))
    window = [after_failure, handed(reason="requested"),
              handed(reason="emergency", failed_tasks=("balance_told",))]
    s = summary(window)
    assert s["escalation"]["by_reason"] == {
        "asked": {"count": 1, "rate": 0.3333}, "backoffice_failure": {"count": 1, "rate": 0.3333},
        "emergency": {"count": 1, "rate": 0.3333}}


def test_repeat_yourself_over_accepted_handoffs() -> None:
    asked = handed(repeats=({"who": "agent", "item": "dob", "at": T0.isoformat()},))
    fine = handed()
    never_accepted = handed(accepted=False, disposition="follow_up",
                            repeats=({"who": "patient", "item": "dob", "at": ""},))
    s = summary([asked, fine, never_accepted])
    assert s["repeat_yourself"]["numerator"] == 1 and s["repeat_yourself"]["denominator"] == 2
    assert s["repeat_yourself"]["by_item"] == {"dob": 1}
    assert [f.id for f in measures.members("repeat_yourself", [asked, fine], [asked, fine],
                                           LATER)] == [asked.id]


def test_queue_and_handle_times() -> None:
    s = summary([handed(), handed(accepted=False, disposition="follow_up"), resolved()])
    assert s["queue"]["handoffs"] == 2
    assert s["queue"]["time_to_accept_seconds"] == {"n": 1, "median": 120.0, "p90": 120.0}
    assert s["queue"]["time_to_first_agent_message_seconds"]["median"] == 180.0
    assert s["queue"]["agent_handle_seconds"]["median"] == 420.0
    assert s["bot_handle_seconds"] == {"n": 1, "median": 60.0, "p90": 60.0}


def test_abandoned_in_queue_and_short_abandons() -> None:
    gone = handed(accepted=False, disposition=None)
    quick = episode(topics=("billing",), length=timedelta(seconds=10))
    s = summary([gone, quick], now=gone.last_message_at + timedelta(hours=1))
    assert s["queue"]["abandoned_in_queue"] == {"count": 1, "rate": 1.0}
    assert s["outcomes"]["abandoned"] == 2 and s["abandoned_short"] == 1


def test_drill_down_members_match_the_counts() -> None:
    window = [resolved(), handed(), episode(intents=("greet",)), handed(reason="fallback")]
    s = summary(window)
    for o in Outcome:
        assert len(measures.members(o.value, window, window, LATER)) == s["outcomes"][o.value]
    assert len(measures.members("reason:fallbacks", window, window, LATER)) == 1
    assert len(measures.members("contained", window, window, LATER)) == \
        s["containment"]["numerator"]


@st.composite
def episodes(draw: st.DrawFn) -> list[Facts]:
    out: list[Facts] = []
    for _ in range(draw(st.integers(0, 12))):
        start = timedelta(minutes=draw(st.integers(0, 60 * 24 * 10)))
        kind = draw(st.sampled_from(["resolved", "handed", "plain"]))
        extra: dict[str, Any] = {
            "conversation_id": draw(st.sampled_from(["sms:+1", "sms:+2", "web:a"])),
            "origin": draw(st.sampled_from(["inbound", "inbound", "outreach"])),
            "patient_id": draw(st.sampled_from([None, 1, 2]))}
        if kind == "resolved":
            out.append(resolved(start, topic=draw(st.sampled_from(measures_topics())), **extra))
        elif kind == "handed":
            out.append(handed(start, disposition=draw(st.sampled_from(
                [None, "resolved", "follow_up"])), accepted=draw(st.booleans()),
                topics=tuple(draw(st.lists(st.sampled_from(measures_topics()), max_size=2))),
                **extra))
        else:
            out.append(episode(start, length=timedelta(seconds=draw(st.integers(1, 900))),
                               topics=tuple(draw(st.lists(st.sampled_from(measures_topics()),
                                                          max_size=2))), **extra))
    return out


def measures_topics() -> list[str]:
    return ["billing", "appointments", "refills"]


@given(episodes(), st.integers(0, 60 * 24 * 20))
def test_outcomes_are_exclusive_and_rates_stay_within_0_and_1(window, minutes) -> None:  # type: ignore[no-untyped-def]
    now = T0 + timedelta(minutes=minutes)
    s = measures.summarize(window, window, now)
    assert sum(s["outcomes"].values()) == s["episodes"] == len(window)
    for f in window:  # exactly one outcome each, and the drill-downs agree
        found = [o for o in Outcome if f in measures.members(o.value, window, window, now)]
        assert found == [outcome(f, now).outcome]
    for name, value in s["rates"].items():
        assert value is None or 0.0 <= value <= 1.0, name
    for part in ("containment", "first_contact_resolution", "repeat_yourself", "escalation"):
        assert s[part]["numerator"] <= s[part]["denominator"]


def test_containment_escalation_and_repeats_by_language() -> None:
    rosa = {"language": "es", "conversation_id": "sms:+15555550104"}
    window = [resolved(), resolved(timedelta(hours=1), **rosa),
              handed(timedelta(hours=2), topics=("appointments",), **rosa),
              episode(timedelta(hours=3))]
    by = summary(window)["by_language"]
    assert by["en"] == {"episodes": 2, "containment": 1.0, "escalation": 0.0,
                        "repeat_yourself": None}
    assert by["es"]["episodes"] == 2 and by["es"]["escalation"] == 0.5
    assert by["es"]["containment"] == 0.5  # one resolved by the bot, one handed to a person
    assert [f.id for f in measures.members("language:es", window, window, LATER)] == [
        window[1].id, window[2].id]


def test_safety_checks_asked_and_answered_no() -> None:
    window = [episode(safety=("check", "false_alarm")),  # "roll a die": asked, said no
              episode(H, safety=("check", "false_alarm", "check", "confirmed")),
              episode(2 * H, safety=("check",)),  # asked, then wrote about something else
              episode(3 * H, safety=("safety_net",)),  # 911 at once, no check
              episode(4 * H)]
    s = summary(window)
    assert s["safety_checks"] == {"asked": 4, "answered_yes": 1, "false_alarms": 2,
                                  "false_alarm_rate": 0.5, "safety_net": 1}
    assert s["rates"]["false_alarm"] == 0.5
    assert [f.id for f in measures.members("false_alarm", window, window, LATER)] == [
        window[0].id, window[1].id]
    assert [f.id for f in measures.members("safety_check", window, window, LATER)] == [
        f.id for f in window[:3]]
    assert [f.id for f in measures.members("safety_net", window, window, LATER)] == [
        window[3].id]
    assert summary([episode()])["safety_checks"] == {
        "asked": 0, "answered_yes": 0, "false_alarms": 0, "false_alarm_rate": None,
        "safety_net": 0}


def test_a_check_answered_in_the_window_but_asked_before_keeps_the_rate_a_share() -> None:
    window = [episode(safety=("false_alarm",)), episode(H, safety=("check", "false_alarm"))]
    assert summary(window)["safety_checks"] == {
        "asked": 1, "answered_yes": 0, "false_alarms": 2, "false_alarm_rate": 1.0,
        "safety_net": 0}
