"""Settings of an Amazon seller account."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from orderhub.sdk import ConnectorSettings, ExpiryDate

from .marketplaces import MARKETPLACES, REGION_NAMES, Region, region_listing

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _root_url(value: str, what: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} must be an https:// URL")
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
        # The access token and the client secret travel with every request: refuse clear
        # text, except to a simulator on this machine.
        raise ValueError(f"{what} must use https:// (plain http:// only for localhost)")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


class AmazonSettings(ConnectorSettings):
    """One Amazon seller account (one region, one or more marketplaces).

    ``region`` is ``na``, ``eu`` or ``fe``; ``marketplace_ids`` are the marketplaces to read
    (all in that region). ``client_id`` and ``client_secret`` are the Login with Amazon
    credentials of the seller's SP-API app and ``refresh_token`` the seller's authorisation
    of it; all three are secrets, configured as ``<name>_env = "VAR"``. ``sandbox`` talks to
    Amazon's static sandbox. ``include_recipient_address`` asks Amazon for the shipping
    address (it needs the restricted Direct-to-Consumer Delivery role). ``api_base_url`` and
    ``token_url`` replace the regional host and the LWA endpoint (a local simulator).
    ``client_secret_expires_on`` is the date the LWA client secret must be rotated by.
    """

    region: Region
    marketplace_ids: tuple[str, ...] = Field(min_length=1, max_length=50)
    client_id: SecretStr
    client_secret: SecretStr
    refresh_token: SecretStr
    sandbox: bool = False
    include_recipient_address: bool = False
    api_base_url: str | None = None
    token_url: str | None = None
    #: The day the LWA client secret must be rotated by (Amazon: every 180 days); orderhub
    #: warns 30 and 7 days ahead.
    client_secret_expires_on: ExpiryDate | None = None

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, value: Any) -> Any:
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered not in REGION_NAMES:
                raise ValueError(
                    f"unknown Amazon region {value!r}: use na (North America), eu (Europe, "
                    "India, Middle East) or fe (Japan, Australia, Singapore)"
                )
            return lowered
        return value

    @field_validator("marketplace_ids", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list | tuple):
            cleaned: list[Any] = []
            for item in value:
                clean = item.strip() if isinstance(item, str) else item
                if clean not in cleaned:
                    cleaned.append(clean)
            return tuple(cleaned)
        return value

    @field_validator("api_base_url")
    @classmethod
    def _api_base_url(cls, value: str | None) -> str | None:
        return None if value is None else _root_url(value, "api_base_url")

    @field_validator("token_url")
    @classmethod
    def _token_url(cls, value: str | None) -> str | None:
        return None if value is None else _root_url(value, "token_url")

    @field_validator("marketplace_ids")
    @classmethod
    def _marketplaces_in_region(
        cls, value: tuple[str, ...], info: ValidationInfo
    ) -> tuple[str, ...]:
        # ``region`` is declared first, so it is validated by now (absent when invalid).
        region = info.data.get("region")
        for marketplace_id in value:
            known = MARKETPLACES.get(marketplace_id)
            if known is None:
                listing = (
                    f"the {region} region's ids are: {region_listing(region)}"
                    if region
                    else "see the connector's README for the ids"
                )
                raise ValueError(f"{marketplace_id!r} is not an Amazon marketplace id; {listing}")
            if region and known.region != region:
                raise ValueError(
                    f"{marketplace_id} ({known.country}) belongs to the {known.region} region, "
                    f"not {region}; the {region} region's ids are: {region_listing(region)} "
                    "(use one account per region)"
                )
        return value
