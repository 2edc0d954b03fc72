"""A local stand-in for the Twilio REST API's Messages resource, for the real twilio client."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class StandIn:
    base_url: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)


def build_app(state: StandIn) -> FastAPI:
    app = FastAPI()

    @app.post("/2010-04-01/Accounts/{account_sid}/Messages.json")
    async def create_message(account_sid: str, request: Request) -> JSONResponse:
        if state.fail_next:
            return JSONResponse({"code": 20500, "message": "stand-in failure"},
                                status_code=state.fail_next.pop(0))
        form = dict((await request.form()).items())
        sid = "SM" + uuid.uuid4().hex
        record = {"sid": sid, "account_sid": account_sid, "to": form.get("To"),
                  "from": form.get("From"), "body": form.get("Body"), "status": "queued",
                  "status_callback": form.get("StatusCallback"),
                  "authorization": request.headers.get("authorization", "")}
        state.messages.append(record)
        return JSONResponse({"sid": sid, "account_sid": account_sid, "to": record["to"],
                             "from": record["from"], "body": record["body"],
                             "status": "queued", "num_segments": "1"}, status_code=201)

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_standin() -> Iterator[StandIn]:
    port = free_port()
    state = StandIn(base_url=f"http://127.0.0.1:{port}")
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
