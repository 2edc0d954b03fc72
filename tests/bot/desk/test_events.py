"""The desk's live events reach only the agents who may open the handoff they are about:
a pharmacy agent hears nothing of a billing conversation (its messages, queue changes,
alerts, notes, follow-ups) until it is transferred to pharmacy; billing and supervisors hear
it all. Over the real stream: the app served by uvicorn on a socket, real Redis."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
import redis
import redis.asyncio as aioredis
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents import service as agents
from bot.agents.models import Agent, Team
from bot.clock import clinic_today
from bot.desk import events as desk_events
from bot.desk import waits
from bot.handoff import service as handoffs
from bot.handoff.schemas import HandoffRequest
from bot.live import DESK_CHANNEL, in_db
from tests.bot.desk.test_routes import SERVICE
from tests.bot.desk.test_teams_routes import make
from tests.conftest import TEST_REDIS_URL

QUIET = frozenset({"ready", "ping"})


@pytest.fixture
def server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The bot app on a real socket (SSE over HTTP, as a browser's EventSource reads it)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1)
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    running.should_exit = True
    thread.join(15)
    sock.close()


class Stream:
    """One agent's /api/desk/events, read in a thread: every event as (name, data)."""

    def __init__(self, base: str, token: str) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.raw: list[str] = []
        host, port = urlsplit(base).hostname, urlsplit(base).port
        self._conn = http.client.HTTPConnection(host or "", port, timeout=60)
        self._conn.request("GET", "/api/desk/events?" + urlencode({"token": token}))
        response = self._conn.getresponse()
        assert response.status == 200
        self._thread = threading.Thread(target=self._read, args=(response,), daemon=True)
        self._thread.start()

    def _read(self, response: http.client.HTTPResponse) -> None:
        name, data = "message", ""
        try:
            while line := response.readline().decode():
                line = line.rstrip("\r\n")
                self.raw.append(line)
                if line.startswith("event:"):
                    name = line.partition(":")[2].strip()
                elif line.startswith("data:"):
                    data = line.partition(":")[2].strip()
                elif not line and data:
                    self.events.append((name, json.loads(data)))
                    name, data = "message", ""
        except (OSError, http.client.HTTPException, ValueError):
            pass  # closed by the test

    def said(self) -> list[tuple[str, dict[str, Any]]]:
        return [(n, d) for n, d in self.events if n not in QUIET]

    def close(self) -> None:
        """Hangs up, as a browser closing the tab does: the server ends the stream."""
        if self._conn.sock is not None:
            self._conn.sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)
        self._conn.close()


def subscribed(count: int) -> None:
    """Each stream has subscribed to the desk channel (after its "ready", not before)."""
    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        deadline = time.monotonic() + 10
        channel = in_db(client, DESK_CHANNEL)
        while dict(client.pubsub_numsub(channel))[channel.encode()] < count:
            assert time.monotonic() < deadline, "the desk streams did not subscribe"
            time.sleep(0.02)
    finally:
        client.close()


def barrier(api: httpx.Client, sue: dict[str, str], streams: list[Stream], n: int) -> None:
    """Every stream has caught up: an event all agents get (availability changed) is published
    after what came before, and each stream passes events on in order; this is the n-th."""
    availability = "away" if n % 2 else "available"
    assert api.post("/api/desk/me/availability", headers=sue,
                    json={"availability": availability}).status_code == 200
    deadline = time.monotonic() + 15
    while any(sum(1 for name, _ in s.events if name == "agents") < n for s in streams):
        assert time.monotonic() < deadline, [s.events for s in streams]
        time.sleep(0.02)


def about(stream: Stream, since: int = 0) -> list[tuple[str, int | None, str | None]]:
    """What a stream said of handoffs, agents' availability left out: (event, handoff, text)."""
    return [(n, d.get("handoff_id", d.get("id")), d.get("text"))
            for n, d in stream.said()[since:] if n != "agents"]


def sign_in(api: httpx.Client, who: dict[str, str]) -> tuple[str, dict[str, str]]:
    resp = api.post("/api/desk/login", json=who)
    assert resp.status_code == 200, resp.text
    token = resp.json()["token"]
    return token, {"Authorization": f"Bearer {token}"}


def flag_overdue(seeded: Session, handoff_id: int) -> None:
    """The handoff is urgent and has waited past the alert limit; the sweep flags it."""
    handoff = handoffs.get(seeded, handoff_id)
    handoff.queued_at = handoffs.now() - timedelta(minutes=5)
    seeded.commit()

    async def sweep() -> tuple[int, int]:
        client = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
        try:
            return await waits.sweep(client)
        finally:
            await client.aclose()

    # The app's own sweep (every few seconds) may have flagged it first: once either way.
    assert asyncio.run(sweep()) in ((0, 1), (0, 0))


def test_a_pharmacy_agent_hears_nothing_of_billing_until_it_is_transferred(
        server: str, seeded: Session, ids: dict[str, int]) -> None:
    people = {name: make(seeded, name, team) for name, team in
              (("bea", Team.billing), ("phil", Team.pharmacy), ("nina", Team.nurse))}
    people["sue"] = make(seeded, "sue", Team.general, supervisor=True)
    with httpx.Client(base_url=server, timeout=30) as api:
        tokens, auth = {}, {}
        for name, who in people.items():
            tokens[name], auth[name] = sign_in(api, who)
        bea, phil, nina, sue = (Stream(server, tokens[n]) for n in ("bea", "phil", "nina", "sue"))
        streams = [bea, phil, nina, sue]
        subscribed(len(streams))
        try:
            chat = api.post("/channels/web/sessions").json()
            patient = {"Authorization": f"Bearer {chat['token']}"}
            ticket = api.post("/api/handoffs", headers=SERVICE, json={
                "conversation_id": f"web:{chat['session_id']}", "reason": "requested",
                "verified": True, "patient_id": ids["Lopez"],
                "intents": ["billing_charge_question", "human_handoff"]}).json()
            assert ticket["team"] == "billing"
            bill = ticket["handoff_id"]

            # Billing's conversation: the patient writes, Bea takes it, answers, notes.
            charged = "Hi, my card was charged twice for the same visit"
            assert api.post("/channels/web/messages", headers=patient,
                            json={"text": charged}).status_code == 200
            assert api.post(f"/api/desk/handoffs/{bill}/accept",
                            headers=auth["bea"]).status_code == 200
            assert api.post(f"/api/desk/handoffs/{bill}/messages", headers=auth["bea"],
                            json={"text": "Sorry about that, let me look."}).status_code == 201
            assert api.post(f"/api/desk/handoffs/{bill}/notes", headers=auth["bea"],
                            json={"text": "Duplicate charge on the card"}).status_code == 201
            barrier(api, auth["sue"], streams, 1)
            billing_story = [("queue", bill, None), ("message", bill, charged),
                             ("queue", bill, None),
                             ("message", bill, "Sorry about that, let me look."),
                             ("note", bill, None)]
            # Pharmacy and the nurse line: not a word, live or otherwise.
            assert not any("charged twice" in line for line in phil.raw + nina.raw)
            assert about(phil) == [] and about(nina) == []
            assert about(bea) == billing_story
            assert about(sue) == billing_story
            assert api.get(f"/api/desk/handoffs/{bill}", headers=auth["phil"]).status_code == 403
            assert api.get("/api/desk/handoffs", headers=auth["phil"]).json() == []

            # Bea passes it to pharmacy: from now on Phil hears it, Bea is only told it left.
            heard = {name: len(s.said()) for name, s in zip(people, streams, strict=True)}
            assert api.post(f"/api/desk/handoffs/{bill}/transfer", headers=auth["bea"],
                            json={"team": "pharmacy", "note": "Card refund"}).status_code == 200
            assert api.post("/channels/web/messages", headers=patient,
                            json={"text": "ok, thanks"}).status_code == 200
            assert api.post(f"/api/desk/handoffs/{bill}/accept",
                            headers=auth["phil"]).status_code == 200
            due = (datetime.now(UTC) + timedelta(days=1)).isoformat()
            assert api.post(f"/api/desk/handoffs/{bill}/close", headers=auth["phil"], json={
                "disposition": "follow_up",
                "follow_up": {"what": "Refund the second charge", "due_at": due},
            }).status_code == 200
            [task] = api.get("/api/desk/follow-ups", headers=auth["phil"]).json()
            assert api.post(f"/api/desk/follow-ups/{task['id']}/done",
                            headers=auth["phil"]).status_code == 200
            barrier(api, auth["sue"], streams, 2)
            assert bea.said()[heard["bea"]:-1] == [("queue", {"type": "queue",
                                                              "handoff_id": bill})]
            pharmacy_story = [("queue", bill, None), ("message", bill, "ok, thanks"),
                              ("queue", bill, None), ("queue", bill, None),
                              ("follow_up", task["id"], None)]
            assert about(phil, heard["phil"]) == pharmacy_story
            assert about(sue, heard["sue"]) == pharmacy_story
            moved = next(d for n, d in phil.said() if d.get("transfer"))
            assert (moved["team"], "was" in moved) == ("pharmacy", False)
            assert about(nina) == []
            assert api.get(f"/api/desk/handoffs/{bill}", headers=auth["phil"]).status_code == 200
            assert api.get(f"/api/desk/handoffs/{bill}", headers=auth["bea"]).status_code == 403

            # Alerts: an emergency in a billing queue moves it to the nurse line, whose agents
            # and supervisors are alerted when it waits too long; pharmacy hears nothing.
            chat = api.post("/channels/web/sessions").json()
            patient = {"Authorization": f"Bearer {chat['token']}"}
            urgent = api.post("/api/handoffs", headers=SERVICE, json={
                "conversation_id": f"web:{chat['session_id']}", "reason": "requested",
                "intents": ["billing_pay", "human_handoff"]}).json()["handoff_id"]
            barrier(api, auth["sue"], streams, 3)
            assert bea.said()[-2] == ("queue", {"type": "queue", "handoff_id": urgent,
                                                "urgency": "normal", "team": "billing",
                                                "new": True})
            heard = {name: len(s.said()) for name, s in zip(people, streams, strict=True)}
            assert api.post("/channels/web/messages", headers=patient,
                            json={"text": "I have chest pain"}).status_code == 200
            flag_overdue(seeded, urgent)
            barrier(api, auth["sue"], streams, 4)
            assert about(phil, heard["phil"]) == []
            # The message reaches Bea or Nina, whoever has it when their desk reads it; the
            # move and the alert are certain.
            assert bea.said()[-2] == ("queue", {"type": "queue", "handoff_id": urgent})
            assert [e[0] for e in about(bea, heard["bea"])] in (["queue"], ["message", "queue"])
            assert [e for e in about(nina, heard["nina"]) if e[0] != "message"] == [
                ("queue", urgent, None), ("urgent_overdue", urgent, None)]
            assert about(sue, heard["sue"]) == [
                ("message", urgent, "I have chest pain"), ("queue", urgent, None),
                ("urgent_overdue", urgent, None)]
            alert = next(d for n, d in sue.said() if n == "urgent_overdue")
            assert (alert["team"], alert["patient"]) == ("nurse", "Unverified web visitor")
        finally:
            for stream in streams:
                stream.close()


def test_an_event_that_names_nothing_reaches_nobody_and_a_disabled_agent_is_cut_off(
        seeded: Session) -> None:
    """The rule on its own (the stream above runs it for every event and agent)."""
    make(seeded, "bea", Team.billing)
    make(seeded, "sue", Team.general, supervisor=True)
    bea, sue = (seeded.scalars(select(Agent).where(Agent.email == f"{n}@example.org")).one()
                for n in ("bea", "sue"))
    handoff, _ = handoffs.request_handoff(seeded, HandoffRequest(
        conversation_id="web:x", reason="requested", intents=["billing_pay"]), clinic_today())
    seeded.commit()

    def shown(agent: Agent, event: dict[str, Any]) -> dict[str, Any] | None:
        return desk_events.shown_to(seeded, agent.id, agent.token_version, event)

    for event in ({"type": "queue"}, {"type": "message", "text": "charged twice"},
                  {"type": "message", "handoff_id": 99999, "text": "charged twice"},
                  {"type": "message", "handoff_id": str(handoff.id), "text": "x"},
                  {"type": "follow_up", "id": 99999}):
        assert shown(bea, event) is None and shown(sue, event) is None
    assert shown(bea, {"type": "agents"}) == {"type": "agents"}
    record = {"type": "record_alert", "audience": "supervisors"}
    assert (shown(bea, record), shown(sue, record)) == (None, record)
    assert shown(bea, {"type": "note", "handoff_id": handoff.id}) == {
        "type": "note", "handoff_id": handoff.id}
    version = bea.token_version
    agents.disable(seeded, "bea@example.org", actor="test")
    with pytest.raises(desk_events.StreamRevoked):
        desk_events.shown_to(seeded, bea.id, version, {"type": "agents"})
