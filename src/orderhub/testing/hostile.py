"""Hostile HTTP servers on real 127.0.0.1 sockets, for the tests and benchmarks of the HTTP
helper's deadline, size cap and stop handling.

Each mode misbehaves the way a broken channel or proxy does:

``trickle``  answers 200 with a declared body, then sends one byte every ``interval`` s;
``silent``   accepts the connection, reads the request and never answers;
``huge``     answers 200 with a ``size``-byte JSON body, chunked (no length announced);
``huge_declared`` the same with ``Content-Length``;
``redirect`` answers every request with a 302 to itself.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["HostileServer", "hostile_server"]


@dataclass
class HostileServer:
    mode: str
    url: str
    host: str
    port: int
    #: bytes of body sent so far (all connections)
    sent: int = 0


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        state = self.server.state
        sock: socket.socket = self.request
        sock.settimeout(1.0)
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                data += chunk
            getattr(self, f"_{state.mode}")(sock, state)
        except OSError:
            return  # the client gave up: that is the point

    def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds``; False when the server is shutting down."""
        return not self.server.closing.wait(seconds)

    def _trickle(self, sock: socket.socket, state: HostileServer) -> None:
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        sock.sendall(b"Content-Length: 100000\r\n\r\n")
        while self._wait(self.server.interval):
            sock.sendall(b" ")
            state.sent += 1

    def _silent(self, sock: socket.socket, state: HostileServer) -> None:
        while self._wait(0.1):
            pass

    def _huge(self, sock: socket.socket, state: HostileServer) -> None:
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        sock.sendall(b"Transfer-Encoding: chunked\r\n\r\n")
        # One JSON array of zeros, sent 64 KiB at a time.
        block = b"0," * 32768
        sock.sendall(b"1\r\n[\r\n")
        piece = b"%x\r\n%s\r\n" % (len(block), block)
        while state.sent < self.server.size and not self.server.closing.is_set():
            sock.sendall(piece)
            state.sent += len(block)
        sock.sendall(b"1\r\n0\r\n1\r\n]\r\n0\r\n\r\n")

    def _huge_declared(self, sock: socket.socket, state: HostileServer) -> None:
        size = self.server.size
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        sock.sendall(b"Content-Length: %d\r\n\r\n" % size)
        block = b" " * 65536
        while state.sent < size and not self.server.closing.is_set():
            sock.sendall(block[: size - state.sent])
            state.sent += min(len(block), size - state.sent)

    def _redirect(self, sock: socket.socket, state: HostileServer) -> None:
        sock.sendall(
            b"HTTP/1.1 302 Found\r\nLocation: "
            + state.url.encode()
            + b"\r\nContent-Length: 0\r\n\r\n"
        )


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode: str, *, interval: float, size: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        host, port = str(self.server_address[0]), int(self.server_address[1])
        self.state = HostileServer(mode, f"http://{host}:{port}/", host, port)
        self.interval = interval
        self.size = size
        self.closing = threading.Event()


@contextmanager
def hostile_server(
    mode: str, *, interval: float = 0.5, size: int = 50 * 1024 * 1024
) -> Iterator[HostileServer]:
    """Run a hostile server on a free 127.0.0.1 port for the ``with`` block."""
    if not hasattr(_Handler, f"_{mode}"):
        raise ValueError(f"unknown hostile server mode {mode!r}")
    server = _Server(mode, interval=interval, size=size)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server.state
    finally:
        server.closing.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
