"""The engine client over several engines: one shared HTTP client, the next engine only when
the one asked cannot have processed the message, never one message processed twice."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest

from bot.conversations.engine import EngineClient, EngineUnavailable, replies_after
from bot.settings import Settings
from tests.support.engine_server import Disconnect, engine_server, unused_url

HANG_SECONDS = 2.0
CLIENT_TIMEOUT = 0.5


class Engines:
    """Two engines on real sockets, "a" and "b", each behaving as `behaviour` says: "ok",
    "down" (nothing listens), "hang" (never answers in time), "dies-before-storing" or
    "dies-after-storing" (the connection dropped without an answer, as when killed)."""

    def __init__(self, behaviour: dict[str, str]) -> None:
        self.behaviour = behaviour
        self.processed: list[tuple[str, dict[str, Any]]] = []
        self.tracker: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self.get_headers: list[dict[str, str]] = []

    def handler(self, name: str):  # type: ignore[no-untyped-def]
        def handle(request: httpx.Request) -> httpx.Response:
            self.calls.append(f"{name} {request.method} {request.url.path}")
            mode = self.behaviour.get(name, "ok")
            if request.method == "GET":  # the tracker: what the engines stored
                self.get_headers.append({k.lower(): v for k, v in request.headers.items()})
                return httpx.Response(200, json={"events": self.tracker})
            body = json.loads(request.content)
            if mode == "hang":
                time.sleep(HANG_SECONDS)
                raise Disconnect()
            if mode == "dies-before-storing":  # killed before Rasa saved the tracker
                raise Disconnect()
            self.processed.append((name, body))
            reply = {"recipient_id": body["sender"], "text": f"answer from {name}"}
            self.tracker += [{"event": "user", "text": body["message"],
                              "metadata": body["metadata"]},
                             {"event": "bot", "text": reply["text"], "data": {}}]
            if mode == "dies-after-storing":
                raise Disconnect()
            return httpx.Response(200, json=[reply])
        return handle

    @contextmanager
    def serving(self) -> Iterator[list[str]]:
        """The engines' URLs, a then b, while they run."""
        with ExitStack() as servers:
            yield [unused_url() if self.behaviour.get(name) == "down"
                   else servers.enter_context(engine_server(self.handler(name)))
                   for name in ("a", "b")]


@pytest.fixture
def engines_with():  # type: ignore[no-untyped-def]
    """Starts engines behaving as given; returns a client over them."""
    with ExitStack() as stack:

        def start(behaviour: dict[str, str]) -> tuple[Engines, EngineClient]:
            engines = Engines(behaviour)
            urls = stack.enter_context(engines.serving())
            return engines, EngineClient(urls, "tok", timeout=CLIENT_TIMEOUT)

        yield start


async def test_turns_take_the_engines_in_turn_over_one_http_client(engines_with) -> None:
    _, engine = engines_with({})
    first = await engine.send("web:1", "hi", {"channel": "web"})
    shared = engine._client()
    second = await engine.send("web:1", "hello", {"channel": "web"})
    assert [m.text for m in first + second] == ["answer from a", "answer from b"]
    assert engine._client() is shared
    await engine.aclose()


async def test_an_engine_that_is_down_is_skipped_and_the_message_sent_once(engines_with
                                                                          ) -> None:
    engines, engine = engines_with({"a": "down"})
    replies = [m.text for _ in range(3) for m in await engine.send("sms:+1", "hi", {})]
    assert replies == ["answer from b"] * 3
    assert [host for host, _ in engines.processed] == ["b", "b", "b"]
    # Refused: it never had the message, so no tracker is asked whether it stored it.
    assert engines.calls == ["b POST /webhooks/rest/webhook"] * 3
    await engine.aclose()


async def test_every_engine_down_is_engine_unavailable(engines_with) -> None:
    _, engine = engines_with({"a": "down", "b": "down"})
    with pytest.raises(EngineUnavailable):
        await engine.send("sms:+1", "hi", {})
    await engine.aclose()


async def test_a_hung_engine_is_not_asked_again_elsewhere(engines_with) -> None:
    """It holds the message and would still process it when it resumed."""
    engines, engine = engines_with({"a": "hang"})
    started = time.monotonic()
    with pytest.raises(EngineUnavailable):
        await engine.send("web:1", "refill my lisinopril", {"channel": "web"})
    assert time.monotonic() - started < HANG_SECONDS  # the client's timeout, not the engine
    assert engines.calls == ["a POST /webhooks/rest/webhook"]
    assert engines.processed == []
    await engine.aclose()


async def test_an_engine_killed_after_storing_the_turn_is_answered_from_the_tracker(
        engines_with) -> None:
    engines, engine = engines_with({"a": "dies-after-storing"})
    replies = await engine.send("web:1", "refill my lisinopril", {"channel": "web"})
    assert [m.text for m in replies] == ["answer from a"]
    assert [host for host, _ in engines.processed] == ["a"]  # b never processed it again
    assert engines.calls[-1] == "b GET /conversations/web:1/tracker"
    await engine.aclose()


async def test_an_engine_killed_before_storing_the_turn_is_retried_on_the_next(
        engines_with) -> None:
    engines, engine = engines_with({"a": "dies-before-storing"})
    replies = await engine.send("web:1", "hi", {"channel": "web"})
    assert [m.text for m in replies] == ["answer from b"]
    assert [host for host, _ in engines.processed] == ["b"]
    assert engines.calls[1] == "b GET /conversations/web:1/tracker"  # asked first
    await engine.aclose()


async def test_a_message_that_may_have_been_taken_is_answered_from_the_tracker(
        engines_with) -> None:
    """A web message taken over from a failed or dead worker (channels.web.once): the engine
    that already took it is not sent it again; one that did not is sent it once."""
    engines, engine = engines_with({})
    first = await engine.send("web:1", "60614", {"channel": "web"}, message_id="m-zip")
    again = await engine.send("web:1", "60614", {"channel": "web"}, message_id="m-zip",
                              maybe_taken=True)
    assert again == first and [host for host, _ in engines.processed] == ["a"]
    assert engines.calls[-1] == "b GET /conversations/web:1/tracker"

    fresh = await engine.send("web:1", "hi", {"channel": "web"}, message_id="m-hi",
                              maybe_taken=True)
    assert [m.text for m in fresh] == ["answer from a"]
    assert engines.calls[-2:] == ["a GET /conversations/web:1/tracker",
                                  "a POST /webhooks/rest/webhook"]
    # A tracker read carries no body, so no "Content-Length: 0" the engine leaves unread.
    assert engines.get_headers and not any(
        "content-length" in h or "transfer-encoding" in h for h in engines.get_headers)
    await engine.aclose()


async def test_each_message_carries_its_own_id_and_the_callers_metadata(engines_with
                                                                        ) -> None:
    engines, engine = engines_with({})
    metadata = {"channel": "sms", "phone": "+15555550101"}
    await engine.send("sms:+1", "hi", metadata)
    await engine.send("sms:+1", "hi", metadata)
    sent = [body["metadata"] for _, body in engines.processed]
    assert sent[0]["phone"] == "+15555550101" and sent[0]["message_id"] != sent[1]["message_id"]
    assert metadata == {"channel": "sms", "phone": "+15555550101"}  # not changed
    await engine.aclose()


def test_replies_after_reads_one_turn_only() -> None:
    events = [{"event": "user", "metadata": {"message_id": "m1"}},
              {"event": "bot", "text": "Which one?", "data": {"buttons": [
                  {"title": "Lisinopril", "payload": "/inform"}]}},
              {"event": "action", "name": "action_listen"},
              {"event": "user", "metadata": {"message_id": "m2"}},
              {"event": "bot", "text": "later"}]
    replies = replies_after(events, "m1")
    assert replies is not None
    assert [(m.text, [b.title for b in m.buttons]) for m in replies] == [
        ("Which one?", ["Lisinopril"])]
    assert replies_after(events, "m3") is None
    assert not replies.handoff_opened


def test_a_handoff_opened_in_the_turn_is_noted_and_not_shown() -> None:
    """The handoff action's payload, from the REST channel (a message of its own) or from a
    stored turn (on the bot event's data), marks the replies; it is never a message."""
    from bot.conversations.engine import parse_engine_messages

    rest = parse_engine_messages([{"recipient_id": "web:1", "text": "You're number 1 in line."},
                                  {"recipient_id": "web:1", "custom": {"handoff_opened": 7}}])
    assert [m.text for m in rest] == ["You're number 1 in line."] and rest.handoff_opened
    stored = replies_after([{"event": "user", "metadata": {"message_id": "m1"}},
                            {"event": "bot", "text": "You're number 1 in line.",
                             "data": {"custom": {"handoff_opened": 7}}}], "m1")
    assert stored is not None and stored.handoff_opened
    assert [m.text for m in stored] == ["You're number 1 in line."]
    assert not parse_engine_messages([{"text": "hi", "custom": {"other": 1}}]).handoff_opened


def test_the_language_the_turn_set_is_noted_and_not_shown() -> None:
    """The verification's payload (REST channel) or its `language` slot event (a stored
    turn) says the conversation's language; neither is a message."""
    from bot.conversations.engine import parse_engine_messages

    rest = parse_engine_messages([{"text": "Thanks, you're verified."},
                                  {"custom": {"language_set": "es"}}])
    assert [m.text for m in rest] == ["Thanks, you're verified."] and rest.language == "es"
    assert parse_engine_messages([{"text": "hi"}]).language is None
    stored = replies_after([{"event": "user", "metadata": {"message_id": "m1"}},
                            {"event": "bot", "text": "Thanks, you're verified."},
                            {"event": "slot", "name": "language", "value": "es"},
                            {"event": "user", "metadata": {"message_id": "m2"}},
                            {"event": "slot", "name": "language", "value": "en"}], "m1")
    assert stored is not None and stored.language == "es"


async def test_session_events_and_execute_use_the_tracker_api() -> None:
    seen: list[tuple[str, str, dict[str, str], Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        seen.append((request.method, request.url.path, dict(request.url.params), body))
        if request.method == "GET":
            return httpx.Response(200, json={"slots": {"language": "es"}, "events": [
                {"event": "user", "text": "hola"}, "not an event"]})
        return httpx.Response(200, json={"tracker": {}, "messages": [
            {"recipient_id": "sms:+1", "text": "De acuerdo, seguimos en español."}]})

    with engine_server(handler) as url:
        client = EngineClient(url, "tok")
        slots, events = await client.session_events("sms:+15555550104")
        replies = await client.execute("sms:+15555550104", "action_language_switched")
        await client.aclose()
    assert (slots, events) == ({"language": "es"}, [{"event": "user", "text": "hola"}])
    assert [m.text for m in replies] == ["De acuerdo, seguimos en español."]
    assert seen == [
        ("GET", "/conversations/sms:+15555550104/tracker",
         {"token": "tok", "include_events": "APPLIED"}, None),
        ("POST", "/conversations/sms:+15555550104/execute", {"token": "tok"},
         {"name": "action_language_switched"})]


async def test_execute_that_fails_is_engine_unavailable() -> None:
    with engine_server(lambda request: httpx.Response(500, json={})) as url:
        client = EngineClient(url, "tok")
        with pytest.raises(EngineUnavailable):
            await client.execute("web:1", "action_language_switched")
        with pytest.raises(EngineUnavailable):
            await client.session_events("web:1")
        await client.aclose()
    client = EngineClient(unused_url(), "tok")
    with pytest.raises(EngineUnavailable):
        await client.execute("web:1", "utter_language_switched")
    await client.aclose()


def test_engine_urls_setting_falls_back_to_engine_url() -> None:
    assert Settings(engine_url="http://one:5005").engine_url_list == ["http://one:5005"]
    assert Settings(engine_urls="http://a:1, http://b:2,").engine_url_list == [
        "http://a:1", "http://b:2"]


def tracker_state(**changes: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "slots": {"verified": True, "patient_id": "1", "pending_request": "balance",
                  "flow_step": None, "requested_slot": None},
        "latest_message": {"intent": {"name": "billing_balance"}}, "paused": False,
        "active_loop": {}, "latest_action_name": "action_listen"}
    for key, value in changes.items():
        if key in state["slots"]:
            state["slots"][key] = value
        else:
            state[key] = value
    return state


async def compacted(state: dict[str, Any]) -> list[list[dict[str, Any]]]:
    posted: list[list[dict[str, Any]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=state)
        posted.append(json.loads(request.content))
        return httpx.Response(200, json={})

    with engine_server(handler) as url:
        engine = EngineClient(url, "t")
        await engine.compact("web:1")
        await engine.aclose()
    return posted


async def test_a_long_session_restarts_between_flows_keeping_every_slot() -> None:
    [events] = await compacted(tracker_state())
    assert [e["event"] for e in events] == ["action", "session_started", "slot", "slot", "slot",
                                            "action"]
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"} == {
        "verified": True, "patient_id": "1", "pending_request": "balance"}
    assert events[0]["name"] == "action_session_start" and events[-1]["name"] == "action_listen"


@pytest.mark.parametrize("changes", [
    {"flow_step": "refill_confirm"}, {"requested_slot": "dob"},
    {"active_loop": {"name": "verify_form"}}, {"verified": None},
    {"latest_message": {"intent": {"name": "nlu_fallback"}}}, {"paused": True},
    {"latest_action_name": "action_handoff"}])
async def test_not_in_the_middle_of_anything(changes: dict[str, Any]) -> None:
    assert await compacted(tracker_state(**changes)) == []


def test_the_engine_calls_take_their_options_by_name() -> None:
    """A flag passed by position (`send(..., None, "m1", True)`) reads as nothing at the call."""
    import inspect

    for name in ("timeout", "message_id", "maybe_taken"):
        param = inspect.signature(EngineClient.send).parameters[name]
        assert param.kind is inspect.Parameter.KEYWORD_ONLY, name
