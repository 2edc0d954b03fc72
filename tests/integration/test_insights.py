"""Insights on the real processes: real conversations on both channels, a handoff an agent
takes, asks for the date of birth the context already holds, and closes; then the numbers
the API returns, and the Insights page in a real Chromium (charts drawn, a number drills
down to its episodes, reachable by keyboard), with a screenshot in var/results/."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice.models import Appointment, AppointmentStatus, Patient, Provider
from bot.db import make_engine
from bot.outreach.enums import OutreachKind, OutreachStatus, Purpose, SuppressReason
from bot.outreach.models import OutreachMessage
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.integration
RESULTS = Path(__file__).resolve().parents[2] / "var" / "results"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
JAMES = "+15555550102"


@pytest.fixture(scope="module")
def insights_stack() -> Iterator[Stack]:
    # Its own Redis database and SQLite file: the numbers below are only these conversations.
    # INSIGHTS_STACK_REDIS_URL: another db when several people run tests on one Redis.
    with running_stack(redis_url=os.environ.get("INSIGHTS_STACK_REDIS_URL",
                                                "redis://127.0.0.1:6379/13")) as stack:
        yield stack


def summary(stack: Stack, desk: dict[str, str], since: datetime) -> dict[str, Any]:
    until = datetime.now(UTC) + timedelta(minutes=1)
    resp = httpx.get(stack.bot_url + "/api/insights/summary", headers=desk, timeout=30,
                     params={"from": since.isoformat(), "to": until.isoformat()})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


@pytest.fixture(scope="module")
def driven(insights_stack: Stack) -> tuple[datetime, dict[str, str]]:
    stack = insights_stack
    since = datetime.now(UTC) - timedelta(seconds=1)
    # Informational: a greeting only (web).
    stack.web_turn(stack.web_session(), "hello")
    # Resolved by the bot (SMS): the balance, after the date of birth.
    stack.sms_turn(JAMES, "how much do I owe", "SMinsights0001")
    stack.sms_turn(JAMES, "11/02/1975", "SMinsights0002")
    # Abandoned mid-task (web): asks about appointments, never says who they are.
    stack.web_turn(stack.web_session(), "when is my next appointment")
    # Resolved with an agent (web): verified, balance told, then a person; the agent asks
    # for the date of birth the handoff's context already holds.
    session_id, token = stack.web_session_with_id()
    for text in ("how much do I owe", "Maria Lopez", "03/12/1984", "02139",
                 "I want to talk to a person"):
        stack.web_turn(token, text)
    desk = stack.desk_login()
    queue = stack.desk("GET", "/api/desk/handoffs", desk).json()
    handoff = next(h["id"] for h in queue if h["status"] == "waiting")
    assert stack.desk("POST", f"/api/desk/handoffs/{handoff}/accept", desk).status_code == 200
    assert stack.desk("POST", f"/api/desk/handoffs/{handoff}/messages", desk,
                      json={"text": "Hi Maria, can you confirm your date of birth?"}
                      ).status_code == 201
    stack.web_turn(token, "sure, 03/12/1984")
    assert stack.desk("POST", f"/api/desk/handoffs/{handoff}/close", desk,
                      json={"disposition": "resolved"}).status_code == 200
    # Task reports arrive from the action server, and turns are recorded off the turn's path
    # (bot.insights.queue), a moment later: wait for the 9 the engine answered and the
    # patient's message to the agent (its repeat).
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        s = summary(stack, desk, since)
        if (s["outcomes"]["bot_resolved"] == 1 and s["quality"]["turns"] >= 9
                and s["repeat_yourself"]["by_item"].get("dob") == 2):
            break
        time.sleep(0.5)
    return since, desk


def test_the_api_counts_what_happened(insights_stack: Stack,
                                      driven: tuple[datetime, dict[str, str]]) -> None:
    since, desk = driven
    s = summary(insights_stack, desk, since)
    assert s["episodes"] == 4, s
    assert s["outcomes"] == {"bot_resolved": 1, "agent_resolved": 1, "escalated_unresolved": 0,
                             "abandoned": 1, "informational": 1}, s
    assert s["by_channel"] == {"web": 3, "sms": 1}
    # Three episodes asked for a task (balance by SMS, appointments, balance then a person).
    assert (s["containment"]["numerator"], s["containment"]["denominator"]) == (1, 3)
    assert s["rates"]["containment"] == pytest.approx(1 / 3, abs=1e-4)
    assert s["rates"]["first_contact_resolution"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["rates"]["escalation"] == 0.25
    assert s["escalation"]["by_reason"] == {"asked": {"count": 1, "rate": 0.25}}
    # The agent asked for the DOB and the patient re-sent it: one handoff, both findings.
    assert s["rates"]["repeat_yourself"] == 1.0
    assert s["repeat_yourself"]["by_item"] == {"dob": 2}
    assert s["queue"]["handoffs"] == 1 and s["queue"]["time_to_accept_seconds"]["n"] == 1
    assert s["bot_handle_seconds"]["n"] == 1
    assert s["quality"]["turns"] >= 8
    rows = httpx.get(insights_stack.bot_url + "/api/insights/episodes", headers=desk,
                     params={"measure": "repeat_yourself", "from": since.isoformat()},
                     timeout=30).json()
    assert [(r["who"], r["outcome"], r["channel"]) for r in rows] == [
        ("Maria Lopez", "agent_resolved", "web")]
    transcript = httpx.get(insights_stack.bot_url + rows[0]["transcript"], headers=desk,
                           timeout=30).json()["transcript"]
    assert any(t["role"] == "agent" and "date of birth" in t["text"] for t in transcript)
    metrics = httpx.get(insights_stack.bot_url + "/metrics", timeout=10).text
    assert 'assistant_turn_latency_seconds_count{channel="web"}' in metrics


@pytest.fixture(scope="module")
def outreach_history(insights_stack: Stack, driven: tuple[datetime, dict[str, str]]) -> None:
    """Today's reminders as outreach leaves them: two appointments reminded (one kept,
    one missed; one reminder confirmed by reply) and one whose reminder was held back for the
    hold-out group (missed). Written straight to the stack's database after the conversations
    (to a number none of them used, so no episode's origin changes)."""
    now = datetime.now(UTC)
    # Earlier today in UTC (the page below runs in UTC), whatever time the test runs.
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    earlier = min(timedelta(minutes=10), (now - midnight) / 2)
    starts = now - earlier
    with Session(make_engine(insights_stack.env["DATABASE_URL"])) as session:
        maria = session.scalars(select(Patient).where(Patient.last_name == "Lopez")).one()
        shah = session.scalars(select(Provider).where(Provider.name == "Dr. Priya Shah")).one()
        appointments = [Appointment(patient_id=maria.id, provider_id=shah.id, starts_at=starts,
                                    status=status, booked_at=starts - timedelta(days=20))
                        for status in (AppointmentStatus.completed, AppointmentStatus.no_show,
                                       AppointmentStatus.no_show)]
        session.add_all(appointments)
        session.flush()
        for n, (appt, status) in enumerate(zip(appointments, (
                OutreachStatus.sent, OutreachStatus.delivered, OutreachStatus.suppressed),
                strict=True)):
            held = status is OutreachStatus.suppressed
            session.add(OutreachMessage(
                dedupe_key=f"appointment_reminder:appointment:{appt.id}:2h:test{n}",
                patient_id=maria.id, kind=OutreachKind.appointment_reminder,
                purpose=Purpose.care, subject_type="appointment", subject_id=appt.id,
                offset_label="2h", subject_at=starts, priority=10, due_at=starts - earlier / 2,
                not_before=starts - earlier / 2, expires_at=starts, status=status,
                reason=SuppressReason.hold_out if held else None, phone="+15555550188",
                planned_at=starts - earlier / 2, sent_at=None if held else starts - earlier / 2,
                replied_at=starts - earlier / 4 if n == 0 else None,
                reply="confirm" if n == 0 else None))
        session.commit()


@pytest.fixture(scope="module")
def unrecognised(insights_stack: Stack, driven: tuple[datetime, dict[str, str]]) -> None:
    """After the API's numbers: two more web conversations ask something the assistant does
    not do, so the page lists it (no task asked: containment's card stays as it was)."""
    since, desk = driven
    for _ in range(2):
        insights_stack.web_turn(insights_stack.web_session(), "tell me a joke")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if summary(insights_stack, desk, since)["quality"]["top_unrecognised"]:
            return
        time.sleep(0.5)


def test_the_insights_page(insights_stack: Stack, driven: tuple[datetime, dict[str, str]],
                           outreach_history: None, unrecognised: None) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    RESULTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1280, "height": 1500}, timezone_id="UTC")
        page.set_default_timeout(30_000)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(insights_stack.bot_url + "/desk/insights")
        page.fill("#email", insights_stack.env["DESK_DEMO_EMAIL"])
        page.fill("#password", insights_stack.env["DESK_DEMO_PASSWORD"])
        page.click("#login button[type=submit]")
        expect(page.locator("#status")).to_contain_text("Updated")
        # The charts are drawn: Chart.js (vendored) attached to every canvas, with pixels.
        drawn = page.evaluate("""() => [...document.querySelectorAll('canvas')].map((c) =>
            !!Chart.getChart(c) && c.toDataURL().length > 2000)""")
        assert drawn == [True] * 6
        assert all(u.startswith(insights_stack.bot_url) for u in requests), requests  # no CDN
        expect(page.locator("#cards .card").nth(1)).to_contain_text("Containment")
        expect(page.locator("#cards .card").nth(1)).to_contain_text("33.3%")
        # No safety check was asked: none answered "no".
        checks = page.locator("#cards .card", has=page.locator(
            "button.value[data-measure=false_alarm]"))
        expect(checks.locator("button.value")).to_have_text("0")
        expect(checks).to_contain_text("no safety checks asked yet")
        # What two conversations sent and the assistant answered as out of scope, listed.
        expect(page.locator("#unrecognised tbody tr")).to_have_count(1)
        expect(page.locator("#unrecognised tbody tr td")).to_have_text(
            ["tell me a joke", "Out of scope", "2", "2"])
        # Outreach: reminded against the hold-out, each rate with its n.
        no_show = page.locator("#outreach [data-outreach=no_show]")
        expect(no_show.locator(".side.sent")).to_contain_text("50.0%")
        expect(no_show.locator(".side.sent")).to_contain_text("1 of 2 appointments")
        expect(no_show.locator(".side.held")).to_contain_text("100.0%")
        expect(no_show.locator(".side.held")).to_contain_text("1 of 1 appointments")
        expect(no_show).to_contain_text("Difference: -50.0 points")
        confirmed = page.locator("#outreach [data-outreach=confirmation]")
        expect(confirmed).to_contain_text("50.0%")
        expect(confirmed).to_contain_text("1 of 2 reminders sent")
        expect(page.locator("#outreach-kinds tbody tr")).to_have_count(1)
        expect(page.locator("#outreach-kinds tbody tr")).to_contain_text("hold out 1")
        # Keyboard: Tab reaches the no-show comparison's definition, Enter opens it.
        definition = no_show.locator("summary")
        for _ in range(60):
            page.keyboard.press("Tab")
            if definition.evaluate("(el) => el === document.activeElement"):
                break
        else:
            pytest.fail("the outreach definitions are not reachable with Tab")
        page.keyboard.press("Enter")
        expect(no_show.locator("details p")).to_be_visible()
        expect(no_show.locator("details a")).to_have_attribute(
            "href", "/desk/insights/metrics.md#outreach-outcomes")
        page.click("header h1")  # Tab starts from the top again
        # Keyboard: Tab reaches the repeat-yourself number, Enter drills down.
        target = page.locator("button.value[data-measure=repeat_yourself]")
        for _ in range(40):
            page.keyboard.press("Tab")
            if target.evaluate("(el) => el === document.activeElement"):
                break
        else:
            pytest.fail("the repeat-yourself number is not reachable with Tab")
        page.keyboard.press("Enter")
        expect(page.locator("#episodes tbody tr")).to_have_count(1)
        expect(page.locator("#episodes tbody tr")).to_contain_text("Maria Lopez")
        page.locator("#episodes tbody button").first.click()
        expect(page.locator("#transcript")).to_contain_text("date of birth")
        page.screenshot(path=str(RESULTS / "insights.png"), full_page=True)
        browser.close()
