"""A scripted engine on a real socket: the engine's HTTP API at the edge of a unit test.

The bot service's engine client is tested against a local HTTP server (a thread), not a
client-side mock, so connection refusals, a server that drops the connection mid-request and
one that never answers are the real failures the client sees from a dead or hung engine. A
handler takes an `httpx.Request` (method, URL, body: a convenient immutable request type) and
returns an `httpx.Response`, or raises `Disconnect`. Each request has its own thread, so a
handler may sleep.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

Handler = Callable[[httpx.Request], httpx.Response]


class Disconnect(Exception):  # noqa: N818 (what the server does, not an error of the test)
    """Raised by a handler: the server closes the connection without answering, as an
    engine killed mid-turn does."""


def unused_url() -> str:
    """An address nothing listens on: an engine that is down (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _request_handler(handler: Handler) -> type[BaseHTTPRequestHandler]:
    class EngineRequest(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the engine (Sanic) answers

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            host, port = self.server.server_address[:2]
            request = httpx.Request(self.command, f"http://{host}:{port}{self.path}",
                                    headers=dict(self.headers.items()), content=body)
            try:
                response = handler(request)
            except Disconnect:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            content = response.read()
            self.send_response(response.status_code)
            self.send_header("Content-Type",
                             response.headers.get("content-type", "application/json"))
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = _serve  # noqa: N815 (BaseHTTPRequestHandler's names)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # quiet: the test says what went wrong

    return EngineRequest


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler left hanging does not hold the test run

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a connection dropped on purpose (Disconnect) or by the client's timeout


@contextmanager
def engine_server(handler: Handler) -> Iterator[str]:
    """Serves `handler` on 127.0.0.1 (a free port) while the block runs; yields its URL."""
    server = _Server(("127.0.0.1", 0), _request_handler(handler))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
