"""A local stand-in for the Twilio REST API's Messages resource, for the real twilio client.

`make run` without Twilio credentials and the tests point the twilio library at it
(TWILIO_API_BASE_URL). Like Twilio it answers 201 with a message resource, then reports
"sent" and "delivered" to the message's StatusCallback, signed with the auth token; it lists
the messages (newest first, by To and From) and fetches one by its sid.
Run alone: `python -m channels.twilio_standin --port 8099`.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse
from twilio.request_validator import RequestValidator


@dataclass
class StandIn:
    base_url: str
    auth_token: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    # Status codes to answer the next creates with, for failure tests (429, 500, 400...).
    fail_next: list[int] = field(default_factory=list)
    callbacks: list[dict[str, str]] = field(default_factory=list)
    # How the next creates are held, for tests that stop a sender mid-call: "before" (the
    # request hangs, then fails: Twilio never took it), "after" (the message is taken, then
    # its answer hangs: the sender never learns its sid). `holding` counts the held now.
    hold_next: list[str] = field(default_factory=list)
    hold_seconds: float = 60.0
    holding: int = 0


def _rfc2822(at: float) -> str:
    return email.utils.formatdate(at, usegmt=True).replace("GMT", "+0000")


def _resource(record: dict[str, Any]) -> dict[str, Any]:
    """A message as Twilio's API shows it."""
    return {key: record[key] for key in (
        "sid", "account_sid", "to", "from", "body", "status", "date_created", "date_sent",
        "direction", "num_segments")}


async def _report_status(state: StandIn, url: str, params: dict[str, str]) -> None:
    for status in ("sent", "delivered"):
        await asyncio.sleep(0.05)
        form = {**params, "MessageStatus": status, "SmsStatus": status}
        headers = {}
        if state.auth_token:
            signature = RequestValidator(state.auth_token).compute_signature(url, form)
            headers["X-Twilio-Signature"] = signature
        try:
            async with httpx.AsyncClient(timeout=5) as http:
                await http.post(url, data=form, headers=headers)
            state.callbacks.append(form)
        except httpx.HTTPError:
            return


def build_app(state: StandIn) -> FastAPI:
    app = FastAPI(title="Twilio stand-in")

    @app.post("/2010-04-01/Accounts/{account_sid}/Messages.json")
    async def create_message(account_sid: str, request: Request,
                             background: BackgroundTasks) -> JSONResponse:
        if state.fail_next:
            return JSONResponse({"code": 20500, "message": "stand-in failure", "status": 0},
                                status_code=state.fail_next.pop(0))
        hold = state.hold_next.pop(0) if state.hold_next else None
        if hold == "before":
            await _held(state)
            return JSONResponse({"code": 20500, "message": "stand-in held", "status": 0},
                                status_code=503)
        form = {k: str(v) for k, v in (await request.form()).items()}
        sid = "SM" + uuid.uuid4().hex
        now = _rfc2822(time.time())
        record = {"sid": sid, "account_sid": account_sid, "to": form.get("To"),
                  "from": form.get("From"), "body": form.get("Body"), "status": "queued",
                  "date_created": now, "date_sent": now, "direction": "outbound-api",
                  "num_segments": "1", "status_callback": form.get("StatusCallback"),
                  "authorization": request.headers.get("authorization", "")}
        state.messages.append(record)
        if hold == "after":
            await _held(state)
        if form.get("StatusCallback"):
            background.add_task(_report_status, state, form["StatusCallback"], {
                "MessageSid": sid, "SmsSid": sid, "AccountSid": account_sid,
                "To": form.get("To", ""), "From": form.get("From", "")})
        return JSONResponse(_resource(record), status_code=201)

    @app.get("/2010-04-01/Accounts/{account_sid}/Messages.json")
    def list_messages(account_sid: str, request: Request) -> dict[str, Any]:
        """Newest first, filtered by To and From as Twilio's list is; one page."""
        query = request.query_params
        found = [_resource(m) for m in reversed(state.messages)
                 if m["account_sid"] == account_sid
                 and query.get("To") in (None, m["to"]) and query.get("From") in (None, m["from"])]
        size = int(query.get("PageSize") or 50)
        uri = request.url.path
        return {"messages": found[:size], "page": 0, "page_size": size, "start": 0,
                "end": max(0, min(size, len(found)) - 1), "uri": uri,
                "first_page_uri": uri, "next_page_uri": None, "previous_page_uri": None}

    @app.get("/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json")
    def fetch_message(account_sid: str, sid: str) -> JSONResponse:
        for m in state.messages:
            if m["sid"] == sid and m["account_sid"] == account_sid:
                return JSONResponse(_resource(m))
        return JSONResponse({"code": 20404, "message": "not found", "status": 404},
                            status_code=404)

    @app.get("/messages")
    def messages() -> list[dict[str, Any]]:
        return state.messages

    return app


async def _held(state: StandIn) -> None:
    state.holding += 1
    try:
        await asyncio.sleep(state.hold_seconds)
    finally:
        state.holding -= 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_standin(auth_token: str = "") -> Iterator[StandIn]:
    """The stand-in on a free loopback port, in a thread, for as long as the block runs."""
    port = free_port()
    state = StandIn(base_url=f"http://127.0.0.1:{port}", auth_token=auth_token)
    server = uvicorn.Server(uvicorn.Config(build_app(state), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield state
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    state = StandIn(base_url=f"http://127.0.0.1:{args.port}",
                    auth_token=os.environ.get("TWILIO_AUTH_TOKEN", ""))
    uvicorn.run(build_app(state), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
