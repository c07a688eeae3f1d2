"""Login with Amazon: the refresh-token grant, and how Amazon says a token has expired."""

from __future__ import annotations

from typing import Any

import httpx

from orderhub.sdk import RefreshTokenAuth, error_text

#: What a seller does when Amazon refuses the refresh token (``invalid_grant``: the seller
#: revoked the authorisation or it belongs to another app; ``invalid_client`` /
#: ``unauthorized_client``: the client id or secret is wrong, or the secret was rotated).
REAUTHORISE_FIX = (
    "Authorise the app again: in Seller Central open Apps and Services > Develop Apps (or the "
    "Solution Provider Portal), choose the app, then Authorize > Authorize app, and put the new "
    "refresh token in the environment variable named by refresh_token_env. If the app's LWA "
    "client secret was rotated (Amazon requires it every 180 days), put the new one in the "
    "variable named by client_secret_env. Then run `orderhub config check --online`; the "
    "account's next sync clears the warning."
)


def token_rejected(response: httpx.Response) -> bool:
    """Whether an SP-API answer is worth one renewal of the access token.

    Amazon answers an expired token with 403 ``Unauthorized`` "The access token you provided
    has expired." (in the message or the details), and a token it no longer knows (the
    seller revoked the authorisation) with the same 403 ``Unauthorized`` "Access to requested
    resource is denied." it gives an app that lacks a role. One renewal tells them apart: an
    expired token is replaced and the call goes through; a revoked authorisation then fails
    at Login with Amazon with ``invalid_grant`` (re-authorise); a missing role fails again
    with 403 (fix the app's roles). A 401 means the token was not accepted at all.
    """
    if response.status_code != 403:
        return response.status_code == 401
    text = error_text(response)
    return "expired" in text or "unauthorized" in text


def lwa_auth(**options: Any) -> RefreshTokenAuth:
    """The refresh-token grant against Login with Amazon (``token_url``, ``refresh_token``,
    ``client_id``, ``client_secret``, ``clock``: see :class:`RefreshTokenAuth`), sending
    the access token in ``x-amz-access-token``. Tokens live an hour; a cached one is renewed
    a minute before."""
    return RefreshTokenAuth(
        header="x-amz-access-token",
        scheme=None,
        expired=token_rejected,
        reauthorise_fix=REAUTHORISE_FIX,
        **options,
    )
