"""Settings of an eBay account (one eBay seller user per account)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Literal

from orderhub.sdk import (
    CredentialExpiry,
    DailyQuotaSettings,
    EndpointSettings,
    RefreshTokenSettings,
    expiry_warning,
)

#: The API roots and token endpoints of eBay's two environments.
API_BASE_URLS: Mapping[str, str] = {
    "production": "https://api.ebay.com/sell/fulfillment/v1/",
    "sandbox": "https://api.sandbox.ebay.com/sell/fulfillment/v1/",
}
TOKEN_URLS: Mapping[str, str] = {
    "production": "https://api.ebay.com/identity/v1/oauth2/token",
    "sandbox": "https://api.sandbox.ebay.com/identity/v1/oauth2/token",
}
#: The OAuth scope orderhub asks for: reading orders and creating shipping fulfillments.
#: eBay spells scopes with the production host in the sandbox too.
SCOPE = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"
RENEW_FIX = (
    "Get a new refresh token with eBay's authorization-code grant and the sell.fulfillment "
    "scope (connectors/ebay/README.md, 'Getting the refresh token'), put it in the variable "
    "named by refresh_token_env, update refresh_token_expires_on and restart the worker."
)


class EbaySettings(RefreshTokenSettings, DailyQuotaSettings, EndpointSettings):
    """An eBay seller account.

    ``client_id`` / ``client_secret`` are the App ID and Cert ID of the application's
    keyset (production or sandbox, matching ``environment``); ``refresh_token`` is the
    seller's user refresh token from the authorization-code grant with the
    ``sell.fulfillment`` scope. All three come from environment variables
    (``client_id_env = "VAR"``...). ``refresh_token_expires_on`` is the date eBay gave
    for the refresh token's expiry (about 18 months after consent); ``orderhub status``
    warns 30 days before it.

    ``daily_call_limit`` is the application's daily limit for the Fulfillment API's
    ``order`` resource (100,000 unless eBay raised it); ``daily_reserve`` calls of it are
    kept for tracking uploads: orders in stops before eating into them.

    ``api_base_url`` and ``token_url`` replace the environment's hosts (a proxy, or a
    simulator on localhost); plain ``http://`` is accepted for localhost only.
    """

    api_root_path = "/sell/fulfillment/v1"
    api_base_urls = API_BASE_URLS
    token_urls = TOKEN_URLS

    environment: Literal["production", "sandbox"] = "production"


def refresh_token_expiry(expires_on: date | None) -> CredentialExpiry | None:
    """The refresh token's end of life (``refresh_token_expires_on``), or None."""
    if expires_on is None:
        return None
    return CredentialExpiry(expires_on=expires_on, what="the eBay refresh token", fix=RENEW_FIX)


def refresh_token_warning(
    expires_on: date | None, now: datetime, *, account_id: str | None = None
) -> str | None:
    """A warning when the refresh token expires within 30 days of ``now`` (or has expired),
    else None. ``expires_on`` is ``refresh_token_expires_on`` from the settings."""
    who = f"eBay account {account_id}: " if account_id else "eBay: "
    return expiry_warning(refresh_token_expiry(expires_on), now, label=who)
