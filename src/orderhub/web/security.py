"""Who may use the console, and the protections every response carries.

- A password from the environment variable ``[web] password_env`` names: a login form for
  people (a signed session cookie with an idle timeout), HTTP Basic with any user name for
  scripts. Passwords are compared in constant time.
- Wrong passwords are rate-limited per client address: after ``MAX_FAILURES`` within
  ``FAILURE_WINDOW`` the client gets 429 until the oldest failure ages out.
- CSRF: every state-changing request of a session carries the session's token (a form
  field, or the ``X-CSRF-Token`` header htmx sends). Requests authenticated by HTTP Basic
  need none: a browser never attaches an Authorization header to a cross-site form, and the
  console never asks a browser for Basic credentials, so none is ever cached.
- Headers: a Content-Security-Policy with no inline script or style, no framing, no
  sniffing, no referrer, no caching of pages.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orderhub.web.settings import WebConfig

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_FAILURES = 5
FAILURE_WINDOW = 15 * 60.0
MAX_BODY = 10 * 1024 * 1024
MIN_PASSWORD = 8

#: Reached without logging in: the login page, the static files, the probes and metrics
#: (which carry no buyer data).
PUBLIC_PREFIXES = ("/static/",)
PUBLIC_PATHS = frozenset({"/login", "/healthz", "/readyz", "/metrics", "/metrics/"})

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class WebSetupError(ValueError):
    """The console cannot start: ``message`` says why, ``fix`` what to do."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class Secrets:
    password: str
    session_key: str


def load_secrets(config: WebConfig, environ: MutableMapping[str, str] | None = None) -> Secrets:
    """The password and the cookie signing key from the environment, or WebSetupError."""
    env = os.environ if environ is None else environ
    if config.password_env is None:
        raise WebSetupError(
            "the console has no password configured.",
            'Write password_env = "ORDERHUB_WEB_PASSWORD" under [web] and export that variable.',
        )
    password = env.get(config.password_env, "")
    if not password:
        raise WebSetupError(
            f"the console's password variable {config.password_env} is not set.",
            f"Export {config.password_env} with the password (at least {MIN_PASSWORD} "
            "characters) before starting orderhub.",
        )
    if len(password) < MIN_PASSWORD:
        raise WebSetupError(
            f"the password in {config.password_env} is shorter than {MIN_PASSWORD} characters.",
            "Choose a longer one (e.g. `openssl rand -base64 18`) and export "
            f"{config.password_env}.",
        )
    key = ""
    if config.secret_env is not None:
        key = env.get(config.secret_env, "")
        if len(key) < 16:
            raise WebSetupError(
                f"the session key variable {config.secret_env} is unset or shorter than 16 "
                "characters.",
                f"Export {config.secret_env} with a long random value (`openssl rand -hex 32`), "
                "or remove secret_env to draw a new key at every start.",
            )
    return Secrets(password=password, session_key=key or secrets.token_urlsafe(32))


def password_matches(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass
class LoginLimiter:
    """Failed logins per client address in a sliding window. ``clock`` returns seconds
    (monotonic); tests give a fake one."""

    max_failures: int = MAX_FAILURES
    window: float = FAILURE_WINDOW
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, client: str) -> deque[float]:
        now = self.clock()
        failures = self._failures.setdefault(client, deque())
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(client, None)
        return failures

    def retry_after(self, client: str) -> float:
        """Seconds until ``client`` may try again; 0 when it may now."""
        failures = self._recent(client)
        if len(failures) < self.max_failures:
            return 0.0
        return max(1.0, self.window - (self.clock() - failures[0]))

    def failed(self, client: str) -> None:
        self._recent(client)
        self._failures.setdefault(client, deque()).append(self.clock())
        if len(self._failures) > 10_000:  # bound memory under a spray of addresses
            self._failures.pop(next(iter(self._failures)))

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)


def client_key(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(session: dict[str, Any]) -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = new_csrf_token()
    return token


def basic_password(headers: Headers) -> str | None:
    """The password of an ``Authorization: Basic`` header (any user name), else None."""
    value = headers.get("authorization", "")
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    _user, sep, password = decoded.partition(":")
    return password if sep else None


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class SecurityHeadersMiddleware:
    """Adds the security headers to every response; pages are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(SECURITY_HEADERS)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AuthMiddleware:
    """Lets a request through when it is public, carries the password by HTTP Basic, or
    belongs to a live session; then checks CSRF on state-changing session requests.
    Runs inside Starlette's SessionMiddleware (``scope["session"]``)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        password: str,
        timeout: float,
        limiter: LoginLimiter,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.password = password
        self.timeout = timeout
        self.limiter = limiter
        self.wall_clock = wall_clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        headers = Headers(scope=scope)
        state = scope.setdefault("state", {})
        session: dict[str, Any] = scope["session"]
        unsafe = method not in ("GET", "HEAD", "OPTIONS")

        given = basic_password(headers)
        if given is not None and not is_public(path):
            client = client_key(scope)
            wait = self.limiter.retry_after(client)
            if wait:
                await _too_many(wait)(scope, receive, send)
                return
            if not password_matches(given, self.password):
                self.limiter.failed(client)
                response = PlainTextResponse(
                    "Wrong password.\n", 401, headers={"WWW-Authenticate": 'Basic realm="orderhub"'}
                )
                await response(scope, receive, send)
                return
            self.limiter.succeeded(client)
            state["auth"] = "basic"
            await self.app(scope, receive, send)
            return

        if not is_public(path):
            if not self._session_alive(session):
                session.pop("user", None)
                await self._refuse_unauthenticated(scope, receive, send, unsafe=unsafe)
                return
            state["auth"] = "session"
            session["seen"] = int(self.wall_clock())

        if unsafe and path != "/metrics":
            body = await _read_body(receive)
            if body is None:
                await PlainTextResponse("Request too large.\n", 413)(scope, receive, send)
                return
            token = await _submitted_token(scope, headers, body)
            expected = session.get("csrf")
            if not (isinstance(expected, str) and token and hmac.compare_digest(token, expected)):
                response = PlainTextResponse(
                    "This form has expired or did not come from this console (CSRF check "
                    "failed). Reload the page and try again.\n",
                    403,
                )
                await response(scope, receive, send)
                return
            receive = _replay(body)
        await self.app(scope, receive, send)

    def _session_alive(self, session: dict[str, Any]) -> bool:
        if session.get("user") != "console":
            return False
        seen = session.get("seen")
        return isinstance(seen, int) and self.wall_clock() - seen < self.timeout

    async def _refuse_unauthenticated(
        self, scope: Scope, receive: Receive, send: Send, *, unsafe: bool
    ) -> None:
        headers = Headers(scope=scope)
        if unsafe or headers.get("hx-request") or not _wants_html(headers):
            response: Response = PlainTextResponse(
                "Log in first: your session has ended or you have not logged in.\n",
                401,
                headers={"HX-Redirect": "/login"} if headers.get("hx-request") else None,
            )
        else:
            # Only the path comes back after the login, never a query (searches stay out of
            # the login page's URL and the logs).
            response = RedirectResponse(f"/login?next={scope['path']}", 303)
        await response(scope, receive, send)


def _wants_html(headers: Headers) -> bool:
    accept = headers.get("accept", "")
    return "text/html" in accept or not accept or "*/*" in accept


def _too_many(wait: float) -> Response:
    return PlainTextResponse(
        f"Too many wrong passwords from this address; try again in {int(wait) + 1} seconds.\n",
        429,
        headers={"Retry-After": str(int(wait) + 1)},
    )


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _submitted_token(scope: Scope, headers: Headers, body: bytes) -> str | None:
    header = headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
        return values[0] if values else None
    if content_type.startswith("multipart/form-data"):
        request = Request(scope, _replay(body))
        form = await request.form()
        try:
            value = form.get(CSRF_FIELD)
            return value if isinstance(value, str) else None
        finally:
            await form.close()
    return None


LoginHandler = Callable[[Request], Awaitable[Response]]
