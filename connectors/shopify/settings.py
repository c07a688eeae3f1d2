"""Settings of a Shopify account."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import SecretStr, field_validator, model_validator

from orderhub.sdk import ConnectorSettings, https_url

#: The stable API version orderhub is written and tested against.
DEFAULT_API_VERSION = "2026-10"
_SHOP = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_VERSION = re.compile(r"^\d{4}-(01|04|07|10)$")


class ShopifySettings(ConnectorSettings):
    """``shop`` is the store's handle (``my-store``) or its ``my-store.myshopify.com``
    domain. Credentials, one of:

    - ``client_id`` + ``client_secret`` of a Dev Dashboard app installed on the store
      (client-credentials grant; tokens last 24 h and are renewed by orderhub);
    - ``access_token``: a legacy custom app's ``shpat_`` token (never expires; such apps can
      no longer be created since 2026-01-01, existing ones keep working).

    ``api_version`` pins the Admin API version (``YYYY-MM``, quarterly). ``notify_customer``
    makes Shopify e-mail the buyer when tracking is added. ``include_addresses`` reads the
    buyer's name, e-mail and addresses (protected customer data: the app needs that access
    approved, or the orders query is refused). ``api_base_url`` replaces
    ``https://{shop}.myshopify.com`` (simulators and tests only; plain ``http://`` only to
    localhost).
    """

    shop: str
    client_id: str | None = None
    client_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    api_version: str = DEFAULT_API_VERSION
    notify_customer: bool = True
    include_addresses: bool = True
    api_base_url: str | None = None

    @field_validator("shop")
    @classmethod
    def _handle(cls, value: str) -> str:
        handle = value.strip().lower().removeprefix("https://").rstrip("/")
        handle = handle.removesuffix(".myshopify.com")
        if not _SHOP.match(handle):
            raise ValueError(
                "must be the store's handle (my-store) or its my-store.myshopify.com domain"
            )
        return handle

    @field_validator("api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not _VERSION.match(value.strip()):
            raise ValueError(
                f"must be a quarterly Admin API version like {DEFAULT_API_VERSION} "
                "(YYYY-01, -04, -07 or -10)"
            )
        return value.strip()

    @field_validator("api_base_url")
    @classmethod
    def _origin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # Tokens travel in a header: plain http only to this machine (a simulator).
        parts = urlsplit(https_url(value, "api_base_url"))
        return f"{parts.scheme}://{parts.netloc}"

    @model_validator(mode="after")
    def _credentials(self) -> ShopifySettings:
        if self.access_token is None and not (self.client_id and self.client_secret):
            raise ValueError(
                "set client_id and client_secret_env (a Dev Dashboard app) or access_token_env "
                "(a legacy custom app's shpat_ token)"
            )
        return self

    @property
    def origin(self) -> str:
        return self.api_base_url or f"https://{self.shop}.myshopify.com"
