"""Settings validators: API addresses without clear text, lists of names, date settings
read from validated settings or the raw configuration table."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from orderhub.sdk import name_list, secure_url, setting_date


@pytest.mark.parametrize(
    ("value", "root"),
    [
        (" https://api.example.com/v1/ ", "https://api.example.com/v1"),
        ("https://api.example.com/?x=1", "https://api.example.com"),
        ("http://127.0.0.1:8123/", "http://127.0.0.1:8123"),
        ("http://localhost/auth/o2/token", "http://localhost/auth/o2/token"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_https_and_local_http_urls_are_kept_as_roots(value: str, root: str) -> None:
    assert secure_url(value, "api_base_url") == root


def test_clear_text_to_another_host_and_non_urls_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"token_url must use https:// \(plain http:// only"):
        secure_url("http://api.example.com", "token_url")
    for value in ("api.example.com", "ftp://api.example.com", "https://"):
        with pytest.raises(ValueError, match="api_base_url must be an https:// URL"):
            secure_url(value, "api_base_url")


def test_a_name_list_from_one_string_or_many_stripped_without_repeats() -> None:
    assert name_list(" A1 ") == ("A1",)
    assert name_list(["A1", " A2", "A1 ", "A2"]) == ("A1", "A2")
    assert name_list(("B", 3, 3)) == ("B", 3)
    assert name_list(7) == 7, "left for pydantic to refuse"


def test_a_date_setting_from_validated_settings_or_the_raw_table() -> None:
    day = date(2026, 6, 30)
    assert setting_date(SimpleNamespace(expires_on=day), "expires_on") == day
    assert setting_date({"expires_on": "2026-06-30"}, "expires_on") == day
    assert setting_date({"expires_on": day}, "expires_on") == day
    assert setting_date({}, "expires_on") is None
    assert setting_date({"expires_on": "30/06/2026"}, "expires_on") is None
    assert setting_date(SimpleNamespace(), "expires_on") is None
