"""What a connector declares instead of writing: the header its channel announces a rate
limit in, and the setting holding a credential's expiry date."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import httpx
import structlog

from orderhub.sdk import (
    Connector,
    ConnectorContext,
    ConnectorSettings,
    CredentialExpiry,
    ExpiryDate,
    RateLimit,
)
from orderhub.testing import FakeClock


class _Settings(ConnectorSettings):
    secret_expires_on: ExpiryDate | None = None


class _Declaring(Connector[_Settings]):
    name = "declaring"
    settings_model = _Settings
    rate_limits: ClassVar[dict[str, RateLimit]] = {"list": RateLimit(rate=0.5, burst=7)}
    rate_limit_header = "x-rate"
    expiry_setting = ("secret_expires_on", "the app secret", "Rotate it.")


def connector(cls: type[Connector[_Settings]]) -> Connector[_Settings]:
    context = ConnectorContext("a", _Settings(), FakeClock(), structlog.get_logger())
    return cls(context)


def test_the_announced_rate_is_read_from_the_declared_header() -> None:
    declaring = connector(_Declaring)
    announced = httpx.Response(200, headers={"x-rate": "2.5"})
    assert declaring.rate_limit_from_response("list", announced) == RateLimit(2.5, 7)
    assert declaring.rate_limit_from_response("other", announced) == RateLimit(2.5, 1)
    assert declaring.rate_limit_from_response("list", httpx.Response(200)) is None
    assert connector(Connector).rate_limit_from_response("list", announced) is None


def test_the_declared_expiry_setting_is_read_from_either_form_of_settings() -> None:
    expected = CredentialExpiry(date(2026, 7, 1), "the app secret", "Rotate it.")
    assert _Declaring.credentials_expiry({"secret_expires_on": "2026-07-01"}) == expected
    validated = _Settings(secret_expires_on=date(2026, 7, 1))
    assert _Declaring.credentials_expiry(validated) == expected
    assert _Declaring.credentials_expiry({}) is None
    assert _Declaring.credentials_expiry({"secret_expires_on": "soon"}) is None
    assert Connector.credentials_expiry({"secret_expires_on": "2026-07-01"}) is None
