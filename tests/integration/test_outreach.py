"""Outreach through the real stack: `python -m bot.outreach run --at` sends through the Twilio
stand-in, the engine gets the context, and the replies are conversations: "1" confirms with
no date of birth, "2" reschedules that appointment to the end, "3" cancels after asking and
rebooks, a no-show follow-up rebooks, a renewal prompt files the renewal, STOP between plan
and send suppresses, and Aisha (no SMS consent) gets nothing.

Its own stack (the shared one's demo patients are other tests' fixtures): the demo seed plus
a few synthetic patients, each with one message due.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice.models import (
    Appointment,
    AppointmentStatus,
    Patient,
    Prescription,
    Provider,
    RefillRequest,
    RefillStatus,
    Slot,
)
from bot.db import make_engine
from bot.outreach.enums import OutreachStatus, SuppressReason
from bot.outreach.models import OutreachMessage
from tests.integration.test_browser import browser  # noqa: F401 (a fixture)
from tests.integration.test_desk_teams_browser import desk_page
from tests.support.stack import ROOT, Stack, running_stack

# Replies of several messages go out as several SMS: wait for all of them.
SETTLE = 1.5


def turn(stack: Stack, phone: str, text: str, sid: str) -> str:
    return stack.sms_turn(phone, text, sid, settle=SETTLE)

pytestmark = pytest.mark.integration

NY = ZoneInfo("America/New_York")
MARIA, JAMES, AISHA = "+15555550101", "+15555550102", "+15555550103"
CONFIRMER, CANCELLER, STOPPER = "+15555550108", "+15555550105", "+15555550106"
RENEWER = "+15555550107"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack(redis_url="redis://127.0.0.1:6379/13",
                       extra_env={"OUTREACH_HOLDOUT_PERCENT": "0"}) as running:
        yield running


def db(stack: Stack) -> Session:
    return Session(make_engine(stack.env["DATABASE_URL"]))


def today() -> date:
    return datetime.now(NY).date()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NY)


def outreach_run(stack: Stack, moment: datetime) -> str:
    done = subprocess.run([str(ROOT / ".venv/bin/python"), "-m", "bot.outreach", "run", "--at",
                           moment.isoformat()], cwd=ROOT, env=stack.env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def add_patient(session: Session, n: int, phone: str, starts: datetime | None) -> Patient:
    """A synthetic patient (born 1990-01-0n), with one appointment with Dr. Shah if `starts`."""
    shah = session.scalars(select(Provider).where(Provider.name == "Dr. Priya Shah")).one()
    patient = Patient(mrn=f"MRNT{n:05d}", first_name="Test", last_name=f"Patient{n}",
                      date_of_birth=date(1990, 1, n), phone=phone, zip_code="02139",
                      sms_consent=True)
    if starts is None:
        session.add(patient)
        session.flush()
        return patient
    slot = session.scalars(select(Slot).where(Slot.provider_id == shah.id,
                                              Slot.starts_at == starts)).first()
    if slot is None:
        slot = Slot(provider_id=shah.id, starts_at=starts)
        session.add(slot)
    session.add(patient)
    session.flush()
    session.add(Appointment(patient_id=patient.id, provider_id=shah.id, slot_id=slot.id,
                            starts_at=starts, status=AppointmentStatus.booked,
                            booked_at=starts - timedelta(days=20)))
    return patient


def status_of(stack: Stack, phone: str, kind: str) -> tuple[OutreachStatus, SuppressReason | None]:
    with db(stack) as session:
        row = session.execute(
            select(OutreachMessage.status, OutreachMessage.reason)
            .join(Patient, Patient.id == OutreachMessage.patient_id)
            .where(Patient.phone == phone, OutreachMessage.kind == kind)
            .order_by(OutreachMessage.id).limit(1)).one()  # the first planned (72 h)
        return row[0], row[1]


def test_outreach_end_to_end(stack: Stack, browser: Browser) -> None:  # noqa: F811
    day = today()
    in_3_days = day + timedelta(days=3)
    with db(stack) as session:
        # A no-show for James yesterday (he has SMS consent; Aisha's is suppressed).
        kim = session.scalars(select(Provider).where(Provider.name == "Dr. Alan Kim")).one()
        james = session.scalars(select(Patient).where(Patient.phone == JAMES)).one()
        session.add(Appointment(patient_id=james.id, provider_id=kim.id,
                                starts_at=at(day - timedelta(days=1), 9, 30),
                                status=AppointmentStatus.no_show))
        add_patient(session, 4, CONFIRMER, at(in_3_days, 9, 0))
        add_patient(session, 5, CANCELLER, at(in_3_days, 9, 30))
        add_patient(session, 6, STOPPER, at(in_3_days, 14, 0))  # due today 14:00
        # No refills left, runs out in three days: a renewal prompt.
        renewer = add_patient(session, 7, RENEWER, None)
        maria_rx = session.scalars(select(Prescription).where(
            Prescription.medication == "Atorvastatin")).one()
        session.add(Prescription(patient_id=renewer.id, prescriber_id=maria_rx.prescriber_id,
                                 pharmacy_id=maria_rx.pharmacy_id, medication="Simvastatin",
                                 strength="10 mg", refills_left=0,
                                 supply_ends_on=day + timedelta(days=3)))
        session.commit()

    # --- as of today 10:45 ------------------------------------------------------------------
    t0 = at(day, 10, 45)
    summary = outreach_run(stack, t0)
    assert "sent 5" in summary, summary
    assert outreach_run(stack, t0).count("sent 0") == 1  # twice for one time: nothing more
    [reminder] = stack.outbox(MARIA)
    assert reminder["body"].startswith("Riverside Health: reminder of your appointment on ")
    assert "with Dr. Priya Shah at Riverside Primary Care" in reminder["body"]
    assert reminder["body"].endswith("1. Confirm\n2. Reschedule\n3. Cancel it\n"
                                     "Reply 1, 2, or 3.")
    # Sent by the real twilio client through the stand-in (its status, not the dev outbox's).
    assert reminder["status"] in ("queued", "sent", "delivered"), reminder
    assert stack.outbox(AISHA) == []
    assert status_of(stack, AISHA, "no_show_followup") == (OutreachStatus.suppressed,
                                                           SuppressReason.no_consent)

    # "Who is this?" gets the clinic's name and the same choices; then words confirm, with no
    # date of birth, as "1" does.
    asked = turn(stack, CONFIRMER, "who is this?", "SMor-c0")
    assert asked.startswith("This is the automated text assistant of Riverside Health."), asked
    assert "1. Confirm\n2. Reschedule\n3. Cancel it" in asked, asked
    reply = turn(stack, CONFIRMER, "yes, I'll be there", "SMor-c1")
    assert reply.startswith("Thank you, you're confirmed for "), reply
    assert "date of birth" not in reply
    with db(stack) as session:
        confirmed = session.scalars(select(Appointment.confirmed_at).join(Patient).where(
            Patient.phone == CONFIRMER)).one()
    assert confirmed is not None

    # "2" reschedules that appointment, after the date of birth, to the end.
    transcript = [("Riverside Health", reminder["body"])]
    for text, sid in (("2", "SMor-r1"), ("03/12/1984", "SMor-r2"), ("next week", "SMor-r3"),
                      ("1", "SMor-r4"), ("yes", "SMor-r5")):
        answer = turn(stack, MARIA, text, sid)
        transcript += [("Maria", text), ("Riverside Health", answer)]
    print("\n".join(f"{who}: {said}" for who, said in transcript))
    said = [t for who, t in transcript if who == "Riverside Health"]
    assert "date of birth" in said[1]
    assert "Which appointment" not in "".join(said)
    assert said[-1].startswith("Done! Your appointment is now "), said[-1]
    with db(stack) as session:
        moved = session.scalars(select(Appointment).join(Patient).where(
            Patient.phone == MARIA, Appointment.status == AppointmentStatus.booked)).one()
        assert moved.starts_at != at(in_3_days, 10, 30)

    # "3" asks first, cancels, and offers a new time, which is booked.
    assert "date of birth" in turn(stack, CANCELLER, "3", "SMor-x1")
    ask = turn(stack, CANCELLER, "01/05/1990", "SMor-x2")
    assert "Cancel your appointment on" in ask and "1. Yes, cancel it" in ask, ask
    done = turn(stack, CANCELLER, "1", "SMor-x3")
    assert "is cancelled. Would you like to book a new time?" in done and "1. Book a new time" in (
        done), done
    times = turn(stack, CANCELLER, "1", "SMor-x4")
    assert "next open times with Dr. Priya Shah" in times, times
    assert turn(stack, CANCELLER, "1", "SMor-x5").startswith("Done! You're booked for ")
    with db(stack) as session:
        states = sorted(s.value for s in session.scalars(
            select(Appointment.status).join(Patient).where(Patient.phone == CANCELLER)))
    assert states == ["booked", "cancelled"]

    # The no-show follow-up rebooks (after the date of birth).
    [follow_up] = stack.outbox(JAMES)
    assert "we missed you at your appointment with Dr. Alan Kim" in follow_up["body"]
    assert "date of birth" in turn(stack, JAMES, "1", "SMor-n1")
    offered = turn(stack, JAMES, "11/02/1975", "SMor-n2")
    assert "next open times with Dr. Alan Kim" in offered, offered
    assert turn(stack, JAMES, "2", "SMor-n3").startswith("Done! You're booked for ")

    # STOP between plan and send: planned at 10:45, due at 14:00, suppressed.
    assert status_of(stack, STOPPER, "appointment_reminder")[0] is OutreachStatus.planned
    turn(stack, STOPPER, "STOP", "SMor-s1")
    outreach_run(stack, at(day, 14, 5))
    assert status_of(stack, STOPPER, "appointment_reminder") == (OutreachStatus.suppressed,
                                                                 SuppressReason.opted_out)
    assert [m["body"][:22] for m in stack.outbox(STOPPER)] == ["You're unsubscribed fr"]

    # A renewal prompt's "1" files the renewal request (after the date of birth).
    [prompt] = stack.outbox(RENEWER)
    assert "Simvastatin 10 mg runs out" in prompt["body"], prompt
    assert "no refills left.\n\n1. Ask Dr. Priya Shah to renew" in prompt["body"], prompt
    assert "date of birth" in turn(stack, RENEWER, "1", "SMor-f1")
    filed = turn(stack, RENEWER, "01/07/1990", "SMor-f2")
    assert "I've asked your prescriber to renew Simvastatin 10 mg." in filed, filed
    with db(stack) as session:
        assert session.scalars(select(RefillRequest.status)).all() == [
            RefillStatus.renewal_requested]

    # The desk's Outreach view shows it all, to agents only.
    assert httpx.get(stack.bot_url + "/api/desk/outreach", timeout=10).status_code == 401
    view = stack.desk("GET", "/api/desk/outreach", stack.desk_login()).json()
    replied = {(r["patient"], r["reply"]) for r in view["rows"] if r["replied_at"]}
    assert ("Maria Lopez", "reschedule") in replied and ("Test Patient4", "confirm") in replied
    # The page, in Chromium: every time with the clinic's zone, the replies as they came.
    page = desk_page(browser, stack, stack.env["DESK_DEMO_EMAIL"])
    page.get_by_role("link", name="Outreach").click()
    rows = page.locator("#rows tr")
    expect(rows.first).to_be_visible()
    for due in page.locator("#rows tr td:first-child").all_inner_texts():
        assert re.search(r"\b(EST|EDT)$", due), due
    expect(rows.filter(has_text="Maria Lopez").filter(has_text="replied reschedule")
           ).to_have_count(1)
    (ROOT / "var" / "results").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ROOT / "var" / "results" / "desk-outreach.png"), full_page=True)
    page.context.close()
    # The transcript an agent would see holds the reminder and the reply.
    with db(stack) as session:
        from bot.conversations.models import TranscriptEntry

        texts = [e.text for e in session.scalars(
            select(TranscriptEntry).where(TranscriptEntry.conversation_id == f"sms:{MARIA}")
            .order_by(TranscriptEntry.at, TranscriptEntry.id))]
    assert texts[0] == reminder["body"] and texts[1].startswith('2 ("Reschedule")'), texts[:3]
