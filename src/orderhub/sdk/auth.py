"""Auth flows a connector picks from instead of writing its own, all as ``httpx.Auth``.

Return one from :meth:`Connector.auth`:

:class:`RefreshTokenAuth`
    OAuth 2.0 refresh-token grant (Amazon's Login with Amazon, eBay user tokens).
:class:`ClientCredentialsAuth`
    OAuth 2.0 client-credentials grant (Shopify Dev Dashboard apps, Walmart, bol.com), with
    the client authenticated in the body or by HTTP Basic, an optional scope and extra
    headers on the token request.
:class:`HeaderTokenAuth`
    A long-lived token in a named header (``X-Shopify-Access-Token: shpat_…``,
    ``Authorization: Bearer …``).
:class:`BasicAuth`
    HTTP Basic (WooCommerce REST keys).
:class:`QueryAuth`
    Credentials as query parameters, for servers that strip the ``Authorization`` header.

The two OAuth flows fetch the access token on first use, cache it, renew it ``margin``
before it expires, and renew it once more when the API answers that it has expired
(``expired(response)``, default HTTP 401 or 403: a clock skew or a revocation the cache
could not know about). A second refusal goes on to the HTTP client's classification, which
raises :class:`AuthError`. The static flows have nothing to renew, so a 401/403 is an
:class:`AuthError` straight away.

Every flow lists the exact strings it puts on the wire in :meth:`secret_values` (for Basic
that is the base64 of ``user:password``, which contains neither value as such), so the
connector registers them with the secret policy (:mod:`orderhub.sdk.secrets`) when it is
built.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Generator, Mapping
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

import httpx

from orderhub.sdk.clock import Clock
from orderhub.sdk.errors import AuthError, RateLimitedError, RejectedError, TransientError

__all__ = [
    "REAUTHORISE_ERRORS",
    "BasicAuth",
    "ClientCredentialsAuth",
    "HeaderTokenAuth",
    "OAuth2Auth",
    "QueryAuth",
    "RefreshTokenAuth",
]

#: OAuth error codes that mean "these credentials will never work again".
REAUTHORISE_ERRORS = frozenset(
    {"invalid_grant", "unauthorized_client", "invalid_client", "access_denied", "invalid_scope"}
)

ClientAuth = Literal["body", "basic"]


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _auth_or_forbidden(response: httpx.Response) -> bool:
    return response.status_code in (401, 403)


class OAuth2Auth(httpx.Auth):
    """The shared part of the OAuth 2.0 token flows: one grant's form, the cache, renewal
    and the errors of the token endpoint. Subclasses give :meth:`grant` (the grant's form
    fields). Thread-safe: one instance serves every request of one account.

    ``header``/``scheme`` say how the access token is sent (``Authorization: Bearer <t>`` by
    default; ``header="X-Shopify-Access-Token", scheme=None`` sends the bare token).
    ``client_auth`` sends the client id and secret in the form body (``"body"``) or as HTTP
    Basic (``"basic"``). ``token_headers`` are extra headers of the token request.
    ``default_lifetime`` is used when the token answer has no ``expires_in``.
    ``reauthorise_fix`` is the fix shown when the channel refuses the credentials, and
    ``label`` prefixes its message (``"eBay account x: "``). ``on_send`` is called with
    every API request the flow sends, renewed ones included, token requests not (a daily
    call quota counts them).
    """

    requires_response_body = True
    #: The fix of the AuthError raised when the channel refuses the credentials.
    refused_what = "the credentials"

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        clock: Clock,
        scope: str | None = None,
        client_auth: ClientAuth = "body",
        header: str = "Authorization",
        scheme: str | None = "Bearer",
        margin: timedelta = timedelta(seconds=60),
        expired: Callable[[httpx.Response], bool] | None = None,
        token_headers: Mapping[str, str] | None = None,
        default_lifetime: timedelta = timedelta(hours=1),
        reauthorise_fix: str = "Check the account's client id and secret, or authorise "
        "orderhub again on the channel, and set the new values in the account's environment "
        "variables.",
        label: str = "",
        on_send: Callable[[httpx.Request], None] | None = None,
    ) -> None:
        self.token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self.clock = clock
        self.scope = scope
        self.client_auth = client_auth
        self.header = header
        self.scheme = scheme
        self.margin = margin
        self._expired = expired or _auth_or_forbidden
        self.token_headers = dict(token_headers or {})
        self.default_lifetime = default_lifetime
        self.reauthorise_fix = reauthorise_fix
        self.label = label
        self._on_send = on_send or (lambda request: None)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at: datetime | None = None
        #: Token requests answered with a token so far (for tests and ops).
        self.refreshes = 0

    # -- what a subclass gives ------------------------------------------------------------

    def grant(self) -> dict[str, str]:
        """The grant's own form fields (``grant_type`` and what it needs)."""
        raise NotImplementedError

    # -- state ----------------------------------------------------------------------------

    @property
    def expires_at(self) -> datetime | None:
        """When the cached access token expires (None: no token yet)."""
        return self._expires_at

    def invalidate(self) -> None:
        """Forget the cached access token; the next request fetches a new one."""
        with self._lock:
            self._token = None
            self._expires_at = None

    def secret_values(self) -> list[str]:
        """The static secrets this flow sends (client secret, its Basic form, the grant's
        own secrets); access tokens are fetched later and only ever travel in headers."""
        values = [self._client_secret, _basic(self._client_id, self._client_secret)]
        values += [v for k, v in self.grant().items() if k not in ("grant_type", "scope")]
        return [value for value in values if value]

    def _current(self) -> str | None:
        with self._lock:
            if self._token is None or self._expires_at is None:
                return None
            if self.clock.now() >= self._expires_at - self.margin:
                return None
            return self._token

    # -- the flow -------------------------------------------------------------------------

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._current()
        if token is None:
            token = self._store((yield self._token_request()))
        self._apply(request, token)
        self._on_send(request)
        response = yield request
        if self._expired(response):
            # Renew once: the cache believed the token valid, the channel did not.
            self.invalidate()
            token = self._store((yield self._token_request()))
            self._apply(request, token)
            self._on_send(request)
            yield request

    def _apply(self, request: httpx.Request, token: str) -> None:
        request.headers[self.header] = f"{self.scheme} {token}" if self.scheme else token

    def _token_request(self) -> httpx.Request:
        form = self.grant()
        if self.scope:
            form["scope"] = self.scope
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            **self.token_headers,
        }
        if self.client_auth == "basic":
            headers["Authorization"] = "Basic " + _basic(self._client_id, self._client_secret)
        else:
            form["client_id"] = self._client_id
            form["client_secret"] = self._client_secret
        return httpx.Request("POST", self.token_url, headers=headers, content=urlencode(form))

    def _lifetime(self, body: Mapping[str, Any]) -> timedelta:
        try:
            return timedelta(seconds=float(body["expires_in"]))
        except (KeyError, TypeError, ValueError, OverflowError):
            return self.default_lifetime

    def _store(self, response: httpx.Response) -> str:
        body = _json(response)
        status = response.status_code
        if status == 200 and isinstance(body, dict) and body.get("access_token"):
            token = str(body["access_token"])
            with self._lock:
                self._token = token
                self._expires_at = self.clock.now() + self._lifetime(body)
                self.refreshes += 1
            return token
        code = str(body.get("error", "")) if isinstance(body, dict) else ""
        detail = f"HTTP {status}{', ' + code if code else ''}"
        if code in REAUTHORISE_ERRORS or status in (401, 403):
            raise AuthError(
                f"{self.label}the channel refused {self.refused_what} ({code or f'HTTP {status}'})",
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
                f"the token endpoint failed ({detail})", status=status, code=code or None
            )
        raise RejectedError(
            f"the token endpoint refused the request ({detail})",
            fix="Check the account's client id and secret.",
            status=status,
            code=code or None,
        )


class RefreshTokenAuth(OAuth2Auth):
    """The OAuth 2.0 refresh-token grant (RFC 6749 §6).

    By default only HTTP 401 counts as "token expired" (a 403 usually means a missing
    scope or role, which a new token does not cure); pass ``expired`` to change that.
    """

    refused_what = "the refresh token"

    def __init__(
        self,
        *,
        refresh_token: str,
        expired: Callable[[httpx.Response], bool] | None = None,
        reauthorise_fix: str = "Authorise orderhub again on the channel and set the new "
        "refresh token in the account's environment variable.",
        **options: Any,
    ) -> None:
        self._refresh_token = refresh_token
        super().__init__(
            expired=expired or (lambda response: response.status_code == 401),
            reauthorise_fix=reauthorise_fix,
            **options,
        )

    def grant(self) -> dict[str, str]:
        return {"grant_type": "refresh_token", "refresh_token": self._refresh_token}


class ClientCredentialsAuth(OAuth2Auth):
    """The OAuth 2.0 client-credentials grant (RFC 6749 §4.4): the app's own id and secret
    buy a short-lived token, with no seller-side refresh token.

    Shopify (Dev Dashboard custom apps; tokens live 24 hours)::

        ClientCredentialsAuth(
            token_url=f"https://{shop}.myshopify.com/admin/oauth/access_token",
            client_id=..., client_secret=..., clock=self.clock,
            header="X-Shopify-Access-Token", scheme=None,
            default_lifetime=timedelta(hours=24),
        )

    Walmart-style APIs authenticate the client with Basic and want headers of their own on
    the token request: ``client_auth="basic", token_headers={"WM_SVC.NAME": ...}``.
    """

    def grant(self) -> dict[str, str]:
        return {"grant_type": "client_credentials"}


class HeaderTokenAuth(httpx.Auth):
    """A long-lived token sent in ``header`` on every request, after ``scheme`` when given
    (``HeaderTokenAuth(token, "X-Shopify-Access-Token", scheme=None)``,
    ``HeaderTokenAuth(token)`` for ``Authorization: Bearer <token>``)."""

    def __init__(self, token: str, header: str = "Authorization", scheme: str | None = "Bearer"):
        self._value = f"{scheme} {token}" if scheme else token
        self._token = token
        self.header = header

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self.header] = self._value
        yield request

    def secret_values(self) -> list[str]:
        """The token (the only secret this flow sends)."""
        return [self._token]


class BasicAuth(httpx.BasicAuth):
    """HTTP Basic; :meth:`secret_values` includes the base64 pair the header carries."""

    def __init__(self, username: str, password: str) -> None:
        super().__init__(username, password)
        self._pair = _basic(username, password)
        self._password = password

    def secret_values(self) -> list[str]:
        """The password and the base64 of ``username:password``."""
        return [self._password, self._pair]


class QueryAuth(httpx.Auth):
    """Credentials as query parameters (``{"consumer_key": k, "consumer_secret": s}``), for
    servers that strip the ``Authorization`` header. The HTTP client never logs their
    values: parameters named like secrets are redacted."""

    def __init__(self, params: Mapping[str, str]) -> None:
        self._params = dict(params)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = request.url.copy_merge_params(self._params)
        yield request

    def secret_values(self) -> list[str]:
        """Every parameter value."""
        return list(self._params.values())


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
