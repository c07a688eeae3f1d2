"""One canonical carrier list, mapped to each channel's own carrier codes.

Sellers and shipping tools spell carriers many ways ("Fedex", "fed-ex", "FedEx Ground");
channels each want their own code (Amazon's ``carrierCode`` list, eBay's
``ShippingCarrierCodeType``, a plain name in a WooCommerce note). orderhub resolves what a
person typed to one canonical carrier, refuses what it cannot place (with the closest
matches), checks the tracking number's shape where the carrier's format is well known, and
translates to the channel's code when pushing.

The channel codes below are the commonly documented ones (Shopify's as spelled in its list
of supported tracking companies, FulfillmentTrackingInfo.company); a seller whose channel
spells a carrier differently overrides it in the configuration (``[carriers.<channel>]``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process


@dataclass(frozen=True)
class Carrier:
    """A canonical carrier. ``codes`` maps a channel name to that channel's code."""

    key: str
    name: str
    aliases: tuple[str, ...] = ()
    codes: Mapping[str, str] = field(default_factory=dict)
    tracking: re.Pattern[str] | None = None
    tracking_hint: str = ""


_S10 = r"[A-Z]{2}\d{9}[A-Z]{2}"  # the UPU S10 format postal operators share

CARRIERS: tuple[Carrier, ...] = (
    Carrier(
        "ups",
        "UPS",
        ("united parcel service", "ups ground"),
        {"amazon": "UPS", "ebay": "UPS", "shopify": "UPS"},
        re.compile(r"1Z[0-9A-Z]{16}|\d{9}|T\d{10}|\d{12}"),
        "1Z followed by 16 letters or digits",
    ),
    Carrier(
        "usps",
        "USPS",
        ("us postal service", "united states postal service", "us mail"),
        {"amazon": "USPS", "ebay": "USPS", "shopify": "USPS"},
        re.compile(rf"\d{{20,22}}|\d{{26}}|\d{{30}}|{_S10}"),
        "20 to 22 digits (e.g. 9400...), or an S10 code like EA123456789US",
    ),
    Carrier(
        "fedex",
        "FedEx",
        ("federal express", "fedex ground", "fedex express", "fed ex"),
        {"amazon": "FedEx", "ebay": "FedEx", "shopify": "FedEx"},
        re.compile(r"\d{12}|\d{15}|\d{20}|\d{22}|\d{34}"),
        "12, 15, 20 or 22 digits",
    ),
    Carrier(
        "dhl", "DHL", ("dhl express",), {"amazon": "DHL", "ebay": "DHL", "shopify": "DHL Express"}
    ),
    Carrier(
        "dhl_ecommerce",
        "DHL eCommerce",
        ("dhl global mail", "dhl ecom", "dhlecommerce"),
        {"amazon": "DHL eCommerce", "ebay": "DHLGlobalMail", "shopify": "DHL eCommerce"},
    ),
    Carrier(
        "royal_mail",
        "Royal Mail",
        ("royalmail", "parcelforce royal mail"),
        {"amazon": "Royal Mail", "ebay": "RoyalMail", "shopify": "Royal Mail"},
    ),
    Carrier(
        "dpd",
        "DPD",
        ("dpd uk", "dpd de", "dynamic parcel distribution"),
        {"amazon": "DPD", "ebay": "DPD", "shopify": "DPD"},
    ),
    Carrier(
        "evri",
        "Evri",
        ("hermes", "hermes uk", "myhermes"),
        {"amazon": "Evri", "ebay": "Hermes", "shopify": "Evri"},
    ),
    Carrier(
        "gls",
        "GLS",
        ("general logistics systems",),
        {"amazon": "GLS", "ebay": "GLS", "shopify": "GLS"},
    ),
    Carrier(
        "canada_post",
        "Canada Post",
        ("postes canada", "canadapost"),
        {"amazon": "Canada Post", "ebay": "CanadaPost", "shopify": "Canada Post"},
        re.compile(rf"\d{{16}}|\d{{12}}|{_S10}"),
        "16 digits, or an S10 code like RR123456789CA",
    ),
    Carrier(
        "australia_post",
        "Australia Post",
        ("auspost", "australiapost"),
        {"amazon": "Australia Post", "ebay": "AustraliaPost", "shopify": "Australia Post"},
    ),
    Carrier(
        "deutsche_post",
        "Deutsche Post",
        ("deutschepost", "dhl paket"),
        {"amazon": "Deutsche Post", "ebay": "DeutschePost", "shopify": "Deutsche Post"},
    ),
    Carrier(
        "postnl",
        "PostNL",
        ("post nl", "tnt post"),
        {"amazon": "PostNL", "ebay": "PostNL", "shopify": "PostNL"},
    ),
    Carrier(
        "colissimo",
        "Colissimo",
        ("la poste", "coliposte"),
        {"amazon": "Colissimo", "ebay": "Colissimo", "shopify": "Colissimo"},
    ),
    Carrier(
        "japan_post",
        "Japan Post",
        ("jp post", "japanpost", "yu-pack"),
        {"amazon": "Japan Post", "ebay": "JapanPost", "shopify": "Japan Post (EN)"},
    ),
    Carrier(
        "yamato",
        "Yamato",
        ("yamato transport", "kuroneko", "ta-q-bin"),
        {"amazon": "Yamato Transport", "ebay": "Yamato", "shopify": "Yamato (EN)"},
    ),
    Carrier("other", "Other", (), {"amazon": "Other", "ebay": "Other", "shopify": "Other"}),
)

_BY_KEY = {carrier.key: carrier for carrier in CARRIERS}


def _fold(text: str) -> str:
    """Case-fold and drop everything but letters and digits: 'Fed-Ex' -> 'fedex'."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


_LOOKUP: dict[str, Carrier] = {}
for _carrier in CARRIERS:
    for _spelling in (_carrier.key, _carrier.name, *_carrier.aliases):
        _LOOKUP.setdefault(_fold(_spelling), _carrier)


class UnknownCarrierError(ValueError):
    """A carrier name orderhub cannot place. ``suggestions`` are the closest known names."""

    def __init__(self, given: str, suggestions: list[str]) -> None:
        self.given = given
        self.suggestions = suggestions
        hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(
            f"unknown carrier {given!r}.{hint} Known carriers: "
            f"{', '.join(c.name for c in CARRIERS)} (use Other with a carrier name for the rest)."
        )


class TrackingNumberError(ValueError):
    """A tracking number that cannot be right for its carrier."""


def resolve_carrier(name: str) -> Carrier:
    """The canonical carrier for what a person or a shipping tool wrote."""
    folded = _fold(name)
    if folded in _LOOKUP:
        return _LOOKUP[folded]
    # "FedEx Ground Home Delivery", "DHL eCommerce Parcel": a known name at the start,
    # longest first so "DHL eCommerce ..." is not taken for plain "DHL".
    for spelling in sorted(_LOOKUP, key=len, reverse=True):
        if len(spelling) >= 3 and folded.startswith(spelling) and _LOOKUP[spelling].key != "other":
            return _LOOKUP[spelling]
    matches = process.extract(folded, list(_LOOKUP), scorer=fuzz.WRatio, limit=3, score_cutoff=60)
    names: list[str] = []
    for spelling, _score, _index in matches:
        carrier_name = _LOOKUP[spelling].name
        if carrier_name not in names:
            names.append(carrier_name)
    raise UnknownCarrierError(name, names)


def carrier(key: str) -> Carrier:
    return _BY_KEY[key]


def carrier_display(key: str, name: str | None = None) -> str:
    """How to show a stored carrier: its canonical name, or the name given for Other."""
    if key == "other" and name:
        return name
    known = _BY_KEY.get(key)
    return known.name if known else key


def normalise_tracking(tracking: str) -> str:
    """Upper-case, without the spaces and dashes people and label printers add."""
    return re.sub(r"[\s\-]", "", tracking).upper()


def check_tracking(carrier_: Carrier, tracking: str) -> str:
    """The normalised tracking number, or :class:`TrackingNumberError` saying what is wrong."""
    value = normalise_tracking(tracking)
    if not value:
        raise TrackingNumberError("the tracking number is empty")
    if not value.isalnum():
        raise TrackingNumberError(
            f"tracking number {value!r} has characters other than letters and digits"
        )
    if not 5 <= len(value) <= 40:
        raise TrackingNumberError(f"tracking number {value!r} is not 5 to 40 characters long")
    if carrier_.tracking is not None and not carrier_.tracking.fullmatch(value):
        raise TrackingNumberError(
            f"{value!r} does not look like a {carrier_.name} tracking number "
            f"({carrier_.tracking_hint})"
        )
    return value


def channel_code(
    carrier_: Carrier,
    channel: str,
    overrides: Mapping[str, Mapping[str, str]] | None = None,
    declared: Mapping[str, str] | None = None,
) -> str:
    """The code ``channel`` uses for ``carrier_``: a configured override, the code the
    connector declares (``Connector.carrier_codes``), the built-in code, or the carrier's
    name (WooCommerce and new channels take plain names)."""
    override = (overrides or {}).get(channel, {})
    for table in (override, declared or {}):
        for spelling in (carrier_.key, carrier_.name):
            if spelling in table:
                return table[spelling]
    return carrier_.codes.get(channel, carrier_.name)
