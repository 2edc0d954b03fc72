"""Desk tools verbs against real SQLite and PostgreSQL: notes, saved replies, follow-ups
(scheduling, quiet hours, consent, delivery once), closed-conversation search."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents.models import Agent
from bot.audit.models import AuditEvent
from bot.backoffice import billing
from bot.backoffice.consent import opt_out
from bot.backoffice.enums import PaymentPlanHold
from bot.backoffice.models import Patient
from bot.clock import clinic_today
from bot.conversations import transcript
from bot.desk import service as desk
from bot.desk.tools import service
from bot.desk.tools.delivery import deliver_due
from bot.desk.tools.models import FollowUp, SavedReply
from bot.desk.tools.schemas import HistorySearch, SavedReplyIn
from bot.handoff import service as handoffs
from bot.handoff.models import Disposition, Handoff
from bot.handoff.schemas import FollowUpIn, HandoffRequest
from bot.text import money
from channels.models import SmsMessage

NY = ZoneInfo("America/New_York")


def clinic_time(days_ahead: int, hour: int, minute: int = 0) -> datetime:
    """A clinic wall-clock time `days_ahead` days from today, in UTC: after anything the test
    does at the real now, whatever today is."""
    day = datetime.now(NY).date() + timedelta(days=days_ahead)
    return datetime.combine(day, time(hour, minute), NY).astimezone(UTC)


def patient_id(db: Session, last_name: str) -> int:
    return db.scalars(select(Patient.id).where(Patient.last_name == last_name)).one()


def open_handoff(db: Session, conv: str, last_name: str | None = None,
                 language: str = "en") -> Handoff:
    req = HandoffRequest.model_validate({
        "conversation_id": conv, "reason": "requested", "verified": last_name is not None,
        "patient_id": patient_id(db, last_name) if last_name else None, "language": language})
    handoff, _ = handoffs.request_handoff(db, req, clinic_today())
    return handoff


def texts_to(db: Session, phone: str) -> list[str]:
    return list(db.scalars(select(SmsMessage.body).where(SmsMessage.to_number == phone)
                           .order_by(SmsMessage.id)))


# --- notes ------------------------------------------------------------------------------------

def test_notes_are_kept_in_order_with_their_author(seeded: Session, agents) -> None:
    ana, ben = agents
    handoff = open_handoff(seeded, "sms:+15555550101", "Lopez")
    service.add_note(seeded, handoff.id, ana, "Asked about the lab charge; insurer called.")
    service.add_note(seeded, handoff.id, ben, "Refund approved", kind="transfer")
    notes = service.list_notes(seeded, handoff.id)
    assert [(n.author, n.text, n.kind) for n in notes] == [
        ("Ana", "Asked about the lab charge; insurer called.", "note"),
        ("Ben", "Refund approved", "transfer")]
    # Private: nothing of it reaches the patient or the transcript.
    assert texts_to(seeded, "+15555550101") == []
    assert transcript.read(seeded, handoff.conversation_id) == []


def test_a_note_on_an_unknown_handoff_is_refused(seeded: Session, agents) -> None:
    with pytest.raises(handoffs.HandoffNotFound):
        service.add_note(seeded, 99999, agents[0], "x")


# --- saved replies ----------------------------------------------------------------------------

def test_placeholders_are_filled_from_a_verified_handoff(seeded: Session, agents) -> None:
    ana = agents[0]
    handoff = open_handoff(seeded, "sms:+15555550101", "Lopez")
    service.seed_demo_replies(seeded)
    replies = {r.shortcut: r for r in service.list_saved_replies(seeded, ana, handoff.id)}
    first = handoff.summary["upcoming_appointments"][0]  # type: ignore[index]
    starts = datetime.fromisoformat(first["starts_at"]).astimezone(NY)
    clock = f"{starts.hour % 12 or 12}:{starts:%M} {'AM' if starts.hour < 12 else 'PM'}"
    assert replies["appt"].text == (
        f"Hi Maria, your appointment with Dr. Priya Shah is on {starts:%a}, {starts:%b} "
        f"{starts.day} at {clock}. Reply here if that time no longer works.")
    assert replies["appt"].missing == []
    assert replies["hello"].text.startswith("Hi Maria, this is Ana from Riverside Health.")


def test_an_unverified_handoff_fills_no_patient_details(seeded: Session, agents) -> None:
    handoff = open_handoff(seeded, "sms:+15555550101")
    service.seed_demo_replies(seeded)
    replies = {r.shortcut: r for r in service.list_saved_replies(seeded, agents[0], handoff.id)}
    assert replies["hello"].text.startswith("Hi {first_name}, this is Ana")
    assert replies["hello"].missing == ["first_name"]


def test_saved_replies_refuse_unknown_placeholders_and_taken_shortcuts(seeded: Session,
                                                                       agents) -> None:
    ana = agents[0]
    with pytest.raises(service.InvalidRequest, match=r"Unknown placeholder \{ssn\}"):
        service.create_saved_reply(seeded, ana, SavedReplyIn(shortcut="x", title="X",
                                                             body="Your {ssn}"))
    service.create_saved_reply(seeded, ana, SavedReplyIn(shortcut="thanks", title="Thanks",
                                                         body="Thanks, {first_name}!"))
    with pytest.raises(service.ToolConflict):
        service.create_saved_reply(seeded, ana, SavedReplyIn(shortcut="thanks", title="T",
                                                             body="again"))


def test_saved_replies_of_other_teams_are_not_listed(seeded: Session, agents) -> None:
    ana = agents[0]
    ana.teams = ["pharmacy"]
    seeded.commit()
    service.seed_demo_replies(seeded)
    shortcuts = [r.shortcut for r in service.list_saved_replies(seeded, ana)]
    assert shortcuts == ["call", "hello"]  # every team's; not billing's "plan", scheduling's "appt"
    with pytest.raises(service.NotYourTeam):
        service.create_saved_reply(seeded, ana, SavedReplyIn(shortcut="b", title="B",
                                                             body="b", team="billing"))


def test_a_plan_reply_follows_billings_answer_for_the_patient(seeded: Session, agents) -> None:
    """/plan is not offered to Maria ($125.40, under the minimum), with the card's words
    for why; Aisha ($310.00) gets billing's own options; an unverified visitor, nothing."""
    ana = agents[0]
    service.seed_demo_replies(seeded)
    service.create_saved_reply(seeded, ana, SavedReplyIn(
        shortcut="months", title="Plan amounts", body="That could be {plan_monthly}."))
    maria = open_handoff(seeded, "sms:+15555550101", "Lopez")
    replies = {r.shortcut: r for r in service.list_saved_replies(seeded, ana, maria.id)}
    for shortcut in ("plan", "months"):
        assert (replies[shortcut].available, replies[shortcut].text,
                replies[shortcut].unavailable_reason) == (
            False, None, "Not eligible: balance under the $150.00 minimum")
    assert maria.summary["payment_plan"] == replies["plan"].unavailable_reason  # the card
    assert replies["hello"].available and replies["hello"].text is not None

    aisha = open_handoff(seeded, "sms:+15555550103", "Khan")
    replies = {r.shortcut: r for r in service.list_saved_replies(seeded, ana, aisha.id)}
    due = date.fromisoformat(aisha.summary["balance_due_date"])
    assert replies["plan"].available and replies["plan"].missing == []
    assert replies["plan"].text == (
        f"Aisha, your balance is $310.00, due {due:%a}, {due:%b} {due.day}. We can spread it "
        "over 3, 6 or 12 months with no fees. Would you like me to set that up?")
    offer = billing.payment_plan_options(seeded, aisha.patient_id, clinic_today())
    assert replies["months"].text == "That could be " + ", ".join(
        f"{money(o.monthly_cents)} a month over {o.months} months"
        for o in offer.options[:-1]) + f" or {money(offer.options[-1].monthly_cents)} a month " \
        f"over {offer.options[-1].months} months."

    visitor = open_handoff(seeded, "web:visitor1")
    replies = {r.shortcut: r for r in service.list_saved_replies(seeded, ana, visitor.id)}
    assert (replies["plan"].available, replies["plan"].unavailable_reason) == (
        False, "Verify the patient first: this reply depends on their account.")


def test_a_reply_is_offered_on_the_record_as_it_is_now(seeded: Session, agents) -> None:
    """Billing took plans off Aisha's account after she asked for a person: /plan is no
    longer offered, though the handoff's summary still says she was eligible."""
    ana = agents[0]
    service.seed_demo_replies(seeded)
    aisha = open_handoff(seeded, "sms:+15555550103", "Khan")
    assert aisha.summary["payment_plan_eligible"] is True
    record = seeded.get(Patient, aisha.patient_id)
    record.payment_plan_hold = PaymentPlanHold.in_collections
    seeded.commit()
    replies = {r.shortcut: r for r in service.list_saved_replies(seeded, ana, aisha.id)}
    assert (replies["plan"].available, replies["plan"].unavailable_reason) == (
        False, "Not eligible: in collections")


def test_a_replys_own_condition_decides_whether_it_is_offered(seeded: Session,
                                                              agents) -> None:
    ana = agents[0]
    service.create_saved_reply(seeded, ana, SavedReplyIn(
        shortcut="see", title="See you", body="See you on {appointment_time}.",
        condition="has_appointment"))
    service.create_saved_reply(seeded, ana, SavedReplyIn(
        shortcut="owe", title="Balance", body="You owe {balance}.", condition="has_balance"))
    maria = open_handoff(seeded, "sms:+15555550101", "Lopez")
    aisha = open_handoff(seeded, "sms:+15555550103", "Khan")
    james = open_handoff(seeded, "sms:+15555550102", "Carter")

    def offered(handoff: Handoff) -> dict[str, str | None]:
        return {r.shortcut: r.unavailable_reason
                for r in service.list_saved_replies(seeded, ana, handoff.id)}

    assert offered(maria) == {"see": None, "owe": None}
    assert offered(aisha) == {"see": "No upcoming appointment on file.", "owe": None}
    assert offered(james) == {"see": None, "owe": "Nothing owed on the account."}


def test_saved_replies_are_edited_and_deleted_with_an_audit_row(seeded: Session,
                                                                agents) -> None:
    ana, ben = agents
    reply = service.create_saved_reply(seeded, ana, SavedReplyIn(
        shortcut="thanks", title="Thanks", body="Thanks, {first_name}!", team="billing"))
    service.create_saved_reply(seeded, ana, SavedReplyIn(shortcut="bye", title="Bye",
                                                         body="Bye!", team="billing"))
    edited = service.update_saved_reply(seeded, ben, reply.id, SavedReplyIn(
        shortcut="thanks", title="Thanks", body="Thanks, {first_name}. Anything else?",
        team="billing", condition="verified"))
    assert (edited.body, edited.condition, edited.updated_by) == (
        "Thanks, {first_name}. Anything else?", "verified", ben.id)
    # Refused: a taken shortcut, an unknown placeholder, a team the agent is not in.
    with pytest.raises(service.ToolConflict):
        service.update_saved_reply(seeded, ben, reply.id, SavedReplyIn(
            shortcut="bye", title="T", body="b", team="billing"))
    with pytest.raises(service.InvalidRequest, match=r"Unknown placeholder \{ssn\}"):
        service.update_saved_reply(seeded, ben, reply.id, SavedReplyIn(
            shortcut="thanks", title="T", body="{ssn}", team="billing"))
    ben.teams = ["pharmacy"]
    seeded.commit()
    with pytest.raises(service.NotYourTeam):
        service.update_saved_reply(seeded, ben, reply.id, SavedReplyIn(
            shortcut="thanks", title="T", body="b", team="pharmacy"))
    with pytest.raises(service.NotYourTeam):
        service.delete_saved_reply(seeded, ben, reply.id)
    service.delete_saved_reply(seeded, ana, reply.id)
    assert [r.shortcut for r in service.list_saved_replies(seeded, ana)] == ["bye"]
    with pytest.raises(handoffs.HandoffNotFound):
        service.delete_saved_reply(seeded, ana, reply.id)
    rows = [(r.action, r.actor_id, r.fields, r.reason, r.patient_id) for r in seeded.scalars(
        select(AuditEvent).where(AuditEvent.action.like("saved_reply_%"))
        .order_by(AuditEvent.id))]
    assert rows == [
        ("saved_reply_created", str(ana.id), "shortcut,title,body,team",
         f"saved reply {reply.id} /thanks (billing)", None),
        ("saved_reply_created", str(ana.id), "shortcut,title,body,team",
         f"saved reply {reply.id + 1} /bye (billing)", None),
        ("saved_reply_updated", str(ben.id), "body,condition",
         f"saved reply {reply.id} /thanks (billing)", None),
        ("saved_reply_deleted", str(ana.id), "shortcut,title,body,team,condition",
         f"saved reply {reply.id} /thanks (billing)", None)]


def test_the_demo_plan_reply_first_seeded_is_brought_in_line(seeded: Session) -> None:
    seeded.add(SavedReply(team="billing", shortcut="plan", title="Payment plan",
                          body=service.OLD_DEMO_PLAN, created_at=datetime.now(UTC)))
    seeded.commit()
    service.seed_demo_replies(seeded)
    plan = seeded.scalars(select(SavedReply).where(SavedReply.shortcut == "plan")).one()
    assert "{plan_options}" in plan.body and "3, 6 or 12" not in plan.body


# Spanish day and month names, written out here rather than asked of Babel.
DIAS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
MESES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
         "septiembre", "octubre", "noviembre", "diciembre")


def dia(day: date) -> str:
    return f"{DIAS[day.weekday()]} {day.day} de {MESES[day.month - 1]}"


def test_a_spanish_conversation_gets_each_replys_spanish_text_in_spanish_formats(
        seeded: Session, agents) -> None:
    ana = agents[0]
    service.seed_demo_replies(seeded)
    maria = open_handoff(seeded, "sms:+15555550101", "Lopez", language="es")
    replies = {r.shortcut: r for r in service.list_saved_replies(seeded, ana, maria.id)}
    first = maria.summary["upcoming_appointments"][0]  # type: ignore[index]
    starts = datetime.fromisoformat(first["starts_at"]).astimezone(NY)
    clock = (f"{starts.hour % 12 or 12}:{starts:%M} "
             f"{'a. m.' if starts.hour < 12 else 'p. m.'}")
    appt = replies["appt"]
    assert (appt.language, appt.language_missing, appt.title, appt.missing) == (
        "es", None, "Confirmar la cita", [])
    assert appt.text == (
        f"Hola, Maria. Su cita con Dr. Priya Shah es el {dia(starts.date())}, {clock} Si ese "
        "horario ya no le queda bien, respóndame por aquí.")  # "a. m." ends the sentence
    assert replies["hello"].text == (
        "Hola, Maria. Le saluda Ana, de Riverside Health. Tengo aquí sus mensajes, así que no "
        "necesita repetir nada. Permítame un momento mientras lo reviso.")

    aisha = open_handoff(seeded, "sms:+15555550103", "Khan", language="es")
    replies = {r.shortcut: r for r in service.list_saved_replies(seeded, ana, aisha.id)}
    due = date.fromisoformat(aisha.summary["balance_due_date"])
    assert (replies["plan"].language, replies["plan"].text) == ("es", (
        f"Aisha, su saldo es de $310.00 y vence el {dia(due)}. Podemos dividirlo en 3, 6 o 12 "
        "meses, sin cargos adicionales. ¿Quiere que se lo prepare?"))
    # The same conversation in English: the English text, English formats.
    english = open_handoff(seeded, "web:aisha-en", "Khan")
    plan = {r.shortcut: r for r in service.list_saved_replies(seeded, ana, english.id)}["plan"]
    assert (plan.language, plan.language_missing, plan.title) == ("en", None, "Payment plan")
    assert plan.text is not None and plan.text.startswith(
        f"Aisha, your balance is $310.00, due {due:%a}, {due:%b} {due.day}. We can spread it "
        "over 3, 6 or 12 months")


def test_a_value_ending_in_a_full_stop_takes_the_bodys_one() -> None:
    values = {"appointment_time": "martes 8 de diciembre, 10:30 a. m.",
              "appointment_provider": "Dr. Priya Shah"}
    assert service.fill("Su cita es el {appointment_time}. Gracias.", values) == (
        "Su cita es el martes 8 de diciembre, 10:30 a. m. Gracias.", [])
    assert service.fill("El {appointment_time}, con {appointment_provider}.", values) == (
        "El martes 8 de diciembre, 10:30 a. m., con Dr. Priya Shah.", [])
    assert service.fill("At {appointment_time}. {first_name}.", {
        "appointment_time": "Tue, Dec 8 at 3:00 PM"}) == (
        "At Tue, Dec 8 at 3:00 PM. {first_name}.", ["first_name"])


def test_a_reply_without_spanish_text_is_offered_in_english_and_flagged(seeded: Session,
                                                                        agents) -> None:
    ana = agents[0]
    service.create_saved_reply(seeded, ana, SavedReplyIn(
        shortcut="owe", title="Balance", body="You owe {balance}, due {balance_due_date}."))
    service.create_saved_reply(seeded, ana, SavedReplyIn(
        shortcut="months", title="Plan amounts", body="That could be {plan_monthly}.",
        texts={"es": {"title": "Montos del plan", "body": "Podría ser {plan_monthly}."}}))
    # Plan placeholders in the Spanish text only still make it a plan reply.
    service.create_saved_reply(seeded, ana, SavedReplyIn(
        shortcut="ask", title="Ask", body="Would a plan help?",
        texts={"es": {"title": "Preguntar", "body": "¿Le serviría {plan_options}?"}}))
    aisha = open_handoff(seeded, "sms:+15555550103", "Khan", language="es")
    replies = {r.shortcut: r for r in service.list_saved_replies(seeded, ana, aisha.id)}
    due = date.fromisoformat(aisha.summary["balance_due_date"])
    owe = replies["owe"]
    assert (owe.available, owe.language, owe.language_missing, owe.title, owe.text) == (
        True, "en", "es", "Balance", f"You owe $310.00, due {due:%a}, {due:%b} {due.day}.")
    offer = billing.payment_plan_options(seeded, aisha.patient_id, clinic_today())
    amounts = [f"{money(o.monthly_cents)} al mes durante {o.months} meses"
               for o in offer.options]
    assert (replies["months"].language, replies["months"].language_missing,
            replies["months"].text) == (
        "es", None, "Podría ser " + ", ".join(amounts[:-1]) + " o " + amounts[-1] + ".")
    assert replies["ask"].text == "¿Le serviría 3, 6 o 12 meses?"

    maria = open_handoff(seeded, "sms:+15555550101", "Lopez", language="es")
    replies = {r.shortcut: r for r in service.list_saved_replies(seeded, ana, maria.id)}
    for shortcut in ("ask", "months"):
        assert (replies[shortcut].available, replies[shortcut].unavailable_reason) == (
            False, "Not eligible: balance under the $150.00 minimum")
    # Flagged whether offered or not; English conversations flag nothing.
    assert replies["owe"].language_missing == "es"
    james = open_handoff(seeded, "sms:+15555550102", "Carter")
    assert [(r.shortcut, r.language, r.language_missing) for r in
            service.list_saved_replies(seeded, ana, james.id)] == [
        ("ask", "en", None), ("months", "en", None), ("owe", "en", None)]


def test_texts_in_other_languages_are_checked_kept_and_audited(seeded: Session,
                                                               agents) -> None:
    ana, ben = agents
    with pytest.raises(service.InvalidRequest, match=r"Unknown placeholder \{nombre\}"):
        service.create_saved_reply(seeded, ana, SavedReplyIn(
            shortcut="hi", title="Hi", body="Hi {first_name}!",
            texts={"es": {"title": "Hola", "body": "¡Hola, {nombre}!"}}))
    reply = service.create_saved_reply(seeded, ana, SavedReplyIn(
        shortcut="hi", title="Hi", body="Hi {first_name}!",
        texts={"es": {"title": "Hola", "body": "¡Hola, {first_name}!"}}))
    assert reply.texts == {"es": {"title": "Hola", "body": "¡Hola, {first_name}!"}}
    [listed] = service.list_saved_replies(seeded, ana)
    assert (listed.title, listed.body, listed.texts["es"].body) == (
        "Hi", "Hi {first_name}!", "¡Hola, {first_name}!")

    edited = service.update_saved_reply(seeded, ben, reply.id, SavedReplyIn(
        shortcut="hi", title="Hi", body="Hi {first_name}!",
        texts={"es": {"title": "Hola", "body": "Hola, {first_name}. ¿En qué le ayudo?"},
               "vi": {"title": "Xin chào", "body": "Xin chào {first_name}!"}}))
    assert sorted(edited.texts) == ["es", "vi"]
    service.update_saved_reply(seeded, ben, reply.id, SavedReplyIn(
        shortcut="hi", title="Hello", body="Hi {first_name}!",
        texts={"es": {"title": "Hola", "body": "Hola, {first_name}. ¿En qué le ayudo?"}}))
    service.delete_saved_reply(seeded, ana, reply.id)
    rows = [(r.action, r.actor_id, r.fields) for r in seeded.scalars(
        select(AuditEvent).where(AuditEvent.action.like("saved_reply_%"))
        .order_by(AuditEvent.id))]
    assert rows == [
        ("saved_reply_created", str(ana.id), "shortcut,title,body,es.title,es.body"),
        ("saved_reply_updated", str(ben.id), "es.body,vi.title,vi.body"),
        ("saved_reply_updated", str(ben.id), "title,vi.title,vi.body"),
        ("saved_reply_deleted", str(ana.id),
         "shortcut,title,body,team,condition,es.title,es.body")]


def test_english_is_the_title_and_body_not_another_text() -> None:
    with pytest.raises(ValueError, match="English is the title and body"):
        SavedReplyIn(shortcut="x", title="X", body="x",
                     texts={"en": {"title": "X", "body": "x"}})
    with pytest.raises(ValueError, match="should match pattern"):
        SavedReplyIn(shortcut="x", title="X", body="x",
                     texts={"spanish": {"title": "X", "body": "x"}})


def test_the_demo_replies_have_spanish_and_old_dev_copies_get_it(seeded: Session) -> None:
    # A dev database seeded before, with /call as seeded and /hello edited by an agent.
    for team, shortcut, title, body, _, _ in service.DEMO_REPLIES:
        if shortcut in ("call", "hello"):
            seeded.add(SavedReply(team=team, shortcut=shortcut, title=title,
                                  body=body if shortcut == "call" else "Hello!",
                                  created_at=datetime.now(UTC)))
    seeded.commit()
    assert service.seed_demo_replies(seeded) == 2
    texts = {r.shortcut: r.texts for r in seeded.scalars(select(SavedReply))}
    assert texts == {
        "call": {"es": {"title": "Llámenos", "body": (
            "Si le resulta más fácil hablar, llámenos al {clinic_phone}. Mencione este chat y "
            "seguimos donde lo dejamos.")}},
        "hello": {},  # an agent's words are left alone
        "appt": {"es": {"title": "Confirmar la cita", "body": (
            "Hola, {first_name}. Su cita con {appointment_provider} es el {appointment_time}. "
            "Si ese horario ya no le queda bien, respóndame por aquí.")}},
        "plan": {"es": {"title": "Plan de pagos", "body": (
            "{first_name}, su saldo es de {balance} y vence el {balance_due_date}. Podemos "
            "dividirlo en {plan_options}, sin cargos adicionales. ¿Quiere que se lo prepare?")}}}


# --- quiet hours ------------------------------------------------------------------------------

@pytest.mark.parametrize(("local", "expected"), [
    (datetime(2026, 12, 1, 7, 59, tzinfo=NY), datetime(2026, 12, 1, 8, 0, tzinfo=NY)),
    (datetime(2026, 12, 1, 8, 0, tzinfo=NY), datetime(2026, 12, 1, 8, 0, tzinfo=NY)),
    (datetime(2026, 12, 1, 20, 59, tzinfo=NY), datetime(2026, 12, 1, 20, 59, tzinfo=NY)),
    (datetime(2026, 12, 1, 21, 0, tzinfo=NY), datetime(2026, 12, 2, 8, 0, tzinfo=NY)),
    (datetime(2026, 12, 1, 23, 30, tzinfo=NY), datetime(2026, 12, 2, 8, 0, tzinfo=NY)),
    # The night the clocks change: still 8:00 local.
    (datetime(2026, 3, 7, 22, 0, tzinfo=NY), datetime(2026, 3, 8, 8, 0, tzinfo=NY)),
])
def test_texts_wait_for_the_clinics_daytime(local: datetime, expected: datetime) -> None:
    assert service.next_send_time(local.astimezone(UTC), NY) == expected.astimezone(UTC)


# --- follow-ups -------------------------------------------------------------------------------

def close_with_follow_up(db: Session, handoff: Handoff, agent: Agent, due: datetime,
                         what: str = "Check the refund for the lab charge") -> str:
    handoffs.accept(db, handoff.id, agent)
    _, notice = desk.close(db, handoff.id, agent, Disposition.follow_up,
                           FollowUpIn(what=what, due_at=due))
    return notice.text


def test_a_follow_up_close_tells_who_and_by_when_and_queues_a_task(seeded: Session,
                                                                   agents) -> None:
    ana = agents[0]
    handoff = open_handoff(seeded, "sms:+15555550101", "Lopez")
    due = (datetime.now(NY) + timedelta(days=2)).replace(hour=15, minute=0, second=0,
                                                         microsecond=0)
    notice = close_with_follow_up(seeded, handoff, ana, due.replace(tzinfo=None))  # clinic time
    assert notice == (f"Ana from our patient support team will text you by {due:%a}, {due:%b} "
                      f"{due.day} at 3:00 PM. Until then, I'm the assistant again if you need "
                      "anything else.")
    [task] = service.list_follow_ups(seeded, ana, datetime.now(UTC))
    assert (task.what, task.team, task.status, task.due) == (
        "Check the refund for the lab charge", "general", "open", False)
    assert task.due_at == due.astimezone(UTC)
    # It comes due.
    [later] = service.list_follow_ups(seeded, ana, due.astimezone(UTC) + timedelta(minutes=1))
    assert later.due is True
    # The next agent sees what was promised.
    assert [n.kind for n in service.list_notes(seeded, handoff.id)] == ["follow_up"]


def test_a_follow_up_for_a_patient_without_sms_consent_promises_a_call(seeded: Session,
                                                                       agents) -> None:
    handoff = open_handoff(seeded, "sms:+15555550103", "Khan")  # no SMS consent on file
    notice = close_with_follow_up(seeded, handoff, agents[0],
                                  datetime.now(UTC) + timedelta(hours=5))
    assert " will call you by " in notice


def test_a_follow_up_must_be_in_the_future_and_reachable(seeded: Session, agents) -> None:
    ana = agents[0]
    handoff = open_handoff(seeded, "sms:+15555550101", "Lopez")
    handoffs.accept(seeded, handoff.id, ana)
    with pytest.raises(service.InvalidRequest, match="has passed"):
        desk.close(seeded, handoff.id, ana, Disposition.follow_up,
                   FollowUpIn(what="Call back", due_at=datetime.now(UTC) - timedelta(hours=1)))
    assert handoffs.get(seeded, handoff.id).status.value == "active"  # nothing half-done
    web = open_handoff(seeded, "web:anon1")
    handoffs.accept(seeded, web.id, ana)
    with pytest.raises(service.InvalidRequest, match="not verified"):
        desk.close(seeded, web.id, ana, Disposition.follow_up,
                   FollowUpIn(what="Call back", due_at=datetime.now(UTC) + timedelta(hours=1)))


def test_the_follow_up_text_waits_for_daytime_and_goes_once(seeded: Session, agents) -> None:
    ana = agents[0]
    handoff = open_handoff(seeded, "sms:+15555550101", "Lopez")
    close_with_follow_up(seeded, handoff, ana, datetime.now(UTC) + timedelta(days=1))
    [task] = service.list_follow_ups(seeded, ana, datetime.now(UTC))
    night = clinic_time(1, 22, 15)
    item = service.write_follow_up(seeded, task.id, ana, "Hi Maria, your refund is approved.",
                                   night)
    morning = clinic_time(2, 8)
    assert (item.status, item.send_at) == ("scheduled", morning)

    assert asyncio.run(deliver_due(night + timedelta(hours=1))) == 0  # still night
    assert texts_to(seeded, "+15555550101") == []
    assert asyncio.run(deliver_due(morning)) == 1
    assert asyncio.run(deliver_due(morning + timedelta(minutes=1))) == 0  # once
    assert texts_to(seeded, "+15555550101")[-1] == "Hi Maria, your refund is approved."
    seeded.expire_all()
    row = seeded.get(FollowUp, task.id)
    assert row is not None and (row.status, row.sent_at) == ("sent", morning)
    assert service.list_follow_ups(seeded, ana, morning) == []  # off the team's queue
    # The transcript shows it, for whoever opens the conversation next.
    said = transcript.read(seeded, handoff.conversation_id, since=night - timedelta(days=2))
    assert said[-1].role == "agent" and said[-1].text == "Hi Maria, your refund is approved."


def test_a_stop_after_writing_blocks_the_text(seeded: Session, agents) -> None:
    ana = agents[0]
    handoff = open_handoff(seeded, "sms:+15555550102", "Carter")
    close_with_follow_up(seeded, handoff, ana, datetime.now(UTC) + timedelta(days=1))
    [task] = service.list_follow_ups(seeded, ana, datetime.now(UTC))
    night = clinic_time(1, 23)
    service.write_follow_up(seeded, task.id, ana, "Your appointment is confirmed.", night)
    opt_out(seeded, "+15555550102")
    assert asyncio.run(deliver_due(night + timedelta(hours=10))) == 0
    [blocked] = service.list_follow_ups(seeded, ana, night)
    assert blocked.status == "blocked"
    assert blocked.blocked_reason == ("Not texted: +15555550102 replied STOP. "
                                      "Call the patient instead.")
    assert "Your appointment is confirmed." not in texts_to(seeded, "+15555550102")
    done = service.finish_follow_up(seeded, task.id, ana, night)
    assert done.status == "done"
    with pytest.raises(service.ToolConflict):
        service.write_follow_up(seeded, task.id, ana, "again", night)


def test_no_consent_is_blocked_when_written(seeded: Session, agents) -> None:
    ana = agents[0]
    handoff = open_handoff(seeded, "sms:+15555550103", "Khan")
    close_with_follow_up(seeded, handoff, ana, datetime.now(UTC) + timedelta(days=1))
    [task] = service.list_follow_ups(seeded, ana, datetime.now(UTC))
    item = service.write_follow_up(seeded, task.id, ana, "Hello", datetime.now(UTC))
    assert (item.status, item.blocked_reason) == (
        "blocked", "Not texted: no SMS consent on file. Call the patient at +15555550103.")


def test_a_web_follow_up_is_texted_to_the_verified_patients_number(seeded: Session,
                                                                   agents) -> None:
    ana = agents[0]
    handoff = open_handoff(seeded, "web:abc123", "Lopez")
    close_with_follow_up(seeded, handoff, ana, datetime.now(UTC) + timedelta(days=1))
    [task] = service.list_follow_ups(seeded, ana, datetime.now(UTC))
    noon = clinic_time(1, 12)
    service.write_follow_up(seeded, task.id, ana, "Your refund is on its way.", noon)
    assert asyncio.run(deliver_due(noon)) == 1
    assert texts_to(seeded, "+15555550101")[-1] == "Your refund is on its way."


def test_follow_ups_of_other_teams_are_not_seen(seeded: Session, agents) -> None:
    ana, ben = agents
    handoff = open_handoff(seeded, "sms:+15555550101", "Lopez")
    close_with_follow_up(seeded, handoff, ana, datetime.now(UTC) + timedelta(days=1))
    ben.teams = ["billing"]
    seeded.commit()
    assert service.list_follow_ups(seeded, ben, datetime.now(UTC)) == []
    [task] = service.list_follow_ups(seeded, ana, datetime.now(UTC))
    with pytest.raises(service.NotYourTeam):
        service.write_follow_up(seeded, task.id, ben, "hi", datetime.now(UTC))


# --- closed conversations ---------------------------------------------------------------------

def closed(db: Session, conv: str, agent: Agent, last_name: str | None = None,
           disposition: Disposition = Disposition.resolved) -> Handoff:
    handoff = open_handoff(db, conv, last_name)
    transcript.record_entry(db, conv, "patient", f"hello from {conv}")
    desk.accept(db, handoff.id, agent)
    desk.close(db, handoff.id, agent, disposition)
    return handoffs.get(db, handoff.id)


def test_closed_conversations_are_found_by_patient_after_an_audited_look_up(
        seeded: Session, agents) -> None:
    ana = agents[0]
    maria_sms = closed(seeded, "sms:+15555550101", ana, "Lopez")
    maria_web = closed(seeded, "web:m1", ana, "Lopez", Disposition.transferred)
    closed(seeded, "sms:+15555550102", ana, "Carter")
    found = service.search_closed(seeded, ana, HistorySearch(
        name="maria  LOPEZ", date_of_birth=date(1984, 3, 12), reason="Patient called back"))
    assert [h.id for h in found] == [maria_web.id, maria_sms.id]
    [event] = seeded.scalars(select(AuditEvent).where(
        AuditEvent.action == "search_closed_handoffs")).all()
    assert (event.actor_id, event.patient_id, event.reason) == (
        str(ana.id), patient_id(seeded, "Lopez"), "Patient called back")

    by_phone = service.search_closed(seeded, ana, HistorySearch(phone="(555) 555-0101",
                                                                reason="callback"))
    assert {h.id for h in by_phone} == {maria_sms.id, maria_web.id}
    only = service.search_closed(seeded, ana, HistorySearch(
        phone="+15555550101", reason="callback", disposition=Disposition.transferred))
    assert [h.id for h in only] == [maria_web.id]


def test_a_patient_search_needs_a_reason_and_a_match(seeded: Session, agents) -> None:
    ana = agents[0]
    with pytest.raises(service.InvalidRequest, match="Say why"):
        service.search_closed(seeded, ana, HistorySearch(phone="+15555550101"))
    with pytest.raises(service.PatientNotMatched):
        service.search_closed(seeded, ana, HistorySearch(
            name="Maria Lopez", date_of_birth=date(1990, 1, 1), reason="check"))
    # The failed look-up is audited too.
    assert seeded.scalars(select(AuditEvent.reason).where(
        AuditEvent.action == "search_closed_handoffs")).all() == ["check"]


def test_closed_conversations_by_date_and_team(seeded: Session, agents) -> None:
    ana = agents[0]
    one = closed(seeded, "sms:+15555550101", ana, "Lopez")
    today = datetime.now(NY).date()
    assert [h.id for h in service.search_closed(seeded, ana, HistorySearch(
        closed_from=today, closed_to=today))] == [one.id]
    assert service.search_closed(seeded, ana, HistorySearch(
        closed_to=today - timedelta(days=1))) == []
    assert service.search_closed(seeded, ana, HistorySearch(team="pharmacy")) == []
    assert seeded.scalars(select(AuditEvent).where(
        AuditEvent.action == "search_closed_handoffs")).all() == []  # no patient named
    assert [h.id for h in service.search_closed(seeded, ana, HistorySearch(
        team=one.team))] == [one.id]


def test_other_teams_closed_conversations_are_not_found(seeded: Session, agents) -> None:
    ana, ben = agents
    one = closed(seeded, "sms:+15555550101", ana, "Lopez")
    ben.teams = [t for t in ("billing", "pharmacy") if t != one.team]
    seeded.commit()
    assert service.search_closed(seeded, ben, HistorySearch()) == []
    with pytest.raises(service.NotYourTeam):
        service.open_closed(seeded, one.id, ben)
    ana.teams = ben.teams
    seeded.commit()
    # The agent who closed it still finds it.
    assert [h.id for h in service.search_closed(seeded, ana, HistorySearch())] == [one.id]


def test_a_closed_conversation_opens_read_only_with_its_transcript(seeded: Session,
                                                                   agents) -> None:
    ana = agents[0]
    handoff = closed(seeded, "sms:+15555550101", ana, "Lopez")
    opened, owner = service.open_closed(seeded, handoff.id, ana)
    said = [t["text"] for t in service.closed_transcript(seeded, opened)]
    assert said == ["hello from sms:+15555550101", "You're now chatting with Ana from our team.",
                    desk.BACK_TO_BOT]
    assert owner == "Ana"
    still_open = open_handoff(seeded, "sms:+15555550102", "Carter")
    with pytest.raises(service.ToolConflict):
        service.open_closed(seeded, still_open.id, ana)


def test_a_send_cut_short_is_taken_again_and_still_sent_once(seeded: Session, agents) -> None:
    ana = agents[0]
    handoff = open_handoff(seeded, "sms:+15555550101", "Lopez")
    close_with_follow_up(seeded, handoff, ana, datetime.now(UTC) + timedelta(days=1))
    [task] = service.list_follow_ups(seeded, ana, datetime.now(UTC))
    noon = clinic_time(1, 12)
    service.write_follow_up(seeded, task.id, ana, "Your refund is on its way.", noon)
    # A worker claims it and dies before sending.
    assert [c[0] for c in service.claim_due_messages(seeded, noon)] == [task.id]
    assert asyncio.run(deliver_due(noon + timedelta(minutes=5))) == 0  # maybe still sending
    assert asyncio.run(deliver_due(noon + timedelta(minutes=11))) == 1
    assert asyncio.run(deliver_due(noon + timedelta(minutes=30))) == 0
    assert texts_to(seeded, "+15555550101").count("Your refund is on its way.") == 1
