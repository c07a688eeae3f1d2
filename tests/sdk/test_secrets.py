"""orderhub's one secret policy, and when a connector registers its secrets."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from orderhub.config import looks_secret as config_looks_secret
from orderhub.logs import Redactor, get_redactor
from orderhub.sdk import BasicAuth, Connector, ConnectorContext, ConnectorSettings, looks_secret
from orderhub.sdk.http import looks_secret as http_looks_secret
from orderhub.sdk.secrets import (
    paused_registration,
    registered_secrets,
    scrub,
    secret_forms,
)
from orderhub.testing import FakeClock


@pytest.fixture(autouse=True)
def _clean_redactor() -> Iterator[None]:
    get_redactor().clear_secrets()
    yield
    get_redactor().clear_secrets()


@pytest.mark.parametrize(
    "name",
    [
        "consumer_secret",
        "client_secret",
        "refresh_token",
        "api_key",
        "Authorization",
        "x-amz-access-token",
        "X-Amz-Signature",
        "apiKey",
        "password",
        "shopify_pat",
        "set-cookie",
    ],
)
def test_secret_names(name: str) -> None:
    assert looks_secret(name)
    assert Redactor.key_mask(name) == "***"


@pytest.mark.parametrize(
    "name",
    [
        "token_url",
        "consumer_secret_env",
        "refresh_token_expires_on",
        "auth_header",
        "paginationToken",
        "NextToken",
        "next_token",
        "keyword",
        "monkey",
        "status",
        "access_key_id",
    ],
)
def test_names_about_a_secret_are_not_secret(name: str) -> None:
    assert not looks_secret(name)


def test_config_http_and_the_kit_use_the_one_policy() -> None:
    assert config_looks_secret is looks_secret
    assert http_looks_secret is looks_secret


def test_every_encoding_of_a_secret_is_scrubbed() -> None:
    secret = "s3cr/t+va:lue"
    texts = [
        f"raw {secret}",
        f"path {quote(secret, safe='')}",
        f"form {quote_plus(secret)}",
        f"b64 {base64.b64encode(secret.encode()).decode()}",
        f'json "{secret}"',
    ]
    for text in texts:
        assert secret not in scrub(text, [secret])
        assert "***" in scrub(text, [secret]), text


@given(st.text(min_size=4, max_size=40))
def test_no_form_of_a_secret_survives_scrubbing(secret: str) -> None:
    text = " | ".join(secret_forms(secret))
    scrubbed = scrub(text, [secret])
    for form in secret_forms(secret):
        assert form not in scrubbed or form in "*** | "


class _Settings(ConnectorSettings):
    base_url: str = "https://api.example.test/"
    api_key: SecretStr


class _Channel(Connector[_Settings]):
    name = "channel"
    settings_model = _Settings

    def __init__(self, context: ConnectorContext[_Settings]) -> None:
        super().__init__(context)
        # Set up after the base class: the lazy HTTP client may rely on it.
        self.user = "shop-user"

    def auth(self) -> httpx.Auth:
        return BasicAuth(self.user, self.settings.api_key.get_secret_value())


def _build(**kwargs: Any) -> _Channel:
    settings = _Settings(api_key=SecretStr("key-abcdef-123"))
    return _Channel(
        ConnectorContext(
            account_id="a", settings=settings, clock=FakeClock(), log=structlog.get_logger()
        )
    )


def test_validating_settings_registers_nothing_building_the_connector_does() -> None:
    _Settings(api_key=SecretStr("key-only-validated-1"))
    assert "key-only-validated-1" not in registered_secrets()
    connector = _build()
    assert get_redactor().scrub_text("key-abcdef-123") == "***"
    connector.close()


def test_the_http_client_is_built_lazily_on_a_complete_connector() -> None:
    connector = _build()
    assert connector._http is None
    http = connector.http  # auth() reads self.user, set after super().__init__
    assert http is connector.http
    pair = base64.b64encode(b"shop-user:key-abcdef-123").decode()
    assert pair in http.secrets
    assert get_redactor().scrub_text(f"Basic {pair}") == "Basic ***"
    connector.close()


def test_closing_a_connector_that_never_sent_builds_nothing() -> None:
    connector = _build()
    connector.close()
    assert connector._http is None


def test_registration_can_be_paused_for_the_kits_log_scan() -> None:
    with paused_registration():
        connector = _build()
        connector.http  # noqa: B018
    assert get_redactor().scrub_text("key-abcdef-123") == "key-abcdef-123"
