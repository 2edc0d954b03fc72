"""Outreach over HTTP: the action server answers replies (service token), the desk lists the
schedule (agents only; every patient shown is written to the audit log)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from bot.agents import service as agents
from bot.agents.responses import DeskJSONResponse
from bot.agents.signin import AgentDep
from bot.audit import service as audit
from bot.backoffice.errors import NotFound, SlotNotFound, SlotTaken
from bot.backoffice.routes import require_service_token
from bot.backoffice.schemas import AppointmentInfo
from bot.deps import DbId, NowDep, SessionDep
from bot.outreach import service
from bot.outreach.enums import OutreachKind
from bot.outreach.schemas import (
    BookRequest,
    ConfirmRequest,
    ConfirmResult,
    OpenSlots,
    OutreachContext,
    OutreachView,
    Recorded,
    ReplyRequest,
)
from bot.security import nonced_page

PAGE = Path(__file__).resolve().parent.parent / "desk" / "static" / "outreach.html"

router = APIRouter(prefix="/api/outreach", tags=["outreach"],
                   dependencies=[Depends(require_service_token)])
desk_router = APIRouter(tags=["outreach"], default_response_class=DeskJSONResponse)


@contextmanager
def http_errors() -> Iterator[None]:
    try:
        yield
    except SlotTaken as exc:
        raise HTTPException(409, {"code": "slot_taken", "message": str(exc)}) from exc
    except (NotFound, SlotNotFound) as exc:
        raise HTTPException(404, str(exc)) from exc


def _audit(session: Session, patient_id: int | None, what: str) -> None:
    audit.record(session, actor_type="action", actor_id="action_server", patient_id=patient_id,
                 action=f"outreach {what}", fields=["outreach"],
                 reason="answering the patient's reply to an outreach message")
    session.commit()


@router.post("/messages/{message_id}/confirm", response_model=ConfirmResult)
def confirm(message_id: DbId, body: ConfirmRequest, session: SessionDep, now: NowDep
            ) -> ConfirmResult:
    with http_errors():
        result = service.confirm(session, message_id, body.phone, now, body.patient_id)
    _audit(session, body.patient_id, f"confirm {message_id}: {result.status}")
    return result


@router.get("/messages/{message_id}", response_model=OutreachContext)
def context(message_id: DbId, patient_id: Annotated[int, Query(ge=1, le=2_147_483_647)],
            session: SessionDep) -> OutreachContext:
    _audit(session, patient_id, f"context {message_id}")
    with http_errors():
        return service.context(session, message_id, patient_id)


@router.post("/messages/{message_id}/reply", response_model=Recorded)
def reply(message_id: DbId, body: ReplyRequest, session: SessionDep, now: NowDep) -> Recorded:
    service.record_reply(session, message_id, body.choice, now)
    return Recorded()


@router.get("/messages/{message_id}/slots", response_model=OpenSlots)
def slots(message_id: DbId, patient_id: Annotated[int, Query(ge=1, le=2_147_483_647)],
          session: SessionDep, now: NowDep) -> OpenSlots:
    _audit(session, patient_id, f"open times {message_id}")
    with http_errors():
        return service.rebook_slots(session, message_id, patient_id, now)


@router.post("/messages/{message_id}/book", response_model=AppointmentInfo)
def book(message_id: DbId, body: BookRequest, session: SessionDep, now: NowDep
         ) -> AppointmentInfo:
    _audit(session, body.patient_id, f"book {message_id}")
    with http_errors():
        return service.book(session, message_id, body.patient_id, body.slot_id, now)


@desk_router.get("/desk/outreach", response_class=HTMLResponse, include_in_schema=False)
def outreach_page() -> HTMLResponse:
    return nonced_page(PAGE)


@desk_router.get("/api/desk/outreach", response_model=OutreachView)
def desk_view(
    agent: AgentDep, session: SessionDep,
    kind: OutreachKind | None = None,
    day: date | None = None,
    status: Literal["upcoming", "planned", "sending", "sent", "delivered", "failed",
                    "cancelled", "suppressed", "replied"] | None = None,
) -> OutreachView:
    """Agents only, each the kinds of their teams (supervisors all). Each patient listed is an
    access to their record: audited."""
    result = service.view(session, kind=kind, day=day, status=status,
                          teams=agents.visible_teams(agent))
    for patient_id in sorted({row.patient_id for row in result.rows}):
        audit.record(session, actor_type="agent", actor_id=str(agent.id), patient_id=patient_id,
                     action="GET /api/desk/outreach", fields=["outreach"],
                     reason="outreach view")
    session.commit()
    return result
