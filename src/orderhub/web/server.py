"""Serving the console with uvicorn: in the foreground (``orderhub web``) or on a thread
beside the worker (``orderhub run`` with ``[web] port``).

uvicorn's access log is off: it would write every URL, and query strings are for the
console, not for logs. A line per request goes through orderhub's own logging instead,
with the path only.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import structlog
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orderhub.web.settings import WebConfig


class RequestLog:
    """One structured log line per request: method, path (no query), status, time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = structlog.get_logger("orderhub.web")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            path = scope["path"]
            if not path.startswith("/static/") and path not in ("/healthz", "/readyz"):
                self.log.info(
                    "web.request",
                    method=scope["method"],
                    path=path,
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 1),
                )


def _uvicorn_config(app: ASGIApp, config: WebConfig) -> uvicorn.Config:
    return uvicorn.Config(
        RequestLog(app),
        host=config.address,
        port=config.port or 0,
        access_log=False,
        log_config=None,
        log_level="warning",
        lifespan="off",
        server_header=False,
        proxy_headers=False,
    )


def serve_forever(
    app: ASGIApp, config: WebConfig, on_started: Callable[[int], None] | None = None
) -> None:
    """Serve until SIGINT/SIGTERM, then stop cleanly and return (exit status 0, as the
    worker does; uvicorn's own handlers would re-raise the signal)."""
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    server = BackgroundServer(app, config)
    try:
        server.start()
        if on_started is not None:
            on_started(server.port)
        while not stop.is_set() and server.thread.is_alive():
            stop.wait(1.0)
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class BackgroundServer:
    """The console on a daemon thread; :meth:`stop` ends it. ``port`` is the bound port
    (useful when the configuration says 0: any free port)."""

    def __init__(self, app: ASGIApp, config: WebConfig) -> None:
        self.server = uvicorn.Server(_uvicorn_config(app, config))
        # Signals belong to the worker's main thread; uvicorn only installs handlers when it
        # runs on the main thread, so this thread leaves them alone.
        self.thread = threading.Thread(target=self.server.run, name="orderhub-web", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the console's server stopped while starting (see the log)")
            if time.monotonic() > deadline:
                raise RuntimeError("the console's server did not start in time")
            time.sleep(0.02)

    @property
    def port(self) -> int:
        servers: Any = self.server.servers
        return int(servers[0].sockets[0].getsockname()[1])

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
