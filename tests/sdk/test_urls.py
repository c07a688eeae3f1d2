"""https_url and api_root: account addresses checked for HTTPS, API roots completed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub.sdk import api_root, https_url

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
    assert api_root(value, WC) == "https://shop.example.com/wp-json/wc/v3/"


def test_a_path_before_the_api_is_kept_and_query_and_fragment_are_dropped() -> None:
    assert api_root("https://x.example/shop?a=1#f", WC) == "https://x.example/shop/wp-json/wc/v3/"
    assert api_root("https://x.example/v1/", "") == "https://x.example/v1/"


@pytest.mark.parametrize("value", ["http://127.0.0.1:8080", "http://localhost/", "http://[::1]:9"])
def test_plain_http_is_accepted_for_this_machine_only(value: str) -> None:
    assert https_url(value) == value
    with pytest.raises(ValueError, match="plain http:// only for localhost"):
        https_url("http://shop.example.com")


@pytest.mark.parametrize("value", ["shop.example.com", "ftp://shop.example.com", "https://", ""])
def test_what_is_not_a_web_address_is_refused_with_the_message_given(value: str) -> None:
    with pytest.raises(ValueError, match="must be an https:// URL"):
        https_url(value)
    with pytest.raises(ValueError, match="the shop's address"):
        api_root(value, WC, invalid="must be the shop's address")


def test_the_plain_http_message_can_be_the_channels_own() -> None:
    with pytest.raises(ValueError, match="keys need HTTPS"):
        api_root("http://shop.example.com", WC, plain_http="keys need HTTPS")


@given(st.from_regex(r"https://[a-z]{1,10}\.example(/[a-z]{1,5}){0,3}/?", fullmatch=True))
def test_api_root_is_idempotent_and_ends_with_the_api_path(value: str) -> None:
    root = api_root(value, WC)
    assert root.endswith(WC + "/") and api_root(root, WC) == root
