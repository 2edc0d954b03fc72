"""The conversation in Spanish end to end, through the real stack and signed Twilio webhooks:
Rosa Martínez (Spanish on her record) verifies and asks about her appointment; a reminder
sent in Spanish is answered "2" and the appointment moved; a patient mid-reschedule in
English texts "español" and finishes in Spanish; a Spanish emergency is answered with 911 in
Spanish and queued for the desk as an urgent handoff in Spanish.

Dates are checked against the appointment's and slots' own dates, written with the Spanish
day and month names below (not with the code under test's formatter).

Its own stack (outreach runs send to every demo patient with a reminder due, and a
reschedule moves demo appointments): the demo seed plus one synthetic Spanish patient.
"""

from __future__ import annotations

import os
import re
import time as clock
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.backoffice.models import Appointment, AppointmentStatus, Patient, Provider, Slot
from tests.integration.test_outreach import db, outreach_run, today
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.integration

NY = ZoneInfo("America/New_York")
ROSA, MARIA = "+15555550104", "+15555550101"
LUCIA = "+15555550171"  # synthetic, Spanish on her record, a reminder due
STRANGER = "+15555550172"  # no patient on file
# Replies of several messages go out as several SMS, not always within a second of each
# other on a busy machine: a reply is whole once no SMS has come for this long.
SETTLE = 3.0
DAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
          "septiembre", "octubre", "noviembre", "diciembre")
ASK_DOB = ("Antes de darle datos de su cuenta, necesito confirmar que es usted. Por favor "
           "responda con su fecha de nacimiento, por ejemplo 17 de marzo de 1990 o 03/17/1990.")
EMERGENCY = ("Si es una emergencia, llame al 911 ahora o vaya a una sala de emergencias. Si "
             "piensa en el suicidio o en hacerse daño, llame al 988 y oprima 2 para español, o "
             "mande un texto con la palabra AYUDA al 988, a cualquier hora.")


def spanish(moment: datetime) -> str:
    """"jueves 10 de diciembre, 9:00 a. m.": a moment in the clinic's time zone, in Spanish."""
    local = moment.astimezone(NY)
    hour = local.hour % 12 or 12
    period = "a. m." if local.hour < 12 else "p. m."
    return (f"{DAYS[local.weekday()]} {local.day} de {MONTHS[local.month - 1]}, "
            f"{hour}:{local.minute:02d} {period}")


def redis_db(url: str, db: int) -> str:
    """The same Redis server as `url`, another db."""
    return re.sub(r"/\d+$", "", url) + f"/{db}"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    shared = os.environ.get("STACK_REDIS_URL") or "redis://127.0.0.1:6379/14"
    with running_stack(redis_url=redis_db(shared, 3),
                       extra_env={"OUTREACH_HOLDOUT_PERCENT": "0"}) as running:
        yield running


def turn(stack: Stack, phone: str, text: str, sid: str) -> str:
    """The whole reply to one SMS: every message sent until none has come for SETTLE s."""
    before = len(stack.outbox(phone))
    stack.sms_turn(phone, text, sid, settle=0)
    count, quiet_since = len(stack.outbox(phone)), clock.monotonic()
    while clock.monotonic() - quiet_since < SETTLE:
        clock.sleep(0.1)
        if len(stack.outbox(phone)) != count:
            count, quiet_since = len(stack.outbox(phone)), clock.monotonic()
    return "\n".join(r["body"] for r in stack.outbox(phone)[before:])


def booked(stack: Stack, phone: str) -> datetime:
    """When the patient's one booked appointment starts."""
    with db(stack) as session:
        return session.scalars(select(Appointment.starts_at).join(Patient).where(
            Patient.phone == phone, Appointment.status == AppointmentStatus.booked)).one()


def numbered(reply: str) -> list[str]:
    """The choices of an SMS ("1. jueves 10 de diciembre, 9:00 a. m."), in order."""
    return re.findall(r"^\d+\. (.+)$", reply, flags=re.MULTILINE)


def test_rosa_checks_her_appointment_in_spanish(stack: Stack) -> None:
    """Written to in Spanish from the first message; her appointment's date in Spanish."""
    starts = booked(stack, ROSA)
    assert turn(stack, ROSA, "hola, ¿cuándo es mi próxima cita?", "SMes-a1") == ASK_DOB
    reply = turn(stack, ROSA, "30 de septiembre de 1968", "SMes-a2")
    assert reply == (
        "Gracias, ya confirmamos su identidad.\n\n"
        "Estas son sus próximas citas:\n"
        # "•" goes out as "-" (GSM-7 has no bullet)
        f"- {spanish(starts)} con Dr. Priya Shah (primary care) en Riverside Primary Care, "
        "100 Main St, Suite 2"), reply
    # Her balance, as Spanish writes US dollars.
    assert "$62.00" in turn(stack, ROSA, "cuánto debo", "SMes-a3")


def test_spanish_reminder_answered_2_is_rescheduled_in_spanish(stack: Stack) -> None:
    day = today()
    starts = datetime.combine(day + timedelta(days=3), time(9, 0), tzinfo=NY)
    with db(stack) as session:
        shah = session.scalars(select(Provider).where(Provider.name == "Dr. Priya Shah")).one()
        slot = session.scalars(select(Slot).where(Slot.provider_id == shah.id,
                                                  Slot.starts_at == starts)).first()
        if slot is None:  # a weekend: no open slots that day
            slot = Slot(provider_id=shah.id, starts_at=starts)
            session.add(slot)
        lucia = Patient(mrn="MRNES00001", first_name="Lucía", last_name="Prueba",
                        date_of_birth=date(1990, 1, 5), phone=LUCIA, zip_code="33125",
                        sms_consent=True, preferred_language="es")
        session.add(lucia)
        session.flush()
        session.add(Appointment(patient_id=lucia.id, provider_id=shah.id, slot_id=slot.id,
                                starts_at=starts, status=AppointmentStatus.booked,
                                booked_at=starts - timedelta(days=20)))
        session.commit()

    outreach_run(stack, datetime.combine(day, time(10, 45), tzinfo=NY))
    [reminder] = stack.outbox(LUCIA)
    assert reminder["body"] == (
        f"Riverside Health: le recordamos su cita del {spanish(starts)} con Dr. Priya Shah "
        "en Riverside Primary Care, 100 Main St, Suite 2.\n\n"
        "1. Confirmar\n2. Cambiar la cita\n3. Cancelarla\nResponda 1, 2 o 3."), reminder

    assert turn(stack, LUCIA, "2", "SMes-r1") == ASK_DOB
    asked = turn(stack, LUCIA, "5 de enero de 1990", "SMes-r2")
    assert f"Busquemos una nueva hora para su cita del {spanish(starts)}" in asked, asked
    assert "¿Cuándo le queda mejor?" in asked, asked
    offered = turn(stack, LUCIA, "la próxima semana", "SMes-r3")
    assert "¿Cuál le queda bien?" in offered, offered
    choices = numbered(offered)
    assert choices and choices[-1] == "Ninguno de estos", offered
    with db(stack) as session:
        open_times = {spanish(s) for s in session.scalars(select(Slot.starts_at))}
    assert set(choices[:-1]) <= open_times, (choices, offered)
    confirm = turn(stack, LUCIA, "1", "SMes-r4")
    assert confirm.startswith(f"¿Cambio su cita al {choices[0]}?"), confirm
    assert numbered(confirm) == ["Sí", "No"], confirm
    done = turn(stack, LUCIA, "sí", "SMes-r5")
    moved = booked(stack, LUCIA)
    assert moved != starts and spanish(moved) == choices[0]
    assert done.startswith(f"¡Listo! Ahora su cita es el {choices[0]} con Dr. Priya Shah"), done


def test_switch_to_spanish_mid_reschedule(stack: Stack) -> None:
    """Maria (English on her record) is offered times, texts "español", is asked the same
    question in Spanish with the same times, and finishes in Spanish."""
    assert "date of birth" in turn(stack, MARIA, "I need to reschedule my appointment",
                                   "SMes-s1")
    assert "When would work better" in turn(stack, MARIA, "03/12/1984", "SMes-s2")
    offered = turn(stack, MARIA, "next week", "SMes-s3")
    assert "Which one works for you?" in offered, offered
    english = numbered(offered)
    switched = turn(stack, MARIA, "español", "SMes-s4")
    assert switched.startswith(
        "De acuerdo, seguimos en español.\n\n"
        "Estos son los horarios disponibles más cercanos. ¿Cuál le queda bien?\n\n"), switched
    # The same choices, answered by number in Spanish.
    assert len(numbered(switched)) == len(english) >= 2, switched
    assert switched.endswith(f"Responda {', '.join(map(str, range(1, len(english))))} o "
                             f"{len(english)}."), switched
    confirm = turn(stack, MARIA, "1", "SMes-s5")
    assert re.fullmatch(r"¿Cambio su cita al .+\?\n\n1\. Sí\n2\. No\nResponda 1 o 2\.",
                        confirm), confirm
    done = turn(stack, MARIA, "sí", "SMes-s6")
    moved = booked(stack, MARIA)
    assert done.startswith(f"¡Listo! Ahora su cita es el {spanish(moved)} con Dr. Priya Shah"), (
        done)


@pytest.mark.xfail(strict=True, reason="the question asked again after a switch offers the "
                   "choices first built (times written in the old language), and the "
                   "confirmation then quotes the chosen one as it was written")
def test_times_offered_again_after_a_switch_are_in_the_new_language(stack: Stack) -> None:
    phone = "+15555550102"  # James Carter, English on his record
    assert "date of birth" in turn(stack, phone, "I need to reschedule my appointment",
                                   "SMes-t1")
    assert "When would work better" in turn(stack, phone, "11/02/1975", "SMes-t2")
    assert "Which one works for you?" in turn(stack, phone, "next week", "SMes-t3")
    switched = turn(stack, phone, "español", "SMes-t4")
    with db(stack) as session:
        open_times = {spanish(s) for s in session.scalars(select(Slot.starts_at))}
    choices = numbered(switched)
    assert choices[-1] == "Ninguno de estos" and set(choices[:-1]) <= open_times, switched


def test_spanish_emergency_is_answered_in_spanish_and_queued_urgent(stack: Stack) -> None:
    """From a number with no conversation and no record: the words alone say Spanish."""
    reply = turn(stack, STRANGER, "tengo un dolor muy fuerte en el pecho", "SMes-e1")
    assert reply == EMERGENCY + ("\n\nTambién avisé a nuestro equipo médico, y alguien se "
                                 "comunicará con usted de inmediato."), reply
    desk = stack.desk_login()
    queue = stack.desk("GET", "/api/desk/handoffs", desk).json()
    urgent = [q for q in queue if q["urgency"] == "urgent" and q["channel"] == "sms"]
    assert len(urgent) == 1, queue
    assert (urgent[0]["reason"], urgent[0]["language"]) == ("emergency", "es"), urgent
    assert queue[0]["id"] == urgent[0]["id"], "urgent first"
    detail = stack.desk("GET", f"/api/desk/handoffs/{urgent[0]['id']}", desk).json()
    spoken = [t["text"] for t in detail["transcript"]]
    assert "tengo un dolor muy fuerte en el pecho" in spoken, spoken
    assert any(t.startswith(EMERGENCY) for t in spoken), spoken
