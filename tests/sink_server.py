"""A real HTTP server on a local port standing in for Resend or the ops webhook: it
records what it receives and answers as the test scripts it."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Sink:
    url: str
    received: list[Received] = field(default_factory=list)
    # Statuses to answer with, in turn; 200 once they run out.
    script: list[int] = field(default_factory=list)
    # While set, a request is held until `release` is set.
    hold: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)
    answered: int = 0

    async def wait_for(self, ticket_id: str, count: int) -> list[Received]:
        """What arrived about `ticket_id` once `count` things did (a worker sends on
        its own time); fails after 10 s."""
        for _ in range(200):
            if len(got := self.of_ticket(ticket_id)) >= count:
                return got
            await asyncio.sleep(0.05)
        raise AssertionError(f"{ticket_id}: {len(self.of_ticket(ticket_id))} of {count} arrived")

    def of_ticket(self, ticket_id: str) -> list[Received]:
        """What arrived about one ticket: the outbox is shared by every test's tickets."""
        return [r for r in self.received if ticket_id.encode() in r.body]


@contextmanager
def sink_server() -> Iterator[Sink]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                sink.received.append(Received(self.path, dict(self.headers.items()), body))
                status = sink.script.pop(0) if sink.script else 200
            sink.arrived.set()
            if sink.hold.is_set():
                sink.release.wait(timeout=30)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"id": "sent"}')
            with lock:
                sink.answered += 1

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink = Sink(url=f"http://127.0.0.1:{server.server_address[1]}")
    # A short poll keeps shutdown quick: serve_forever notices it only between polls.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        sink.release.set()
        server.shutdown()
        server.server_close()
