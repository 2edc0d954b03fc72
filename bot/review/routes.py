"""The desk's Review view for conversation designers: wrong turns as a list, and each one as an
NLU example or its conversation as a test story, downloaded (nothing is written on the
server). Desk sign-in, designer role; every read of conversation text is audited.

Plain `def` routes: they only read (and add an audit row), so FastAPI runs them in its
threadpool and the event loop never waits on the tracker store.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import PlainTextResponse

from bot.agents.models import Agent, Role
from bot.agents.responses import DeskJSONResponse
from bot.agents.signin import current_agent
from bot.deps import DbId, SessionDep, SettingsDep
from bot.review import service
from bot.review.schemas import ReviewTurn
from bot.settings import Settings

router = APIRouter(prefix="/api/review", tags=["review"],
                   default_response_class=DeskJSONResponse)
MAX_SINCE_DAYS = 90
Ref = Annotated[str, Path(pattern=r"^c[0-9a-f]{20}$")]


def current_designer(agent: Annotated[Agent, Depends(current_agent)]) -> Agent:
    if not agent.has_role(Role.designer):
        raise HTTPException(403, "The review is for conversation designers.")
    return agent


DesignerDep = Annotated[Agent, Depends(current_designer)]


@contextmanager
def _review(settings: Settings) -> Iterator[service.Review]:
    try:
        with service.open_review(settings) as review:
            yield review
    except service.ReviewNotConfigured as exc:
        raise HTTPException(503, str(exc)) from None


def _yaml(text: str, filename: str) -> PlainTextResponse:
    return PlainTextResponse(text, media_type="text/yaml", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _intent(intent: str) -> str:
    if intent not in service.domain_intents():
        raise HTTPException(422, f"{intent!r} is not an intent of domain.yml.")
    return intent


def _fixes(fix: list[str]) -> dict[int, str]:
    """`fix=<turn id>:<intent>`, repeatable."""
    fixes: dict[int, str] = {}
    for item in fix:
        match = re.fullmatch(r"(\d{1,10}):([\w-]{1,100})", item)
        if match is None:
            raise HTTPException(422, "fix must be <turn id>:<intent>.")
        fixes[int(match.group(1))] = _intent(match.group(2))
    return fixes


@router.get("/intents", response_model=list[str])
def intents(designer: DesignerDep) -> list[str]:
    """The domain's intents, for the view's intent picker (no conversation data: no audit)."""
    return service.domain_intents()


@router.get("/turns", response_model=list[ReviewTurn])
def turns(designer: DesignerDep, session: SessionDep, settings: SettingsDep,
          since_days: Annotated[int, Query(ge=1, le=MAX_SINCE_DAYS)] = service.DEFAULT_SINCE.days,
          limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = service.DEFAULT_LIMIT,
          ) -> list[ReviewTurn]:
    with _review(settings) as review:
        found = service.find_turns(review, since=timedelta(days=since_days), limit=limit)
    service.audit_read(session, actor_type="agent", actor_id=str(designer.id),
                       action="review_turns", patient_id=None,
                       reason=f"review: {len(found)} turns of {since_days} days")
    return found


@router.get("/turns/{turn_id}/nlu.yml", response_class=PlainTextResponse)
def nlu_example(turn_id: DbId, intent: Annotated[str, Query(max_length=100)],
                designer: DesignerDep, session: SessionDep, settings: SettingsDep
                ) -> PlainTextResponse:
    with _review(settings) as review:
        try:
            turn = service.get_turn(review, turn_id)
            text = service.nlu_example_yaml(turn, _intent(intent))
        except service.TurnNotFound:
            raise HTTPException(404, "No such turn in the review.") from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        patient = service.conversation_patient(service.conversation_events(review, turn.ref))
    service.audit_read(session, actor_type="agent", actor_id=str(designer.id),
                       action="review_nlu_example", patient_id=patient,
                       reason=f"review: turn {turn_id} as an NLU example")
    return _yaml(text, f"nlu-turn-{turn_id}.yml")


@router.get("/conversations/{ref}/story.yml", response_class=PlainTextResponse)
def test_story(ref: Ref, designer: DesignerDep, session: SessionDep, settings: SettingsDep,
               fix: Annotated[list[str] | None, Query(max_length=50)] = None
               ) -> PlainTextResponse:
    fixes = _fixes(fix or [])
    with _review(settings) as review:
        try:
            events = service.conversation_events(review, ref)
            text = service.test_story_yaml(review, ref, fixes)
        except service.ConversationNotFound:
            raise HTTPException(404, "No such conversation in the tracker store.") from None
    service.audit_read(session, actor_type="agent", actor_id=str(designer.id),
                       action="review_story", patient_id=service.conversation_patient(events),
                       reason=f"review: conversation {ref} as a test story")
    return _yaml(text, f"test_review_{ref}.yml")
