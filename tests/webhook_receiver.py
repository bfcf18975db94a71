"""A real HTTP receiver for webhook tests: verifies every request with ``standardwebhooks``.

``Receiver(secrets=[...])`` serves on 127.0.0.1 in a thread. Each request is checked against
the secrets it knows (any one matching signature passes, as a receiver does mid-rotation);
verified ones answer ``status`` (200 unless a test says otherwise) and are kept in
``received``; unverifiable ones answer 400 and are kept in ``rejected``. ``stop()`` closes
the port (connection refused, a receiver that is down); ``start()`` serves it again.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    """One verified request."""

    headers: dict[str, str]
    body: bytes
    payload: dict[str, Any]


@dataclass
class Receiver:
    """See the module docstring."""

    secrets: list[str] = field(default_factory=list)
    status: int = 200
    received: list[Received] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """Where to point an endpoint."""
        return f"http://127.0.0.1:{self.port}/hook"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                payload = receiver.verify(body, headers)
                with receiver._lock:
                    if payload is None:
                        receiver.rejected.append(headers)
                    else:
                        receiver.received.append(Received(headers, body, payload))
                code = receiver.status if payload is not None else 400
                self.send_response(code)
                self.send_header("content-type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else b"receiver says no " * 100)

            def log_message(self, *_args: Any) -> None:
                pass

        return Handler

    def verify(self, body: bytes, headers: dict[str, str]) -> dict[str, Any] | None:
        """The payload if any known secret verifies the request, else None."""
        for secret in self.secrets:
            try:
                payload: dict[str, Any] = Webhook(secret).verify(body, headers)
                return payload
            except WebhookVerificationError:
                continue
        return None

    def start(self) -> Receiver:
        """Serve (on the same port as before, if any)."""
        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def of_type(self, kind: str) -> list[Received]:
        """Verified requests of one event type."""
        with self._lock:
            return [r for r in self.received if r.payload["type"] == kind]


def free_port() -> int:
    """A port nothing listens on (for a receiver that starts later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    """Poll ``check`` until true; fail after ``timeout`` seconds (a hang, not a speed test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
