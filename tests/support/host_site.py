"""A health system's own web site, as the widget's browser tests and bench see it: plain
static pages on another loopback origin, each with the one script tag of /widget.js, under a
strict Content-Security-Policy of their own (the lines README "Embedding the chat" asks for).

One server answers two origins: http://localhost:PORT (the site allowed in
WIDGET_ALLOWED_ORIGINS, another site than the bot's 127.0.0.1) and http://127.0.0.1:PORT
(the same pages from an origin not allowed)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The site's own styles, hostile on purpose: none of it may reach the widget.
SITE_CSS = b"""body { font: 20px/1.6 Georgia, serif; margin: 0; padding: 24px; }
button, iframe, div { border: 6px dashed #c00 !important; font-family: monospace !important;
                      background: #ff0 !important; }
* { box-sizing: content-box !important; }
"""

# path: (title, the script tag's data- attributes)
PAGES: dict[str, tuple[str, dict[str, str]]] = {
    "/billing": ("Billing", {"data-greeting": "Questions about your bill?"}),
    "/appointments": ("Appointments", {}),
    "/es/facturas": ("Facturas", {"data-lang": "es", "data-color": "#ffd400",
                                  "data-position": "left"}),
}


@dataclass
class HostSite:
    port: int
    bot_url: str = ""
    requests: list[str] = field(default_factory=list)

    @property
    def allowed_origin(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def refused_origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page(self, path: str) -> bytes:
        if path == "/framed":  # a page that frames the chat itself, not through the loader
            body = f'<iframe title="Chat" src="{self.bot_url}/chat?embed=1"></iframe>'
            return _html("Framed", body)
        title, attributes = PAGES[path]
        attrs = "".join(f' {k}="{escape(v)}"' for k, v in attributes.items())
        links = " | ".join(f'<a href="{p}">{escape(t)}</a>' for p, (t, _) in PAGES.items())
        body = (f"<nav>{links}</nav><h1>{escape(title)}</h1>"
                "<p>Pay your bill online or call us. <button type=button>Print</button></p>"
                f'<script src="{self.bot_url}/widget.js" defer{attrs}></script>')
        return _html(title, body)

    def csp(self) -> str:
        # What a site with a strict policy adds for the widget: its script and its frame.
        return (f"default-src 'self'; script-src 'self' {self.bot_url}; "
                f"frame-src {self.bot_url}; style-src 'self'; base-uri 'none'")


def _html(title: str, body: str) -> bytes:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)} - Example Health</title>"
            f'<link rel="stylesheet" href="/site.css"></head><body>{body}</body></html>'
            ).encode()


@contextmanager
def serving_host_site() -> Iterator[HostSite]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    site = HostSite(port=server.server_address[1])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            path = self.path.split("?")[0]
            site.requests.append(path)
            if path == "/favicon.ico":
                self._send(204, "image/x-icon", b"")
            elif path == "/site.css":
                self._send(200, "text/css", SITE_CSS)
            elif path in PAGES or path == "/framed":
                self._send(200, "text/html; charset=utf-8", site.page(path))
            else:
                self._send(404, "text/plain", b"not found")

        def _send(self, status: int, media: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", media)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", site.csp())
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
