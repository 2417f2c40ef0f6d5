"""A real help-desk stand-in: an HTTP server on 127.0.0.1 that checks every request
with the ``standardwebhooks`` library and answers as a test scripts it.

    with Receiver(secret) as rx:
        rx.script(500, 500)            # the next two requests fail, then 200
        rx.respond = lambda req: (201, {"ticket": {"id": 7}}, {})
        ...
        rx.received                    # every request, verified or not

Each request is recorded with its headers, body, whether the signature verified, and
the time it arrived. ``stop()`` closes the socket so connections are refused;
``start()`` listens again on the same port.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from standardwebhooks.webhooks import Webhook


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


Response = tuple[int, Any, dict[str, str]]


class Receiver:
    def __init__(self, secret: str | None = None, *, port: int = 0) -> None:
        self.secret = secret
        self.port = port
        self.received: list[Request] = []
        self._script: list[Response | float] = []
        self.respond: Callable[[Request], Response] = lambda req: (200, {"ok": True}, {})
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def script(self, *responses: int | Response | float) -> None:
        """Answers for the next requests, in order: a status, ``(status, json,
        headers)``, or a float: sleep that many seconds, then answer 200."""
        with self._lock:
            self._script.extend((r, None, {}) if isinstance(r, int) else r for r in responses)

    def verified(self) -> list[Request]:
        return [r for r in self.received if r.verified]

    def wait_for(self, n: int, timeout: float = 15.0) -> list[Request]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received) >= n:
                return self.received
            time.sleep(0.02)
        raise AssertionError(f"expected {n} requests, got {len(self.received)}")

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                ok = False
                if receiver.secret:
                    try:
                        Webhook(receiver.secret).verify(body, headers, json_parse=False)
                        ok = True
                    except Exception:  # WebhookVerificationError, or a malformed header
                        ok = False
                request = Request(self.path, headers, body, ok)
                with receiver._lock:
                    receiver.received.append(request)
                    step = receiver._script.pop(0) if receiver._script else None
                if isinstance(step, float):
                    time.sleep(step)
                    step = None
                status, payload, extra = step if step is not None else receiver.respond(request)
                data = b"" if payload is None else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    for k, v in extra.items():
                        self.send_header(k, v)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up first (a timeout test)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "Receiver":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
