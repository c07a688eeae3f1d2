"""The canonical carrier list: aliases, refusals with suggestions, tracking formats, codes."""

from __future__ import annotations

import pytest

from orderhub.shipping.carriers import (
    CARRIERS,
    TrackingNumberError,
    UnknownCarrierError,
    carrier,
    channel_code,
    check_tracking,
    resolve_carrier,
)

REQUIRED = [
    "UPS",
    "USPS",
    "FedEx",
    "DHL",
    "DHL eCommerce",
    "Royal Mail",
    "DPD",
    "Evri",
    "GLS",
    "Canada Post",
    "Australia Post",
    "Deutsche Post",
    "PostNL",
    "Colissimo",
    "Japan Post",
    "Yamato",
    "Other",
]


def test_the_list_holds_every_carrier_sellers_asked_for() -> None:
    assert [c.name for c in CARRIERS] == REQUIRED
    for name in REQUIRED:
        assert resolve_carrier(name).name == name


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Fedex", "fedex"),
        ("fed-ex", "fedex"),
        ("FEDEX GROUND", "fedex"),
        ("ups", "ups"),
        ("United Parcel Service", "ups"),
        ("royalmail", "royal_mail"),
        ("Hermes", "evri"),
        ("DHL eCommerce Parcel", "dhl_ecommerce"),
        ("DHL Express Worldwide", "dhl"),
        ("  canada post ", "canada_post"),
        ("yamato transport", "yamato"),
    ],
)
def test_aliases_and_spellings_resolve(written: str, key: str) -> None:
    assert resolve_carrier(written).key == key


def test_an_unknown_carrier_is_refused_with_the_closest_matches() -> None:
    with pytest.raises(UnknownCarrierError) as caught:
        resolve_carrier("Fedx Exprss")
    assert caught.value.suggestions[0] == "FedEx"
    assert "Did you mean FedEx" in str(caught.value)
    with pytest.raises(UnknownCarrierError, match="Other"):
        resolve_carrier("Pony Express Of The Moon")


def test_tracking_numbers_are_normalised_and_checked_where_the_format_is_known() -> None:
    assert check_tracking(carrier("ups"), "1z 999-aa1 01 2345 6784") == "1Z999AA10123456784"
    assert check_tracking(carrier("fedex"), "7946 1234 5678") == "794612345678"
    assert check_tracking(carrier("dpd"), "15501234567890") == "15501234567890"
    with pytest.raises(TrackingNumberError, match="UPS"):
        check_tracking(carrier("ups"), "2Z999AA10123456784")
    with pytest.raises(TrackingNumberError, match="FedEx"):
        check_tracking(carrier("fedex"), "ABC123456789")
    with pytest.raises(TrackingNumberError, match="letters and digits"):
        check_tracking(carrier("dhl"), "JD0146/0000")
    with pytest.raises(TrackingNumberError, match="empty"):
        check_tracking(carrier("gls"), " - ")


def test_channel_codes_with_overrides() -> None:
    evri = carrier("evri")
    assert channel_code(evri, "amazon") == "Evri"
    assert channel_code(evri, "ebay") == "Hermes"
    assert channel_code(evri, "woocommerce") == "Evri"
    assert channel_code(evri, "amazon", {"amazon": {"evri": "Hermes UK"}}) == "Hermes UK"
    assert channel_code(carrier("royal_mail"), "ebay") == "RoyalMail"
