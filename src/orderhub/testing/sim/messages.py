"""The request and response objects every simulated API handler works with.

They are deliberately independent of httpx and of ``http.server``: the in-process transport
and the real HTTP server both translate to and from these, so one handler serves both.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs, unquote

import httpx

#: How a response leaves the simulator. ``None`` is a normal answer. ``"timeout"`` means no
#: answer at all (in-process: :class:`httpx.ReadTimeout`; real server: the connection is closed
#: without a status line). ``"short_body"`` sends the status line and a ``Content-Length``
#: larger than the body, then closes (in-process: :class:`httpx.RemoteProtocolError`).
Abort = Literal["timeout", "short_body"] | None

# Header names whose values are credentials: masked whenever a request is printed.
SECRET_HEADERS = frozenset(
    {"authorization", "x-amz-access-token", "cookie", "x-api-key", "proxy-authorization"}
)
# Query parameters that carry credentials (WooCommerce's query-string auth, OAuth forms).
SECRET_PARAMS = frozenset(
    {
        "consumer_key",
        "consumer_secret",
        "client_secret",
        "refresh_token",
        "access_token",
        "oauth_signature",
    }
)


def parse_query(raw: str) -> dict[str, list[str]]:
    """Parse a query string into ``{name: [values...]}``, keeping blank values and order."""
    return parse_qs(raw, keep_blank_values=True)


@dataclass
class SimRequest:
    """One request as a handler sees it.

    ``path`` is the URL path without the query string (percent-decoding is left to the
    router, which decodes path parameters). ``query`` maps each parameter to all its values.
    ``headers`` is case-insensitive. ``base_url`` is scheme and host as the client used them
    (``http://127.0.0.1:8123``), so handlers can build absolute links back to themselves.
    ``path_params`` is filled by the router; ``context`` is scratch space for hooks (for
    example the identity an ``authenticate`` hook found).
    """

    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    body: bytes = b""
    base_url: str = "http://sim.invalid"
    path_params: dict[str, str] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        if not isinstance(self.headers, httpx.Headers):
            self.headers = httpx.Headers(self.headers)

    def param(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name``, or ``default`` when absent."""
        values = self.query.get(name)
        return values[0] if values else default

    def params(self, name: str) -> list[str]:
        """Every value of ``name``, also collecting the PHP-style ``name[]`` form."""
        return [*self.query.get(name, []), *self.query.get(name + "[]", [])]

    def has_param(self, name: str) -> bool:
        return name in self.query or name + "[]" in self.query

    def json(self) -> Any:
        """The body parsed as JSON. Raises ``ValueError`` when it is not valid JSON."""
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, list[str]]:
        """The body parsed as ``application/x-www-form-urlencoded``."""
        return parse_query(self.body.decode("utf-8", errors="replace"))

    def basic_auth(self) -> tuple[str, str] | None:
        """``(username, password)`` from an ``Authorization: Basic`` header, else ``None``."""
        value = self.headers.get("authorization", "")
        scheme, _, encoded = value.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        if not sep:
            return None
        return unquote(user), unquote(password)

    def bearer_token(self) -> str | None:
        """The token of an ``Authorization: Bearer`` header, else ``None``."""
        value: str = self.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()


@dataclass
class SimResponse:
    """What a handler answers. Build it with :meth:`json`, :meth:`empty` or :meth:`text`.

    ``abort`` (see :data:`Abort`) lets faults break the transport instead of answering.
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    abort: Abort = None

    @classmethod
    def json(cls, status: int, obj: Any, headers: Mapping[str, str] | None = None) -> SimResponse:
        """A JSON answer with ``Content-Type: application/json; charset=UTF-8``."""
        body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        merged = {"Content-Type": "application/json; charset=UTF-8"}
        merged.update(headers or {})
        return cls(status=status, headers=merged, body=body)

    @classmethod
    def empty(cls, status: int = 204, headers: Mapping[str, str] | None = None) -> SimResponse:
        """An answer without a body (204 by default)."""
        return cls(status=status, headers=dict(headers or {}), body=b"")

    @classmethod
    def text(
        cls,
        status: int,
        text: str,
        content_type: str = "text/plain; charset=UTF-8",
        headers: Mapping[str, str] | None = None,
    ) -> SimResponse:
        """A text (or HTML) answer."""
        merged = {"Content-Type": content_type}
        merged.update(headers or {})
        return cls(status=status, headers=merged, body=text.encode("utf-8"))

    def header(self, name: str) -> str | None:
        """A response header, looked up case-insensitively."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    def parsed(self) -> Any:
        """The body parsed as JSON (for tests and for subclasses post-processing answers)."""
        return json.loads(self.body.decode("utf-8"))


def mask_headers(headers: httpx.Headers) -> dict[str, str]:
    """Headers as a dict with credential values replaced by ``***`` (for printing)."""
    return {k: ("***" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def mask_query(query: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """A query with credential values replaced by ``***`` (for printing)."""
    return {k: (["***"] if k in SECRET_PARAMS else list(v)) for k, v in query.items()}
