"""Real alert receivers on 127.0.0.1: an HTTP server that records webhook posts, and a local
SMTP server (aiosmtpd) with STARTTLS and login, with a self-signed certificate made by
openssl for the test."""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from orderhub.logs import get_redactor
from orderhub.sdk import SystemClock
from orderhub.sims.woocommerce import SimulatedWooCommerce


@dataclass
class Shop:
    """A simulated shop on the real clock and the credentials it accepts."""

    sim: SimulatedWooCommerce
    key: str
    secret: str


def make_shop(orders: int, *, seed: int = 0) -> Shop:
    clock = SystemClock()
    key, secret = f"ck_{secrets.token_hex(12)}", f"cs_{secrets.token_hex(12)}"
    sim = SimulatedWooCommerce(clock, seed=seed, consumer_key=key, consumer_secret=secret)
    sim.generate(orders, start=clock.now() - timedelta(days=3), spread=timedelta(days=2))
    return Shop(sim=sim, key=key, secret=secret)


def account_toml(account_id: str, key_var: str, secret_var: str) -> str:
    # Scheduled runs happen once at the start; tests drive the later "intervals".
    return (
        "[[accounts]]\n"
        f"id = {json.dumps(account_id)}\n"
        'connector = "woocommerce"\n'
        'interval = "1h"\n'
        "[accounts.settings]\n"
        'base_url = "http://127.0.0.1/"\n'
        f"consumer_key_env = {json.dumps(key_var)}\n"
        f"consumer_secret_env = {json.dumps(secret_var)}\n"
    )


SMTP_USER = "orderhub-alerts"
SMTP_PASSWORD = "smtp-pass-5f2a9c1e7b"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


@dataclass
class Webhook:
    """Records every POST; answers ``status`` (500 makes it a failing destination)."""

    server: ThreadingHTTPServer
    received: list[dict[str, Any]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    status: int = 200
    attempts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T0KEN-abc123"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook: Webhook

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hook.attempts += 1
            if hook.status == 200:
                hook.received.append(json.loads(body))
                hook.times.append(time.monotonic())
            self.send_response(hook.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook = Webhook(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()


@dataclass
class Mailbox:
    port: int
    ca_file: Path
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    tls_sessions: int = 0


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if session.ssl is not None:
            self.box.tls_sessions += 1
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.box.messages.append(mail)
        return "250 OK"


def _certificate(directory: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test SMTP server's certificate")
    cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[Mailbox]:
    cert, key = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox(port=free_port(), ca_file=cert)

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        ok = (
            isinstance(auth, LoginPassword)
            and auth.login.decode() == SMTP_USER
            and auth.password.decode() == SMTP_PASSWORD
        )
        if ok:
            box.logins.append(SMTP_USER)
        return AuthResult(success=ok)

    controller = Controller(
        _Handler(box),
        hostname="127.0.0.1",
        port=box.port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    controller.start()
    yield box
    controller.stop()


def alerts_toml(webhook: Webhook, mailbox: Mailbox, *, extra: str = "") -> str:
    return (
        "[alerts]\n"
        'check_interval = "1h"\n'
        f"{extra}"
        "[[alerts.destinations]]\n"
        'name = "hook"\n'
        'type = "webhook"\n'
        'url_env = "ALERT_HOOK_URL"\n'
        "[[alerts.destinations]]\n"
        'name = "mail"\n'
        'type = "email"\n'
        'host = "127.0.0.1"\n'
        f"port = {mailbox.port}\n"
        f'ca_file = "{mailbox.ca_file}"\n'
        'username = "orderhub-alerts"\n'
        'password_env = "ALERT_SMTP_PASSWORD"\n'
        'from = "orderhub@example.com"\n'
        'to = ["ops@example.com"]\n'
        "timeout = 5\n"
    )


def alerts_env(webhook: Webhook) -> dict[str, str]:
    return {"ALERT_HOOK_URL": webhook.url, "ALERT_SMTP_PASSWORD": SMTP_PASSWORD}


@pytest.fixture(autouse=True)
def clean_log_state() -> Iterator[None]:
    structlog.contextvars.clear_contextvars()
    yield
    get_redactor().clear_secrets()
    structlog.contextvars.clear_contextvars()
