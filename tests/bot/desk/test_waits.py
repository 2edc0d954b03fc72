"""Nobody waits forever: callbacks when a team is closed or the wait is too long, told
plainly; emergencies always repeat the 911/988 guidance; urgent waits flagged once."""

from datetime import timedelta

import pytest
import redis.asyncio as aioredis
from sqlalchemy.orm import Session

from bot.clock import clinic_today, now
from bot.conversations import transcript
from bot.desk import service as desk
from bot.desk import waits
from bot.handoff import service as handoffs
from bot.handoff.models import HandoffStatus
from bot.handoff.schemas import HandoffRequest
from bot.settings import get_settings
from tests.conftest import TEST_REDIS_URL


def request(conv: str, **kw: object) -> HandoffRequest:
    return HandoffRequest.model_validate({"conversation_id": conv, "reason": "requested", **kw})


@pytest.fixture
def billing_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Closed all week but Sunday 00:00-00:01: always closed in practice, opening known.
    monkeypatch.setenv("DESK_TEAM_HOURS", '{"billing": "sun 00:00-00:01"}')
    get_settings.cache_clear()


def test_a_closed_team_turns_waiting_into_a_callback_told_plainly(
        seeded: Session, billing_closed: None) -> None:
    sms, _ = handoffs.request_handoff(seeded, request("sms:+15555550101",
                                                      intents=["billing_pay"]), clinic_today())
    web, _ = handoffs.request_handoff(seeded, request("web:anon", intents=["billing_pay"]),
                                      clinic_today())
    general, _ = handoffs.request_handoff(seeded, request("web:other"), clinic_today())
    done = desk.make_callbacks(seeded, now())
    assert [h.id for h, _ in done] == [sms.id, web.id]  # general is open around the clock
    texts = {h.conversation_id: n.text for h, n in done}
    assert texts["sms:+15555550101"].startswith("Our billing office is closed right now and "
                                                "opens Sunday at 12 AM.")
    assert ("someone from our billing office will get back to you at your number on file "
            "Sunday at 12 AM") in texts["sms:+15555550101"]
    assert texts["sms:+15555550101"].endswith(
        "Meanwhile I'm here for anything I can do: just type it.")
    # An unverified web visitor cannot be called back: they are told to call.
    assert "please call us at (555) 555-0199 after it opens" in texts["web:anon"]
    assert "911" not in texts["web:anon"]
    seeded.expire_all()
    assert handoffs.get(seeded, general.id).status is HandoffStatus.waiting
    assert handoffs.get(seeded, sms.id).status is HandoffStatus.callback
    assert transcript.read(seeded, "sms:+15555550101")[-1].text == texts["sms:+15555550101"]
    assert desk.make_callbacks(seeded, now()) == []  # told once


def test_an_emergency_past_the_wait_limit_repeats_911_and_988(seeded: Session) -> None:
    urgent, _ = handoffs.request_handoff(
        seeded, request("sms:+15555550102", reason="emergency", urgency="urgent",
                        intents=["emergency"]), clinic_today())
    later = now() + timedelta(minutes=get_settings().desk_wait_limit_minutes + 1)
    [(handoff, notice)] = desk.make_callbacks(seeded, later)
    assert handoff.id == urgent.id and handoff.team == "nurse"
    assert notice.text.startswith("If this is an emergency, call 911 now")
    assert "988" in notice.text
    assert "Sorry for the wait: everyone on our nurse line is still busy." in notice.text


async def test_an_urgent_wait_is_flagged_to_supervisors_once(
        seeded: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    urgent, _ = handoffs.request_handoff(
        seeded, request("web:u", reason="emergency", urgency="urgent"), clinic_today())
    urgent.queued_at = now() - timedelta(minutes=3)
    seeded.commit()
    redis = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    published: list[dict[str, object]] = []

    async def publish(_redis: object, _channel: str, event: dict[str, object]) -> None:
        published.append(event)

    monkeypatch.setattr(waits.live, "publish", publish)
    try:
        await redis.delete(f"{waits.OVERDUE_KEY}{urgent.id}:0")
        assert await waits.sweep(redis) == (0, 1)
        assert await waits.sweep(redis) == (0, 0)
    finally:
        await redis.delete(f"{waits.OVERDUE_KEY}{urgent.id}:0")
        await redis.aclose()
    assert [(e["type"], e["handoff_id"], e["team"]) for e in published] == [
        ("urgent_overdue", urgent.id, "nurse")]
