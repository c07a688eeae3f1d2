"""Access tokens for the Admin API, sent as ``X-Shopify-Access-Token``.

Kept apart from the connector on purpose: SDK v2 brings a client-credentials flow of its own,
and porting is then replacing :func:`client_credentials_auth` with it.
"""

from __future__ import annotations

from datetime import timedelta

import httpx

from orderhub.sdk import Clock, RefreshTokenAuth

TOKEN_HEADER = "X-Shopify-Access-Token"  # noqa: S105 - a header name, not a secret
_FIX = (
    "Check the account's client_id and client secret (Dev Dashboard > the app > Settings) "
    "and that the app is installed on this store."
)


class _ClientCredentialsAuth(RefreshTokenAuth):
    """The OAuth 2.0 client-credentials grant (RFC 6749 4.4) on the refresh-token flow's
    cache: fetched on first use, renewed ``margin`` before it expires (Shopify: 24 h) and
    once more when the API answers 401."""

    def __init__(self, *, client_id: str, client_secret: str, **kwargs: object) -> None:
        super().__init__(
            refresh_token="",
            client_id=client_id,
            client_secret=client_secret,
            **kwargs,  # type: ignore[arg-type]
        )
        self._form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }

    def _token_request(self) -> httpx.Request:
        return httpx.Request(
            "POST",
            self.token_url,
            headers={"Accept": "application/json"},
            data=self._form,
        )


def client_credentials_auth(
    origin: str, client_id: str, client_secret: str, clock: Clock
) -> RefreshTokenAuth:
    """An httpx auth that keeps a client-credentials token for the store at ``origin``."""
    return _ClientCredentialsAuth(
        token_url=f"{origin}/admin/oauth/access_token",
        client_id=client_id,
        client_secret=client_secret,
        clock=clock,
        header=TOKEN_HEADER,
        scheme=None,
        margin=timedelta(minutes=10),
        reauthorise_fix=_FIX,
    )
