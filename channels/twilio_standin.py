"""A local stand-in for the Twilio REST API's Messages resource, for the real twilio client.

`make run` without Twilio credentials and the tests point the twilio library at it
(TWILIO_API_BASE_URL). Like Twilio it answers 201 with a message resource, then reports
"sent" and "delivered" to the message's StatusCallback, signed with the auth token.
Run alone: `python -m channels.twilio_standin --port 8099`.
"""

from __future__ import annotations

import argparse
import asyncio
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
        form = {k: str(v) for k, v in (await request.form()).items()}
        sid = "SM" + uuid.uuid4().hex
        record = {"sid": sid, "account_sid": account_sid, "to": form.get("To"),
                  "from": form.get("From"), "body": form.get("Body"), "status": "queued",
                  "status_callback": form.get("StatusCallback"),
                  "authorization": request.headers.get("authorization", "")}
        state.messages.append(record)
        if form.get("StatusCallback"):
            background.add_task(_report_status, state, form["StatusCallback"], {
                "MessageSid": sid, "SmsSid": sid, "AccountSid": account_sid,
                "To": form.get("To", ""), "From": form.get("From", "")})
        return JSONResponse({"sid": sid, "account_sid": account_sid, "to": record["to"],
                             "from": record["from"], "body": record["body"],
                             "status": "queued", "num_segments": "1"}, status_code=201)

    @app.get("/messages")
    def messages() -> list[dict[str, Any]]:
        return state.messages

    return app


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
