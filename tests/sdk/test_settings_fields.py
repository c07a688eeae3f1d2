"""Functions for settings (sdk/settings_fields.py): addresses without clear text and API
roots completed with the channel's path, lists of names, expiry dates read from validated
settings or the raw configuration table, and the warning as such a date comes near."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub.sdk import CredentialExpiry, expiry_field, expiry_warning, https_url, name_list

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

WC = "/wp-json/wc/v3"


@pytest.mark.parametrize(
    "value",
    [
        "https://shop.example.com",
        "https://shop.example.com/",
        " https://shop.example.com/wp-json/wc/v3 ",
        "https://shop.example.com/wp-json/wc/v3/",
    ],
)
def test_the_host_and_the_api_root_give_the_same_root(value: str) -> None:
    assert https_url(value, "base_url", root=WC) == "https://shop.example.com/wp-json/wc/v3/"


def test_a_path_before_the_api_is_kept_and_query_and_fragment_are_dropped() -> None:
    assert (
        https_url("https://x.example/shop?a=1#f", "base_url", root=WC)
        == "https://x.example/shop/wp-json/wc/v3/"
    )
    assert https_url("https://x.example/v1/", "base_url", root="") == "https://x.example/v1/"


@pytest.mark.parametrize("value", ["http://127.0.0.1:8080", "http://localhost/", "http://[::1]:9"])
def test_plain_http_is_accepted_for_this_machine_only(value: str) -> None:
    assert https_url(value, "base_url") == value
    with pytest.raises(
        ValueError, match=r"base_url must use https:// \(plain http:// only for localhost"
    ):
        https_url("http://shop.example.com", "base_url")


@pytest.mark.parametrize("value", ["shop.example.com", "ftp://shop.example.com", "https://", ""])
def test_what_is_not_a_web_address_is_refused_with_the_message_given(value: str) -> None:
    with pytest.raises(ValueError, match="base_url must be an https:// URL"):
        https_url(value, "base_url")
    with pytest.raises(ValueError, match="the shop's address"):
        https_url(value, "base_url", root=WC, invalid="must be the shop's address")


def test_the_plain_http_message_can_be_the_channels_own() -> None:
    with pytest.raises(ValueError, match="keys need HTTPS"):
        https_url("http://shop.example.com", "base_url", plain_http="keys need HTTPS")


@given(st.from_regex(r"https://[a-z]{1,10}\.example(/[a-z]{1,5}){0,3}/?", fullmatch=True))
def test_api_root_is_idempotent_and_ends_with_the_api_path(value: str) -> None:
    root = https_url(value, "base_url", root=WC)
    assert root.endswith(WC + "/") and https_url(root, "base_url", root=WC) == root


def test_a_plain_url_is_kept_as_given_but_stripped() -> None:
    assert https_url(" https://api.example.com/v1/?x=1 ", "api_base_url") == (
        "https://api.example.com/v1/?x=1"
    )


def test_a_name_list_from_one_string_or_many_stripped_without_repeats() -> None:
    assert name_list(" A1 ") == ("A1",)
    assert name_list(["A1", " A2", "A1 ", "A2"]) == ("A1", "A2")
    assert name_list(("B", 3, 3)) == ("B", 3)
    assert name_list(7) == 7, "left for pydantic to refuse"


def test_a_date_setting_from_validated_settings_or_the_raw_table() -> None:
    day = date(2026, 6, 30)
    assert expiry_field(SimpleNamespace(expires_on=day), "expires_on") == day
    assert expiry_field({"expires_on": "2026-06-30"}, "expires_on") == day
    assert expiry_field({"expires_on": day}, "expires_on") == day
    assert expiry_field({}, "expires_on") is None
    assert expiry_field({"expires_on": "30/06/2026"}, "expires_on") is None
    assert expiry_field(SimpleNamespace(), "expires_on") is None
    assert expiry_field({"expires_on": "0001-01-01"}, "expires_on") is None, "not plausible"


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (31, None),
        (30, "expires on 2026-02-14 (in 30 days)"),
        (1, "(in 1 day)"),
        (0, "expires today (2026-01-15)"),
        (-3, "expired on 2026-01-12"),
    ],
)
def test_the_warning_starts_30_days_ahead(days: int, words: str | None) -> None:
    expiry = CredentialExpiry(
        expires_on=NOW.date() + timedelta(days=days), what="the token", fix="Renew it."
    )
    warning = expiry_warning(expiry, NOW, label="Shop account a: ")
    if words is None:
        assert warning is None
    else:
        assert warning is not None and words in warning
        assert warning.startswith("Shop account a: the token ") and warning.endswith("Renew it.")
    assert expiry_warning(None, NOW) is None
