"""The desk tools' API: agents only (every other caller gets 401), and only their teams' work
(403 otherwise). Patient look-ups in the history are audited."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse

from bot import live
from bot.agents.responses import DeskJSONResponse
from bot.agents.signin import AgentDep, RedisDep
from bot.db import in_session
from bot.deps import DbId, NowDep, SessionDep
from bot.desk.tools import service
from bot.desk.tools.delivery import deliver_due
from bot.desk.tools.schemas import (
    ClosedConversation,
    FollowUpItem,
    FollowUpMessage,
    HistoryItem,
    HistorySearch,
    NoteIn,
    NoteItem,
    SavedReplyIn,
    SavedReplyItem,
)
from bot.handoff import service as handoffs

router = APIRouter(tags=["desk tools"], default_response_class=DeskJSONResponse)
SCRIPT = Path(__file__).parents[1] / "static" / "desk-tools.js"


def _errors(exc: Exception) -> HTTPException:
    if isinstance(exc, handoffs.HandoffNotFound):
        return HTTPException(404, "Not found: it may have been removed. Refresh the desk.")
    if isinstance(exc, service.NotYourTeam):
        return HTTPException(403, "That belongs to a team you are not in.")
    if isinstance(exc, service.PatientNotMatched):
        return HTTPException(404, "No patient matches that name and date of birth. Check the "
                                  "spelling and the date, or search by phone.")
    if isinstance(exc, service.InvalidRequest):
        return HTTPException(422, str(exc))
    return HTTPException(409, str(exc) if exc.args and isinstance(exc.args[0], str)
                         else "Someone else already did this. Refresh to see where it stands.")


ERRORS = (handoffs.HandoffNotFound, service.NotYourTeam, service.PatientNotMatched,
          service.InvalidRequest, service.ToolConflict)


@router.get("/desk/desk-tools.js", include_in_schema=False)
def desk_tools_script() -> FileResponse:
    """The desk page's tools (saved replies, notes, follow-ups, history)."""
    return FileResponse(SCRIPT, media_type="text/javascript",
                        headers={"Cache-Control": "no-cache"})


# --- saved replies ----------------------------------------------------------------------------

@router.get("/api/desk/saved-replies", response_model=list[SavedReplyItem])
def saved_replies(agent: AgentDep, session: SessionDep,
                  handoff_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None
                  ) -> list[SavedReplyItem]:
    """The team's saved replies; with handoff_id, each filled from that patient's record as
    it is now, or marked unavailable (with why) when its condition does not hold."""
    try:
        return service.list_saved_replies(session, agent, handoff_id)
    except ERRORS as exc:
        raise _errors(exc) from None


@router.post("/api/desk/saved-replies", response_model=SavedReplyItem, status_code=201)
def create_saved_reply(body: SavedReplyIn, agent: AgentDep, session: SessionDep
                       ) -> SavedReplyItem:
    """A new reply for the caller's team (or every team); audited."""
    try:
        return service.reply_item(service.create_saved_reply(session, agent, body))
    except ERRORS as exc:
        raise _errors(exc) from None


@router.put("/api/desk/saved-replies/{reply_id}", response_model=SavedReplyItem)
def update_saved_reply(reply_id: DbId, body: SavedReplyIn, agent: AgentDep,
                       session: SessionDep) -> SavedReplyItem:
    """The whole reply as edited (a reply of the caller's teams, or every team's); audited
    with the fields that changed."""
    try:
        return service.reply_item(service.update_saved_reply(session, agent, reply_id, body))
    except ERRORS as exc:
        raise _errors(exc) from None


@router.delete("/api/desk/saved-replies/{reply_id}", status_code=204)
def delete_saved_reply(reply_id: DbId, agent: AgentDep, session: SessionDep) -> None:
    """Gone from every agent's "/" list; audited (who, which reply)."""
    try:
        service.delete_saved_reply(session, agent, reply_id)
    except ERRORS as exc:
        raise _errors(exc) from None


# --- notes ------------------------------------------------------------------------------------

@router.get("/api/desk/handoffs/{handoff_id}/notes", response_model=list[NoteItem])
def notes(handoff_id: DbId, agent: AgentDep, session: SessionDep) -> list[NoteItem]:
    try:
        service.visible_handoff(session, handoff_id, agent)
    except ERRORS as exc:
        raise _errors(exc) from None
    return service.list_notes(session, handoff_id)


@router.post("/api/desk/handoffs/{handoff_id}/notes", response_model=NoteItem, status_code=201)
async def add_note(handoff_id: DbId, body: NoteIn, agent: AgentDep, redis: RedisDep
                   ) -> NoteItem:
    """Private: stored with the handoff for the desk, never sent to the patient."""
    try:
        await in_session(service.visible_handoff, handoff_id, agent)
        note = await in_session(service.add_note, handoff_id, agent, body.text)
    except ERRORS as exc:
        raise _errors(exc) from None
    await live.publish(redis, live.DESK_CHANNEL, {"type": "note", "handoff_id": handoff_id})
    return NoteItem(id=note.id, text=note.text, author=agent.display_name, at=note.at,
                    kind=note.kind)


# --- follow-ups -------------------------------------------------------------------------------

@router.get("/api/desk/follow-ups", response_model=list[FollowUpItem])
def follow_ups(agent: AgentDep, session: SessionDep, at: NowDep) -> list[FollowUpItem]:
    """The open follow-up tasks of the caller's teams, soonest due first."""
    return service.list_follow_ups(session, agent, at)


@router.post("/api/desk/follow-ups/{task_id}/message", response_model=FollowUpItem)
async def follow_up_message(task_id: DbId, body: FollowUpMessage, agent: AgentDep,
                            at: NowDep, redis: RedisDep) -> FollowUpItem:
    """The agent's answer: texted now in the daytime, at the clinic's next 8:00 otherwise,
    or not at all when the patient cannot be texted (the task says why: call instead)."""
    try:
        item = await in_session(service.write_follow_up, task_id, agent, body.text, at)
    except ERRORS as exc:
        raise _errors(exc) from None
    if item.status == "scheduled" and item.send_at and item.send_at <= at:
        await deliver_due(at)
        item = next((i for i in await in_session(service.list_follow_ups, agent, at,
                                                 item.handoff_id) if i.id == task_id), item)
    await live.publish(redis, live.DESK_CHANNEL, {"type": "follow_up", "id": task_id})
    return item


@router.post("/api/desk/follow-ups/{task_id}/done", response_model=FollowUpItem)
async def follow_up_done(task_id: DbId, agent: AgentDep, at: NowDep, redis: RedisDep
                         ) -> FollowUpItem:
    """Done another way (the agent called): off the team's queue, nothing sent."""
    try:
        item = await in_session(service.finish_follow_up, task_id, agent, at)
    except ERRORS as exc:
        raise _errors(exc) from None
    await live.publish(redis, live.DESK_CHANNEL, {"type": "follow_up", "id": task_id})
    return item


# --- closed conversations ---------------------------------------------------------------------

@router.post("/api/desk/history/search", response_model=list[HistoryItem])
def search_history(body: HistorySearch, agent: AgentDep, session: SessionDep
                   ) -> list[HistoryItem]:
    """Closed conversations by patient (audited, with a reason), date, team, disposition."""
    try:
        return service.search_closed(session, agent, body)
    except ERRORS as exc:
        raise _errors(exc) from None


@router.get("/api/desk/history/{handoff_id}", response_model=ClosedConversation)
def closed_conversation(handoff_id: DbId, agent: AgentDep, session: SessionDep, at: NowDep
                        ) -> ClosedConversation:
    """A closed conversation, read-only: its transcript, notes, follow-ups and context."""
    try:
        handoff, owner = service.open_closed(session, handoff_id, agent)
    except ERRORS as exc:
        raise _errors(exc) from None
    return ClosedConversation(
        id=handoff.id, status="closed",
        transcript=service.closed_transcript(session, handoff),
        notes=service.list_notes(session, handoff.id),
        follow_ups=service.list_follow_ups(session, agent, at, handoff.id),
        context={**handoffs.context(handoff, owner),
                 "disposition": handoff.disposition.value if handoff.disposition else None,
                 "closed_at": handoff.closed_at.isoformat() if handoff.closed_at else None})
