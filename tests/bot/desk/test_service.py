from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents.models import Agent
from bot.backoffice.models import Patient
from bot.clock import clinic_today
from bot.conversations import transcript
from bot.desk import service as desk
from bot.handoff import service as handoffs
from bot.handoff.models import Disposition, HandoffStatus
from bot.handoff.schemas import HandoffRequest


def test_the_detail_has_the_transcript_in_order_and_the_patient(
        seeded: Session, agents: tuple[Agent, Agent]) -> None:
    conv = "web:t1"
    maria = seeded.scalars(select(Patient.id).where(Patient.last_name == "Lopez")).one()
    transcript.record_entry(seeded, conv, "patient", "how much do i owe")
    transcript.record_entry(seeded, conv, "bot", "What's your first and last name?")
    handoff, _ = handoffs.request_handoff(
        seeded, HandoffRequest(conversation_id=conv, reason="requested", verified=True,
                               patient_id=maria), clinic_today())
    transcript.record_entry(seeded, conv, "patient", "hello?", handoff_id=handoff.id)
    detail = desk.detail(seeded, handoff.id, agents[0])
    assert [(i.role, i.text) for i in detail.transcript] == [
        ("patient", "how much do i owe"), ("bot", "What's your first and last name?"),
        ("patient", "hello?")]
    assert detail.context["patient"]["name"] == "Maria Lopez"


def test_each_step_leaves_its_line_in_the_transcript(
        seeded: Session, agents: tuple[Agent, Agent]) -> None:
    ana = agents[0]
    handoff, _ = handoffs.request_handoff(
        seeded, HandoffRequest(conversation_id="sms:+15555550102", reason="requested"),
        clinic_today())
    accepted, hello = desk.accept(seeded, handoff.id, ana)
    assert accepted.status is HandoffStatus.active
    _, said = desk.reply(seeded, handoff.id, ana, "Hi, Ana here.")
    closed, bye = desk.close(seeded, handoff.id, ana, Disposition.resolved)
    assert closed.status is HandoffStatus.closed
    assert [(e.role, e.handoff_id, e.agent_id) for e in (hello, said, bye)] == [
        ("system", handoff.id, ana.id), ("agent", handoff.id, ana.id),
        ("system", handoff.id, ana.id)]
    assert [i.text for i in transcript.read(seeded, "sms:+15555550102")] == [
        "You're now chatting with Ana from our team.", "Hi, Ana here.", desk.BACK_TO_BOT]
