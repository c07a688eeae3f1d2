"""The real-socket way to run a simulated API: ``http.server`` in a daemon thread."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import httpx

from orderhub.testing.sim.messages import SimRequest, SimResponse, parse_query
from orderhub.testing.sim.transport import Handles


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Tests start many servers; allow quick re-use of ports.
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: Handles) -> None:
        self.api = api
        super().__init__(address, _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-answer is normal under fault injection; stay quiet.
        return


class _RequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive, like the channels; every answer carries Content-Length.
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # the simulator keeps its own record; stderr noise helps nobody

    def _dispatch(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        request = SimRequest(
            method=self.command,
            path=path,
            query=parse_query(query),
            headers=httpx.Headers(list(self.headers.items())),
            body=body,
            base_url=f"http://{host}",
        )
        response = self.server.api.handle(request)
        self._write(response)

    def _write(self, response: SimResponse) -> None:
        if response.abort == "timeout":
            # No status line at all: the client sees the connection drop.
            self.close_connection = True
            return
        body = response.body
        sent = body[: len(body) // 2] if response.abort == "short_body" else body
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            if response.abort == "short_body":
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(sent)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # Method names are fixed by BaseHTTPRequestHandler.
    do_GET = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_PATCH = _dispatch
    do_DELETE = _dispatch
    do_HEAD = _dispatch


class SimServer:
    """A running HTTP server for one simulated API.

    ``base_url`` is ``http://host:port``. :meth:`stop` shuts it down (idempotent); as a
    context manager it stops on exit. Requests are served in threads; the API serialises
    its handlers with its lock.
    """

    def __init__(self, api: Handles, host: str = "127.0.0.1", port: int = 0) -> None:
        self._httpd = _Server((host, port), api)
        bound_host, bound_port = self._httpd.server_address[:2]
        self.host = str(bound_host)
        self.port = int(bound_port)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sim-server-{self.port}",
            daemon=True,
        )
        self._stopped = False

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SimServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
