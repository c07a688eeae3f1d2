"""OAuth 2.0 refresh-token grant as an httpx auth flow, for channels with short-lived
access tokens (Amazon's Login with Amazon, eBay's user tokens).

The access token is fetched on first use, cached, renewed ``margin`` before it expires, and
renewed once more when the API answers that it has expired (a clock skew or a revocation
the cache could not know about). The token request goes through the same transport as the
API calls, so a simulated channel can stand in for both.

A refresh token the channel refuses (``invalid_grant``, ``unauthorized_client``,
``invalid_client``) raises :class:`AuthError` with a fix telling the seller to authorise
orderhub again: retrying would never help, and the account is flagged instead.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Generator
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

import httpx

from orderhub.sdk.clock import Clock
from orderhub.sdk.errors import AuthError, RateLimitedError, RejectedError, TransientError

#: OAuth error codes that mean "this refresh token (or client) will never work again".
REAUTHORISE_ERRORS = frozenset(
    {"invalid_grant", "unauthorized_client", "invalid_client", "access_denied", "invalid_scope"}
)


class RefreshTokenAuth(httpx.Auth):
    """Attach an access token from the refresh-token grant to every request.

    ``header``/``scheme`` say how it is sent: ``Authorization: Bearer <token>`` by default,
    ``x-amz-access-token: <token>`` with ``header="x-amz-access-token", scheme=None``.
    ``client_auth`` sends the client id and secret in the form body (``"body"``, Amazon) or
    as HTTP Basic (``"basic"``, eBay). ``expired(response)`` says whether an API answer
    means "token expired" (default: HTTP 401). ``reauthorise_fix`` is the fix shown when the
    channel refuses the refresh token.
    """

    requires_response_body = True

    def __init__(
        self,
        *,
        token_url: str,
        refresh_token: str,
        client_id: str,
        client_secret: str,
        clock: Clock,
        scope: str | None = None,
        client_auth: Literal["body", "basic"] = "body",
        header: str = "Authorization",
        scheme: str | None = "Bearer",
        margin: timedelta = timedelta(seconds=60),
        expired: Callable[[httpx.Response], bool] | None = None,
        reauthorise_fix: str = "Authorise orderhub again on the channel and set the new "
        "refresh token in the account's environment variable.",
    ) -> None:
        self.token_url = token_url
        self._refresh_token = refresh_token
        self._client_id = client_id
        self._client_secret = client_secret
        self.clock = clock
        self.scope = scope
        self.client_auth = client_auth
        self.header = header
        self.scheme = scheme
        self.margin = margin
        self._expired = expired or (lambda response: response.status_code == 401)
        self.reauthorise_fix = reauthorise_fix
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at: datetime | None = None
        #: Token requests made so far (for tests and ops).
        self.refreshes = 0

    # -- state ---------------------------------------------------------------------------

    @property
    def expires_at(self) -> datetime | None:
        return self._expires_at

    def invalidate(self) -> None:
        """Forget the cached access token; the next request fetches a new one."""
        with self._lock:
            self._token = None
            self._expires_at = None

    def _current(self) -> str | None:
        with self._lock:
            if self._token is None or self._expires_at is None:
                return None
            if self.clock.now() >= self._expires_at - self.margin:
                return None
            return self._token

    # -- the flow ------------------------------------------------------------------------

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._current()
        if token is None:
            token = self._store((yield self._token_request()))
        self._apply(request, token)
        response = yield request
        if self._expired(response):
            # Renew once: the cache believed the token valid, the channel did not.
            self.invalidate()
            token = self._store((yield self._token_request()))
            self._apply(request, token)
            yield request

    def _apply(self, request: httpx.Request, token: str) -> None:
        request.headers[self.header] = f"{self.scheme} {token}" if self.scheme else token

    def _token_request(self) -> httpx.Request:
        form: dict[str, str] = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
        }
        if self.scope:
            form["scope"] = self.scope
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        if self.client_auth == "basic":
            pair = f"{self._client_id}:{self._client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            form["client_id"] = self._client_id
            form["client_secret"] = self._client_secret
        return httpx.Request("POST", self.token_url, headers=headers, content=urlencode(form))

    def _store(self, response: httpx.Response) -> str:
        body = _json(response)
        status = response.status_code
        if status == 200 and isinstance(body, dict) and body.get("access_token"):
            token = str(body["access_token"])
            try:
                lifetime = float(body.get("expires_in", 3600))
            except (TypeError, ValueError):
                lifetime = 3600.0
            with self._lock:
                self._token = token
                self._expires_at = self.clock.now() + timedelta(seconds=lifetime)
                self.refreshes += 1
            return token
        code = str(body.get("error", "")) if isinstance(body, dict) else ""
        if code in REAUTHORISE_ERRORS or status in (401, 403):
            raise AuthError(
                f"the channel refused the refresh token ({code or f'HTTP {status}'})",
                fix=self.reauthorise_fix,
                status=status,
                code=code or None,
            )
        if status == 429:
            raise RateLimitedError(
                "the token endpoint is throttling requests", status=status, code=code or None
            )
        if status >= 500 or code in ("server_error", "temporarily_unavailable"):
            raise TransientError(
                f"the token endpoint failed (HTTP {status}{', ' + code if code else ''})",
                status=status,
                code=code or None,
            )
        raise RejectedError(
            f"the token endpoint refused the request (HTTP {status}{', ' + code if code else ''})",
            fix="Check the account's client id and secret.",
            status=status,
            code=code or None,
        )


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
