"""Settings of an Amazon seller account."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from orderhub.sdk import ConnectorSettings, ExpiryDate, https_url, name_list

from .marketplaces import MARKETPLACES, Region, region_listing


class AmazonSettings(ConnectorSettings):
    """One Amazon seller account (one region, one or more marketplaces).

    ``region`` is ``na``, ``eu`` or ``fe``; ``marketplace_ids`` are the marketplaces to read
    (all in that region). ``client_id`` and ``client_secret`` are the Login with Amazon
    credentials of the seller's SP-API app and ``refresh_token`` the seller's authorisation
    of it; all three are secrets, configured as ``<name>_env = "VAR"``. ``sandbox`` talks to
    Amazon's static sandbox. ``include_recipient_address`` asks Amazon for the shipping
    address (it needs the restricted Direct-to-Consumer Delivery role). ``api_base_url`` and
    ``token_url`` replace the regional host and the LWA endpoint (a local simulator); both
    refuse plain ``http://`` except to this machine (the access token and the client
    secret travel with every request).
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
        if isinstance(value, str) and value.strip().lower() not in get_args(Region):
            raise ValueError(
                f"unknown Amazon region {value!r}: use na (North America), eu (Europe, "
                "India, Middle East) or fe (Japan, Australia, Singapore)"
            )
        return value.strip().lower() if isinstance(value, str) else value

    _ids = field_validator("marketplace_ids", mode="before")(name_list)

    @field_validator("api_base_url", "token_url")
    @classmethod
    def _urls(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else https_url(value, str(info.field_name))

    @field_validator("marketplace_ids")
    @classmethod
    def _marketplaces_in_region(
        cls, value: tuple[str, ...], info: ValidationInfo
    ) -> tuple[str, ...]:
        # ``region`` is declared first, so it is validated by now (absent when invalid).
        region = info.data.get("region")
        listing = f"the {region} region's ids are: {region_listing(region)}" if region else ""
        for marketplace_id in value:
            known = MARKETPLACES.get(marketplace_id)
            if known is None:
                listing = listing or "see the connector's README for the ids"
                raise ValueError(f"{marketplace_id!r} is not an Amazon marketplace id; {listing}")
            if region and known.region != region:
                raise ValueError(
                    f"{marketplace_id} ({known.country}) belongs to the {known.region} region, "
                    f"not {region}; {listing} (use one account per region)"
                )
        return value
