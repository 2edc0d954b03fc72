"""The synthetic population for demo traffic: the same people for the same seed, fictional
numbers only, added next to the demo seed once (idempotent), and only in dev."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.backoffice.models import (
    Appointment,
    AppointmentStatus,
    Charge,
    OutreachConsent,
    Patient,
    Prescription,
    RefillRequest,
)
from bot.clock import clinic_today, clinic_tz
from bot.demo import seed as seed_module
from bot.demo.population import (
    MAX_POPULATION,
    add_population,
    plan_population,
)


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_plan_is_the_same_for_the_same_seed_and_grows_by_appending() -> None:
    assert plan_population(30) == plan_population(30)
    assert plan_population(80)[:30] == plan_population(30)
    assert plan_population(30, seed=1) != plan_population(30)


def test_the_first_person_exactly() -> None:
    first = plan_population(1)[0]
    assert (first.mrn, first.full_name, first.date_of_birth, first.phone, first.zip_code) == (
        "MRNPOP0001", "Umar Dummerson", date(1987, 2, 26), "+15555550105", "73301")
    assert first.topics == ("billing", "appointments")


def test_everyone_is_fictional_and_distinct() -> None:
    people = plan_population(MAX_POPULATION)
    phones = [p.phone for p in people]
    assert len(set(phones)) == len(people) == MAX_POPULATION == 91
    # 555-0100..0199 only, never the clinic's number, the demo four or the demo pharmacies.
    assert all(p.startswith("+15555550") and 105 <= int(p[-3:]) <= 198 for p in phones)
    assert not {"+15555550140", "+15555550150", "+15555550160", "+15555550199"} & set(phones)
    assert len({p.full_name for p in people}) == len(people)  # web verification is by name
    assert all(p.mrn.startswith("MRNPOP") for p in people)
    with pytest.raises(ValueError, match="0 to 91"):
        plan_population(MAX_POPULATION + 1)


def test_added_once_next_to_the_demo_seed(seeded: Session) -> None:
    today, tz = clinic_today(), clinic_tz()
    people = plan_population(40)
    assert add_population(seeded, people, today, tz) == 40
    seeded.commit()
    assert add_population(seeded, people, today, tz) == 0  # idempotent
    assert add_population(seeded, plan_population(45), today, tz) == 5  # grows
    seeded.commit()
    people = plan_population(45)
    assert count(seeded, Patient) == 4 + 45
    assert count(seeded, Charge) == 5 + sum(len(p.charges) for p in people)
    assert count(seeded, Prescription) == 4 + sum(len(p.medications) for p in people)
    assert count(seeded, RefillRequest) == sum(m.requested is not None for p in people
                                               for m in p.medications)
    assert count(seeded, OutreachConsent) == 3 + sum(p.care_consent for p in people)
    # Two patients never hold one slot; every upcoming visit is booked, past ones settled.
    booked = seeded.scalars(select(Appointment.slot_id).where(
        Appointment.status == AppointmentStatus.booked)).all()
    assert len(booked) == len(set(booked)) == 3 + sum(v.days > 0 for p in people
                                                      for v in p.visits)
    first = seeded.scalars(select(Patient).where(Patient.mrn == "MRNPOP0001")).one()
    assert (first.first_name, first.last_name, first.phone) == ("Umar", "Dummerson",
                                                                "+15555550105")
    visits = {a.status: a.starts_at.astimezone(tz).date() for a in seeded.scalars(
        select(Appointment).where(Appointment.patient_id == first.id))}
    ahead = today + timedelta(days=6)  # planned in 6 days; a weekend moves it to Monday
    while ahead.weekday() >= 5:
        ahead += timedelta(days=1)
    assert visits == {AppointmentStatus.booked: ahead,
                      AppointmentStatus.no_show: today - timedelta(days=14)}


def test_the_population_is_for_dev_only(db: Session, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from bot.settings import get_settings

    assert seed_module.main(["--population", "5"]) == 2  # APP_ENV=test: refused
    assert "--population refused, APP_ENV is 'test'" in capsys.readouterr().err
    assert count(db, Patient) == 0
    monkeypatch.setenv("APP_ENV", "dev")
    get_settings.cache_clear()
    try:
        assert seed_module.main(["--population", "5"]) == 0
        assert seed_module.main(["--population", "5"]) == 0
        out = capsys.readouterr().out
        assert "synthetic population of 5 (5 added)" in out
        assert "synthetic population of 5 (0 added)" in out
        assert count(db, Patient) == 4 + 5
        assert seed_module.main(["--population", "500"]) == 2
    finally:
        get_settings.cache_clear()


def test_past_visits_have_the_reminders_outreach_would_have_left(seeded: Session) -> None:
    from datetime import UTC, datetime

    from bot.insights.outreach import outreach_outcomes
    from bot.outreach.enums import OutreachStatus, SuppressReason
    from bot.outreach.models import OutreachMessage, OutreachPatient

    today, tz = clinic_today(), clinic_tz()
    people = plan_population(60)
    add_population(seeded, people, today, tz)
    seeded.commit()
    by_mrn = {p.mrn: p for p in people}
    patients = {p.id: by_mrn[p.mrn] for p in seeded.scalars(
        select(Patient).where(Patient.mrn.like("MRNPOP%")))}
    held: dict[int, bool] = {pid: h for pid, h in seeded.execute(
        select(OutreachPatient.patient_id, OutreachPatient.held_out))}
    rows = seeded.scalars(select(OutreachMessage)).all()
    past = [v for p in people for v in p.visits if v.days < 0]
    assert len(rows) == 2 * len(past)  # the 72 h and the 24 h reminder (the default offsets)
    assert set(held) == {pid for pid, p in patients.items() if any(v.days < 0 for v in p.visits)}
    for row in rows:
        person = patients[row.patient_id]
        if held[row.patient_id]:
            assert (row.status, row.reason, row.sent_at) == (OutreachStatus.suppressed,
                                                             SuppressReason.hold_out, None)
        elif not person.care_consent:
            assert (row.status, row.reason) == (OutreachStatus.suppressed,
                                                SuppressReason.no_consent)
        else:
            assert (row.status, row.sent_at, row.phone) == (OutreachStatus.delivered,
                                                            row.due_at, person.phone)
            if row.reply is not None:  # only the last (24 h) reminder is answered
                assert (row.offset_label, row.reply, row.replied_at) == (
                    "24h", "confirm", row.due_at + timedelta(hours=1))
        assert row.due_at == row.subject_at - timedelta(hours=int(row.offset_label[:-1]))
    # What the Insights page compares over the last 30 days: every past visit in its group.
    now = datetime.now(UTC)
    outcomes = outreach_outcomes(seeded, now - timedelta(days=30), now, now)
    assert outcomes is not None
    reminded = [v for pid, p in patients.items() for v in p.visits
                if v.days < 0 and not held[pid] and p.care_consent]
    held_out = [v for pid, p in patients.items() for v in p.visits
                if v.days < 0 and held.get(pid)]
    assert outcomes["no_show"]["reminded"]["appointments"] == len(reminded) > 0
    assert outcomes["no_show"]["held_out"]["appointments"] == len(held_out)
    assert outcomes["no_show"]["reminded"]["no_shows"] == sum(
        v.status is AppointmentStatus.no_show for v in reminded)
    kind = outcomes["by_kind"]["appointment_reminder"]
    assert kind["sent"] == 2 * len(reminded)
    assert 0 < kind["replies"]["confirm"] <= len(reminded)
    assert kind["confirmation_rate"] == round(kind["replies"]["confirm"] / kind["sent"], 4)
