"""Settings mixins (sdk/account_settings.py): https-only endpoint overrides with an API
root and defaults by environment, refresh-token secrets and their expiry date."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import ClassVar, Literal

import pytest
from pydantic import ValidationError

from orderhub.sdk import (
    EndpointSettings,
    RefreshTokenSettings,
    expiry_field,
)

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


class ShopSettings(RefreshTokenSettings, EndpointSettings):
    api_root_path: ClassVar[str | None] = "/api/v2"
    api_base_urls: ClassVar[Mapping[str, str]] = {
        "production": "https://api.shop.example/api/v2/",
        "sandbox": "https://sandbox.shop.example/api/v2/",
    }
    token_urls: ClassVar[Mapping[str, str]] = {
        "production": "https://auth.shop.example/token",
        "sandbox": "https://auth.sandbox.shop.example/token",
    }
    environment: Literal["production", "sandbox"] = "production"


SECRETS = {"client_id": "client-id-1", "client_secret": "secret-22", "refresh_token": "rt-333"}


@pytest.mark.parametrize(
    ("given", "root"),
    [
        ("https://proxy.example", "https://proxy.example/api/v2/"),
        ("https://proxy.example/shop/", "https://proxy.example/shop/api/v2/"),
        (" https://proxy.example/api/v2 ", "https://proxy.example/api/v2/"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v2/"),
    ],
)
def test_an_api_root_override_gets_the_channel_s_path(given: str, root: str) -> None:
    settings = ShopSettings(**SECRETS, api_base_url=given)
    assert settings.resolved_api_base_url == root


@pytest.mark.parametrize("value", ["ftp://x.example", "http://shop.example"])
def test_plain_http_is_only_for_this_machine(value: str) -> None:
    with pytest.raises(ValidationError, match="token_url"):
        ShopSettings(**SECRETS, token_url=value)


def test_the_environment_picks_the_default_hosts() -> None:
    settings = ShopSettings(**SECRETS, environment="sandbox")
    assert settings.resolved_api_base_url == "https://sandbox.shop.example/api/v2/"
    assert settings.resolved_token_url == "https://auth.sandbox.shop.example/token"
    assert ShopSettings(**SECRETS).resolved_token_url == "https://auth.shop.example/token"


def test_refresh_token_secrets_stay_secret_and_come_out_for_the_grant() -> None:
    settings = ShopSettings(**SECRETS)
    assert "secret-22" not in repr(settings)
    assert settings.refresh_grant() == SECRETS
    assert sorted(settings.secret_values()) == sorted(SECRETS.values())


def test_the_expiry_date_is_read_from_validated_settings() -> None:
    when = date(2026, 2, 1)
    settings = ShopSettings(**SECRETS, refresh_token_expires_on=when)
    assert expiry_field(settings, "refresh_token_expires_on") == when
