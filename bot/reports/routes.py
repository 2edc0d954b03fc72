"""Insights over HTTP: the desk's Insights page, its JSON, the CSV export, the action server's
task reports and Prometheus `/metrics`.

Supervisors only for every number and episode (`current_supervisor`, the desk's sign-in and
role check, as the Review view does for designers); aggregates in CSV for any agent, episode
rows only for supervisors; every episode list and transcript read is audited.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.agents.models import Agent, Role
from bot.agents.signin import AgentDep
from bot.backoffice.routes import require_service_token
from bot.db import in_session
from bot.deps import DbId, NowDep, SessionDep, SettingsDep
from bot.insights import record
from bot.insights.enums import TOPICS
from bot.insights.metrics import REGISTRY
from bot.insights.schemas import Recorded, TaskOutcome
from bot.reports import (
    gauges,  # noqa: F401  (registers the database gauges)
    service,
)
from bot.security import nonced_page

router = APIRouter(tags=["insights"])
STATIC = Path(__file__).resolve().parent.parent / "desk" / "static"
PAGE = STATIC / "insights.html"
VENDOR = STATIC / "vendor"
DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "metrics.md"
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def current_supervisor(agent: AgentDep) -> Agent:
    if not agent.has_role(Role.supervisor):
        raise HTTPException(403, "Insights are for supervisors. Ask one to add the role.")
    return agent


SupervisorDep = Annotated[Agent, Depends(current_supervisor)]
Channel = Annotated[str | None, Query(pattern="^(sms|web)$")]
Topic = Annotated[str | None, Query(pattern="^(" + "|".join(TOPICS) + ")$")]
From = Annotated[datetime | None, Query(alias="from")]
To = Annotated[datetime | None, Query(alias="to")]


def _range(start: datetime | None, end: datetime | None, now: datetime
           ) -> tuple[datetime, datetime]:
    """ISO 8601 bounds (a time zone is required); default today in the clinic's zone."""
    default_start, default_end = service.default_range(now)
    start, end = start or default_start, end or default_end
    for moment in (start, end):
        if moment.tzinfo is None:
            raise HTTPException(422, "from and to need a time zone, e.g. 2026-11-29T00:00:00Z.")
    if end <= start:
        raise HTTPException(422, "to must come after from.")
    if end - start > service.MAX_RANGE:
        raise HTTPException(422, "Ask for at most 92 days at a time.")
    return start, end


@router.get("/desk/insights", response_class=HTMLResponse, include_in_schema=False)
def insights_page() -> HTMLResponse:
    return nonced_page(PAGE)


@router.get("/desk/insights/metrics.md", response_class=PlainTextResponse,
            include_in_schema=False)
def definitions() -> PlainTextResponse:
    """The definitions the page links to (docs/metrics.md: public, no data)."""
    return PlainTextResponse(DOC.read_text(encoding="utf-8"), media_type="text/markdown")


@router.get("/desk/vendor/chartjs/{name}", include_in_schema=False)
def vendor(name: str) -> FileResponse:
    path = (VENDOR / "chartjs" / name).resolve()
    if path.parent != (VENDOR / "chartjs").resolve() or not path.is_file():
        raise HTTPException(404, "No such file.")
    media = "text/javascript" if name.endswith(".js") else "text/plain"
    return FileResponse(path, media_type=media,
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/api/insights/summary")
def summary(agent: SupervisorDep, session: SessionDep, now: NowDep,
            start: From = None, end: To = None, channel: Channel = None,
            topic: Topic = None) -> dict[str, Any]:
    lower, upper = _range(start, end, now)
    return service.summary(session, lower, upper, now, channel, topic)


@router.get("/api/insights/series")
def series(agent: SupervisorDep, session: SessionDep, now: NowDep,
           start: From = None, end: To = None, channel: Channel = None, topic: Topic = None,
           bucket: Annotated[str, Query(pattern="^(hour|day)$")] = "day",
           ) -> list[dict[str, Any]]:
    lower, upper = _range(start, end, now)
    step = timedelta(hours=1) if bucket == "hour" else timedelta(days=1)
    if (upper - lower) / step > 24 * 31:
        raise HTTPException(422, "Too many points: use bucket=day for long ranges.")
    return service.series(session, lower, upper, now, step, channel, topic)


@router.get("/api/insights/breakdown")
def breakdown(agent: SupervisorDep, session: SessionDep, now: NowDep,
              by: Annotated[str, Query(pattern="^(" + "|".join(service.BREAKDOWNS) + ")$")],
              start: From = None, end: To = None) -> dict[str, Any]:
    lower, upper = _range(start, end, now)
    return service.breakdown(session, lower, upper, now, by)


@router.get("/api/insights/episodes")
def episodes(agent: SupervisorDep, session: SessionDep, now: NowDep,
             measure: Annotated[str, Query(pattern=r"^[a-z_]+(:[a-z_]+)?$", max_length=60)],
             start: From = None, end: To = None, channel: Channel = None, topic: Topic = None,
             limit: Annotated[int, Query(ge=1, le=service.MAX_EPISODES)] = 100,
             ) -> list[dict[str, Any]]:
    """The episodes behind a number (`measure` as in `bot.insights.measures.members`)."""
    lower, upper = _range(start, end, now)
    try:
        return service.episodes(session, agent, lower, upper, now, measure, channel, topic,
                                limit)
    except KeyError:
        raise HTTPException(422, f"Unknown measure {measure!r}.") from None


@router.get("/api/insights/episodes/{episode_id}")
def episode(episode_id: DbId, agent: SupervisorDep, session: SessionDep, now: NowDep
            ) -> dict[str, Any]:
    try:
        return service.episode_transcript(session, agent, episode_id, now)
    except service.EpisodeNotFound:
        raise HTTPException(404, "No such episode.") from None


@router.get("/api/insights/export.csv", response_class=PlainTextResponse)
def export(agent: AgentDep, session: SessionDep, now: NowDep, start: From = None,
           end: To = None, channel: Channel = None, topic: Topic = None,
           rows: Annotated[str, Query(pattern="^(aggregates|episodes)$")] = "aggregates",
           measure: Annotated[str, Query(pattern=r"^[a-z_]+(:[a-z_]+)?$")] = "informational",
           ) -> Response:
    """Aggregates for any agent; episode rows (`rows=episodes&measure=...`) for supervisors,
    audited."""
    lower, upper = _range(start, end, now)
    if rows == "episodes":
        current_supervisor(agent)
        try:
            listed = service.episodes(session, agent, lower, upper, now, measure, channel,
                                      topic, service.MAX_EPISODES)
        except KeyError:
            raise HTTPException(422, f"Unknown measure {measure!r}.") from None
        text = service.export_episodes(listed)
    else:
        text = service.export_aggregates(service.summary(session, lower, upper, now, channel,
                                                         topic))
    name = f"insights-{rows}-{lower:%Y%m%d}-{upper:%Y%m%d}.csv"
    return Response(text, media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/api/insights/tasks", response_model=Recorded, status_code=202,
             dependencies=[Depends(require_service_token)])
async def task_reported(body: TaskOutcome) -> Recorded:
    """The action server reports a request it finished (or the back office failed)."""
    episode = await in_session(record.task, body)
    return Recorded(episode_id=episode.id if episode is not None else 0)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, settings: SettingsDep,
            authorization: Annotated[str | None, Header()] = None) -> Response:
    """Loopback callers, or a bearer METRICS_TOKEN; everyone else 403 (404 would hide it, but
    an operator wiring a scraper needs to know why)."""
    host = request.client.host if request.client else ""
    scheme, _, token = (authorization or "").partition(" ")
    allowed = host in LOOPBACK or (
        bool(settings.metrics_token) and scheme.lower() == "bearer"
        and hmac.compare_digest(token.encode(), settings.metrics_token.encode()))
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and not (settings.metrics_token and scheme.lower() == "bearer"
                          and hmac.compare_digest(token.encode(),
                                                  settings.metrics_token.encode())):
        allowed = False  # through a proxy: the loopback peer is the proxy, not the caller
    if not allowed:
        raise HTTPException(403, "Metrics are served to loopback or with METRICS_TOKEN.")
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
