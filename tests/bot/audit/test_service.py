import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit.models import AuditEvent
from bot.audit.service import export_csv
from bot.backoffice.models import Patient

AUTH = {"Authorization": "Bearer test-backoffice-token", "X-Actor": "action_tell_balance"}


def test_every_back_office_read_of_a_patient_is_audited(client, seeded: Session) -> None:
    maria = seeded.scalars(select(Patient.id).where(Patient.last_name == "Lopez")).one()
    assert client.get(f"/api/backoffice/patients/{maria}/balance", headers=AUTH).status_code == 200
    assert client.get(f"/api/backoffice/patients/{maria}/appointments",
                      headers=AUTH).status_code == 200
    rows = seeded.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(r.actor_type, r.actor_id, r.patient_id, r.action) for r in rows] == [
        ("action", "action_tell_balance", maria, "GET balance"),
        ("action", "action_tell_balance", maria, "GET appointments"),
    ]
    # Without credentials nothing is read, and nothing is written either.
    client.get(f"/api/backoffice/patients/{maria}/balance")
    assert len(seeded.scalars(select(AuditEvent)).all()) == 2


def test_the_log_exports_as_csv(client, seeded: Session) -> None:
    maria = seeded.scalars(select(Patient.id).where(Patient.last_name == "Lopez")).one()
    client.get(f"/api/backoffice/patients/{maria}/prescriptions", headers=AUTH)
    rows = list(csv.DictReader(io.StringIO(export_csv(seeded))))
    assert rows[0]["actor_id"] == "action_tell_balance"
    assert rows[0]["patient_id"] == str(maria)
    assert rows[0]["action"] == "GET prescriptions"
    assert set(rows[0]) == {"at", "actor_type", "actor_id", "patient_id", "action", "fields",
                            "reason"}
