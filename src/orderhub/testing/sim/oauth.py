"""A reusable OAuth 2 token endpoint (RFC 6749 section 6, refresh-token grant) for simulated
channels: Amazon's Login with Amazon and eBay's identity service both work this way.

A simulator owns one :class:`OAuth2TokenEndpoint`, mounts :meth:`handle_token_request` on
its token route and calls :meth:`check_request` (or :meth:`validate`) in its
``authenticate`` hook. Access tokens expire on the simulator's clock, so a test advances a
``FakeClock`` past ``access_token_ttl`` to make the connector refresh.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from orderhub.sdk.clock import Clock
from orderhub.testing.sim.messages import SimRequest, SimResponse


class TokenStatus(StrEnum):
    """What :meth:`OAuth2TokenEndpoint.validate` found."""

    VALID = "valid"
    MISSING = "missing"
    UNKNOWN = "unknown"
    EXPIRED = "expired"


@dataclass
class IssuedToken:
    """An access token the endpoint handed out."""

    access_token: str
    client_id: str
    refresh_token: str | None
    scope: str | None
    issued_at: datetime
    expires_at: datetime


class OAuth2TokenEndpoint:
    """Issues and checks access tokens.

    ``clients`` maps client id to client secret. Register the seller's authorisations with
    :meth:`add_refresh_token`; :meth:`revoke` withdraws one (the next refresh gets
    ``400 invalid_grant``). ``client_credentials_scopes`` enables the client-credentials
    grant for those scopes (Amazon grantless operations, eBay application tokens); ``None``
    refuses that grant. ``return_refresh_token`` echoes the refresh token in the answer (LWA
    does, eBay does not). Token values start with ``access_token_prefix``.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        clients: dict[str, str],
        access_token_ttl: float = 3600,
        token_type: str = "bearer",  # noqa: S107 - a token type name, not a secret
        return_refresh_token: bool = True,
        client_credentials_scopes: set[str] | None = None,
        access_token_prefix: str = "sim-at-",  # noqa: S107 - a prefix, not a secret
    ) -> None:
        self._clock = clock
        self._clients = dict(clients)
        self.access_token_ttl = access_token_ttl
        self.token_type = token_type
        self.return_refresh_token = return_refresh_token
        self.client_credentials_scopes = client_credentials_scopes
        self._prefix = access_token_prefix
        self._refresh: dict[str, str] = {}  # refresh token -> client id
        self._revoked: set[str] = set()
        self._tokens: dict[str, IssuedToken] = {}
        self._lock = threading.Lock()
        #: Every token issued, oldest first.
        self.issued: list[IssuedToken] = []
        #: Token requests received, including refused ones.
        self.token_requests = 0

    # -- set-up ------------------------------------------------------------------------------

    def add_client(self, client_id: str, client_secret: str) -> None:
        with self._lock:
            self._clients[client_id] = client_secret

    def add_refresh_token(self, refresh_token: str, client_id: str) -> None:
        """Authorise ``refresh_token`` for ``client_id`` (what a seller's consent produces)."""
        with self._lock:
            self._refresh[refresh_token] = client_id
            self._revoked.discard(refresh_token)

    def revoke(self, refresh_token: str) -> None:
        """Withdraw a refresh token; access tokens issued from it are revoked too."""
        with self._lock:
            self._revoked.add(refresh_token)
            for token in [t for t in self._tokens.values() if t.refresh_token == refresh_token]:
                del self._tokens[token.access_token]

    def expire_all(self) -> None:
        """Make every issued access token expired now (without moving the clock)."""
        now = self._clock.now()
        with self._lock:
            for token in self._tokens.values():
                token.expires_at = min(token.expires_at, now)

    # -- the token route -----------------------------------------------------------------------

    def handle_token_request(self, request: SimRequest) -> SimResponse:
        """Answer a token request (``POST``, form-encoded).

        Client credentials come from the form (``client_id``/``client_secret``) or from
        HTTP Basic. Answers 200 with ``access_token``, ``token_type``, ``expires_in`` (and
        ``refresh_token`` when configured); 400 ``invalid_request`` /
        ``unsupported_grant_type`` / ``invalid_grant`` / ``invalid_scope``; 401
        ``invalid_client``.
        """
        with self._lock:
            self.token_requests += 1
        form = {k: v[0] for k, v in request.form().items() if v}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = request.basic_auth()
        if basic is not None:
            client_id, client_secret = basic
        grant_type = form.get("grant_type")
        if not grant_type:
            return self._error(400, "invalid_request", "The request is missing grant_type.")
        if not client_id or not client_secret:
            return self._error(400, "invalid_request", "Client authentication is missing.")
        with self._lock:
            known_secret = self._clients.get(client_id)
        if known_secret is None or not secrets.compare_digest(known_secret, client_secret):
            return self._error(401, "invalid_client", "Client authentication failed.")
        if grant_type == "refresh_token":
            refresh_token = form.get("refresh_token")
            if not refresh_token:
                return self._error(400, "invalid_request", "The request is missing refresh_token.")
            with self._lock:
                owner = self._refresh.get(refresh_token)
                revoked = refresh_token in self._revoked
            if owner != client_id or revoked:
                return self._error(
                    400, "invalid_grant", "The refresh token is invalid, revoked or expired."
                )
            return self._issue(client_id, refresh_token, form.get("scope"))
        if grant_type == "client_credentials" and self.client_credentials_scopes is not None:
            scope = form.get("scope")
            if not scope or not set(scope.split()) <= self.client_credentials_scopes:
                return self._error(400, "invalid_scope", "The requested scope is not allowed.")
            return self._issue(client_id, None, scope)
        return self._error(400, "unsupported_grant_type", "The grant type is not supported.")

    def _issue(self, client_id: str, refresh_token: str | None, scope: str | None) -> SimResponse:
        now = self._clock.now()
        token = IssuedToken(
            access_token=self._prefix + secrets.token_urlsafe(24),
            client_id=client_id,
            refresh_token=refresh_token,
            scope=scope,
            issued_at=now,
            expires_at=now + timedelta(seconds=self.access_token_ttl),
        )
        with self._lock:
            self._tokens[token.access_token] = token
            self.issued.append(token)
        return SimResponse.json(200, self.token_body(token), headers={"Cache-Control": "no-store"})

    def token_body(self, token: IssuedToken) -> dict[str, Any]:
        """The JSON body of a successful answer. Override for channel-specific fields."""
        body: dict[str, Any] = {
            "access_token": token.access_token,
            "token_type": self.token_type,
            "expires_in": int(self.access_token_ttl),
        }
        if self.return_refresh_token and token.refresh_token is not None:
            body["refresh_token"] = token.refresh_token
        return body

    def _error(self, status: int, error: str, description: str) -> SimResponse:
        return SimResponse.json(
            status,
            {"error": error, "error_description": description},
            headers={"Cache-Control": "no-store"},
        )

    # -- checking tokens on API calls ----------------------------------------------------------

    def validate(self, access_token: str | None) -> TokenStatus:
        """Whether ``access_token`` is one this endpoint issued and has not expired."""
        if not access_token:
            return TokenStatus.MISSING
        with self._lock:
            token = self._tokens.get(access_token)
        if token is None:
            return TokenStatus.UNKNOWN
        if self._clock.now() >= token.expires_at:
            return TokenStatus.EXPIRED
        return TokenStatus.VALID

    def check_request(self, request: SimRequest, header: str = "authorization") -> TokenStatus:
        """Validate the token a request carries: ``Authorization: Bearer <token>`` when
        ``header`` is ``authorization``, else the raw value of ``header`` (e.g.
        ``x-amz-access-token``)."""
        if header.lower() == "authorization":
            return self.validate(request.bearer_token())
        return self.validate(request.headers.get(header))
