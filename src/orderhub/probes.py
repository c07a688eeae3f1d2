"""Liveness and readiness probes, and the small HTTP server that serves them beside the
Prometheus metrics (``[metrics] port``): ``/healthz``, ``/readyz`` and ``/metrics``.

The checks are plain functions returning a :class:`Probe`, so any other HTTP front (the web
console) serves the very same answers::

    probe = readiness(engine)          # store reachable, migrations current
    probe = liveness(last_beat, now)   # the process still does its rounds
    status, headers, body = probe.http()

``/healthz`` says the process is alive (its heartbeat job ran recently: a wedged scheduler
fails it, a slow channel does not). ``/readyz`` says it can do its work: the store answers
and is at this orderhub's migration head.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from orderhub.logs import scrub_text
from orderhub.store.db import current_revision, head_revision

__all__ = ["Probe", "ProbeServer", "liveness", "readiness"]


@dataclass(frozen=True)
class Probe:
    """A probe's answer: ``ok`` and the facts behind it (no secret, no URL with one)."""

    ok: bool
    checks: dict[str, Any] = field(default_factory=dict)

    def http(self) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body): 200 or 503 with a JSON body."""
        body = json.dumps({"ok": self.ok, **self.checks}, sort_keys=True).encode()
        return (200 if self.ok else 503), {"Content-Type": "application/json"}, body


def readiness(engine: Engine) -> Probe:
    """Ready when the store answers a query and its schema is at the migration head."""
    head = head_revision()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = current_revision(engine)
    except (SQLAlchemyError, OSError) as exc:
        reason = scrub_text(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0])
        return Probe(False, {"store": "unreachable", "error": reason[:300]})
    if current != head:
        return Probe(
            False,
            {
                "store": "reachable",
                "migrations": "behind",
                "revision": current,
                "head": head,
                "fix": "run `orderhub db upgrade`",
            },
        )
    return Probe(True, {"store": "reachable", "migrations": "current", "revision": current})


def liveness(last_beat: datetime | None, now: datetime, *, max_age: timedelta) -> Probe:
    """Alive when the heartbeat job ran within ``max_age``."""
    if last_beat is None:
        return Probe(False, {"heartbeat": "none yet"})
    age = (now - last_beat).total_seconds()
    return Probe(age <= max_age.total_seconds(), {"heartbeat_age_seconds": round(age, 3)})


class ProbeServer:
    """``/metrics``, ``/healthz`` and ``/readyz`` on one port, in a daemon thread."""

    def __init__(
        self,
        address: str,
        port: int,
        *,
        registry: CollectorRegistry,
        healthz: Callable[[], Probe],
        readyz: Callable[[], Probe],
    ) -> None:
        routes: dict[str, Callable[[], tuple[int, dict[str, str], bytes]]] = {
            "/metrics": lambda: (
                200,
                {"Content-Type": CONTENT_TYPE_LATEST},
                generate_latest(registry),
            ),
            "/healthz": lambda: healthz().http(),
            "/readyz": lambda: readyz().http(),
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = routes.get(self.path.split("?", 1)[0].rstrip("/") or "/")
                if route is None:
                    status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found\n"
                else:
                    try:
                        status, headers, body = route()
                    except Exception as exc:  # a probe must answer, never hang up
                        status, headers = 503, {"Content-Type": "application/json"}
                        body = json.dumps({"ok": False, "error": type(exc).__name__}).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                # Probes arrive every few seconds: access lines would drown the events.
                return

        self.server = ThreadingHTTPServer((address, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="orderhub-probes", daemon=True
        )
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def shutdown(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def server_close(self) -> None:
        """Kept for callers of the former endpoint; :meth:`shutdown` already closed it."""
        self.server.server_close()
