import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents.models import Agent
from bot.audit.models import AuditEvent
from bot.backoffice.models import Appointment, Patient, Slot
from bot.backoffice.scheduling import reschedule_appointment
from bot.clock import clinic_today
from bot.clock import now as clock_now
from bot.db import get_sessionmaker
from bot.handoff import service
from bot.handoff.models import Disposition, HandoffStatus, Urgency
from bot.handoff.schemas import HandoffRequest


def maria(db: Session) -> int:
    return db.scalars(select(Patient.id).where(Patient.last_name == "Lopez")).one()


def request(conv: str = "sms:+15555550101", **kw: object) -> HandoffRequest:
    return HandoffRequest.model_validate({"conversation_id": conv, "reason": "requested", **kw})


def test_a_verified_handoff_carries_the_patient_summary(seeded: Session) -> None:
    handoff, created = service.request_handoff(
        seeded, request(verified=True, patient_id=maria(seeded),
                        intents=["billing_balance", "human_handoff"]), clinic_today())
    assert created and handoff.status is HandoffStatus.waiting
    assert handoff.verification_method == "number on file + date of birth"
    summary = handoff.summary or {}
    assert summary["name"] == "Maria Lopez"
    assert summary["date_of_birth"] == "1984-03-12"
    assert summary["balance_cents"] == 12540
    assert [a["provider"] for a in summary["upcoming_appointments"]] == ["Dr. Priya Shah"]
    assert {r["medication"] for r in summary["active_prescriptions"]} == {
        "Lisinopril 10 mg", "Atorvastatin 20 mg"}
    audit = seeded.scalars(select(AuditEvent)).one()
    assert (audit.actor_type, audit.action, audit.patient_id) == (
        "system", "handoff_summary", maria(seeded))


def test_the_summary_lists_open_requests_in_words(seeded: Session) -> None:
    from datetime import UTC, datetime

    from bot.backoffice import billing, pharmacy
    from bot.backoffice.models import InquiryKind, Prescription
    from bot.backoffice.schemas import BillingInquiryCreate, InsuranceUpdateCreate

    patient_id, now = maria(seeded), datetime.now(UTC)
    statin = seeded.scalars(select(Prescription).where(
        Prescription.patient_id == patient_id, Prescription.medication == "Atorvastatin")).one()
    renewal = pharmacy.request_refill(seeded, patient_id, statin.id, now)
    dispute = billing.record_billing_inquiry(
        seeded, patient_id, BillingInquiryCreate(kind=InquiryKind.dispute), now)
    coverage = billing.request_insurance_update(
        seeded, patient_id, InsuranceUpdateCreate(payer="Acme Health"), now)
    handoff, _ = service.request_handoff(
        seeded, request(verified=True, patient_id=patient_id), clinic_today())
    assert [(r["what"], r["reference"]) for r in (handoff.summary or {})["open_requests"]] == [
        ("Renewal asked of prescriber: Atorvastatin 20 mg", renewal.reference),
        ("Billing dispute, open", dispute.reference),
        ("New insurance to verify (Acme Health)", coverage.reference),
    ]


def test_the_summary_means_upcoming_and_open_as_the_back_office_does(seeded: Session) -> None:
    """An appointment starting this very moment is not upcoming (scheduling's `> now`), and a
    refill request older than pharmacy's 7-day window is no longer open."""
    from datetime import UTC, datetime

    from bot.backoffice import pharmacy
    from bot.backoffice.models import Appointment, Prescription

    patient_id, now = maria(seeded), datetime.now(UTC).replace(microsecond=0)
    appointment = seeded.scalars(select(Appointment).where(
        Appointment.patient_id == patient_id)).one()
    appointment.starts_at = now
    seeded.commit()
    lisinopril, statin = (seeded.scalars(select(Prescription.id).where(
        Prescription.patient_id == patient_id, Prescription.medication == name)).one()
        for name in ("Lisinopril", "Atorvastatin"))
    pharmacy.request_refill(seeded, patient_id, lisinopril, now - timedelta(days=8))
    fresh = pharmacy.request_refill(seeded, patient_id, statin, now - timedelta(days=6))
    summary = service.patient_summary(seeded, patient_id, now, clinic_today())
    assert summary is not None
    assert summary.upcoming_appointments == []
    assert [r.reference for r in summary.open_requests] == [fresh.reference]


def test_the_stored_summary_has_the_keys_the_desk_page_reads(seeded: Session) -> None:
    handoff, _ = service.request_handoff(
        seeded, request(verified=True, patient_id=maria(seeded)), clinic_today())
    summary = handoff.summary or {}
    assert set(summary) == {"name", "date_of_birth", "phone", "mrn", "balance_cents",
                            "balance_overdue", "balance_due_date", "payment_plan_eligible",
                            "payment_plan", "upcoming_appointments", "active_prescriptions",
                            "open_requests", "as_of"}
    [appointment] = summary["upcoming_appointments"]
    assert set(appointment) == {"starts_at", "provider", "location"}
    assert {tuple(sorted(rx)) for rx in summary["active_prescriptions"]} == {
        ("medication", "refills_left")}


def test_a_verified_handoff_for_a_missing_patient_has_no_summary(seeded: Session) -> None:
    handoff, _ = service.request_handoff(
        seeded, request(verified=True, patient_id=999_999), clinic_today())
    assert handoff.summary is None


def test_an_unverified_handoff_shows_no_record(seeded: Session) -> None:
    handoff, _ = service.request_handoff(
        seeded, request(verified=False, patient_id=maria(seeded)), clinic_today())
    assert handoff.summary is None and handoff.patient_id is None
    assert service.patient_label(handoff) == "Unverified, SMS …0101"


def test_one_open_handoff_per_conversation_and_urgency_only_rises(seeded: Session) -> None:
    first, created = service.request_handoff(seeded, request(), clinic_today())
    again, created_again = service.request_handoff(
        seeded, request(reason="emergency", urgency="urgent"), clinic_today())
    assert created and not created_again and again.id == first.id
    assert again.urgency is Urgency.urgent


def test_queue_is_urgent_first_then_longest_wait(seeded: Session) -> None:
    a, _ = service.request_handoff(seeded, request("web:a"), clinic_today())
    b, _ = service.request_handoff(seeded, request("web:b"), clinic_today())
    c, _ = service.request_handoff(seeded, request("web:c", reason="emergency",
                                                   urgency="urgent"), clinic_today())
    a.created_at -= timedelta(minutes=5)
    seeded.commit()
    assert [q.id for q in service.queue(seeded)] == [c.id, a.id, b.id]
    # The place is in the team's own line: the emergency went to the nurse line.
    assert (c.team, b.team) == ("nurse", "general")
    assert service.waiting_position(seeded, b) == 2
    assert service.waiting_position(seeded, c) == 1


def test_two_agents_accepting_at_once_one_wins(seeded: Session, agents: tuple[Agent, Agent]
                                               ) -> None:
    handoff, _ = service.request_handoff(seeded, request(), clinic_today())
    results: list[str] = []
    barrier = threading.Barrier(len(agents) * 3)

    def take(agent_id: int) -> None:
        with get_sessionmaker()() as session:
            agent = session.get(Agent, agent_id)
            assert agent is not None
            barrier.wait()
            try:
                service.accept(session, handoff.id, agent)
                results.append("won")
            except service.HandoffConflict:
                results.append("409")

    threads = [threading.Thread(target=take, args=(a.id,)) for a in agents for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["409"] * 5 + ["won"]


def test_only_the_accepting_agent_may_reply_or_close(seeded: Session,
                                                     agents: tuple[Agent, Agent]) -> None:
    ana, ben = agents
    handoff, _ = service.request_handoff(seeded, request(), clinic_today())
    with pytest.raises(service.HandoffConflict):
        service.require_owner(seeded, handoff.id, ana)  # not accepted yet
    service.accept(seeded, handoff.id, ana)
    with pytest.raises(service.NotYourHandoff):
        service.require_owner(seeded, handoff.id, ben)
    with pytest.raises(service.NotYourHandoff):
        service.close(seeded, handoff.id, ben, Disposition.resolved)
    closed = service.close(seeded, handoff.id, ana, Disposition.follow_up)
    assert (closed.status, closed.disposition) == (HandoffStatus.closed, Disposition.follow_up)
    with pytest.raises(service.HandoffConflict):
        service.close(seeded, handoff.id, ana, Disposition.resolved)
    assert service.open_handoff(seeded, "sms:+15555550101") is None
    # A new request after the close opens a new handoff.
    again, created = service.request_handoff(seeded, request(), clinic_today())
    assert created and again.id != handoff.id


def test_viewing_is_audited(seeded: Session, agents: tuple[Agent, Agent]) -> None:
    handoff, _ = service.request_handoff(
        seeded, HandoffRequest(conversation_id="web:t1", reason="requested", verified=True,
                               patient_id=maria(seeded)), clinic_today())
    assert service.view(seeded, handoff.id, agents[0]).id == handoff.id
    audit = seeded.scalars(select(AuditEvent).where(AuditEvent.action == "view_handoff")).one()
    assert (audit.actor_type, audit.actor_id, audit.patient_id) == (
        "agent", str(agents[0].id), maria(seeded))
    assert "balance_cents" in audit.fields


def test_state_survives_a_restart(seeded: Session, agents: tuple[Agent, Agent]) -> None:
    """Everything is in the database: a fresh engine and session see the same queue."""
    from bot.db import get_engine

    handoff, _ = service.request_handoff(seeded, request(), clinic_today())
    service.accept(seeded, handoff.id, agents[0])
    get_engine().dispose()
    get_sessionmaker.cache_clear()
    with get_sessionmaker()() as fresh:
        [item] = service.queue(fresh)
        assert (item.id, item.status, item.accepted_by) == (handoff.id, HandoffStatus.active,
                                                            "Ana")


def test_a_spanish_conversation_shows_its_language_and_comes_first_for_a_speaker(
        seeded: Session, agents: tuple[Agent, Agent]) -> None:
    ana, ben = agents
    english, _ = service.request_handoff(seeded, request("web:english"), clinic_today())
    spanish, _ = service.request_handoff(seeded, request("web:spanish", language="es"),
                                         clinic_today())
    seeded.commit()
    # Nobody of its team speaks Spanish yet: flagged, in arrival order for everyone.
    before = service.queue(seeded, ben)
    assert [(i.id, i.language, i.language_unmatched) for i in before] == [
        (english.id, "en", False), (spanish.id, "es", True)]
    ana.languages = ["en", "es"]
    seeded.commit()
    assert [i.id for i in service.queue(seeded, ana)] == [spanish.id, english.id]
    assert [i.id for i in service.queue(seeded, ben)] == [english.id, spanish.id]
    assert not any(i.language_unmatched for i in service.queue(seeded, ben))
    assert service.context(spanish, None)["language"] == "es"



def test_the_card_is_read_again_when_opened_and_other_open_conversations_show(
        seeded: Session, agents: tuple[Agent, Agent]) -> None:
    patient_id = maria(seeded)
    sms, _ = service.request_handoff(seeded, request(verified=True, patient_id=patient_id),
                                     clinic_today())
    web, _ = service.request_handoff(seeded, request("web:maria", verified=True,
                                                     patient_id=patient_id), clinic_today())
    seeded.commit()
    appt = seeded.scalars(select(Appointment).where(Appointment.patient_id == patient_id)).first()
    assert appt is not None
    slot = seeded.scalars(select(Slot).where(Slot.provider_id == appt.provider_id,
                                             Slot.starts_at > appt.starts_at)
                          .order_by(Slot.starts_at)).first()
    assert slot is not None
    reschedule_appointment(seeded, patient_id, appt.id, slot.id, clock_now())
    assert (sms.summary or {})["upcoming_appointments"][0]["starts_at"] != slot.starts_at
    service.refresh_summary(seeded, sms)
    moved = (sms.summary or {})["upcoming_appointments"][0]["starts_at"]
    assert datetime.fromisoformat(moved) == slot.starts_at
    assert [o["id"] for o in service.other_conversations(seeded, sms)] == [web.id]
    assert [o["channel"] for o in service.other_conversations(seeded, web)] == ["sms"]


@pytest.mark.parametrize(("text", "phone"), [
    ("617-555-0123", "+16175550123"), ("call me at (617) 555 0123 please", "+16175550123"),
    ("+1 617.555.0123", "+16175550123"), ("mi número es 6175550123", "+16175550123"),
    ("1-617-555-0123", "+16175550123"), ("my zip is 02139", None), ("help", None),
    ("card 4111111111111111", None),
])
def test_a_phone_number_in_a_message(text: str, phone: str | None) -> None:
    assert service.phone_number_in(text) == phone
    if phone is not None:
        assert service.say_phone(phone) == "(617) 555-0123"
