"""Writing and exporting the audit log."""

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit.models import AuditEvent


def record(
    session: Session, *, actor_type: str, actor_id: str, patient_id: int | None, action: str,
    fields: Iterable[str], reason: str,
) -> None:
    """Adds an audit row to the caller's transaction (it commits with the read it records)."""
    session.add(AuditEvent(at=datetime.now(UTC), actor_type=actor_type, actor_id=actor_id,
                           patient_id=patient_id, action=action, fields=",".join(fields),
                           reason=reason))


def export_csv(session: Session) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at", "actor_type", "actor_id", "patient_id", "action", "fields", "reason"])
    for row in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        writer.writerow([row.at.isoformat(), row.actor_type, row.actor_id, row.patient_id or "",
                         row.action, row.fields, row.reason])
    return out.getvalue()
