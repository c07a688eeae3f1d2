"""The simulated shop's catalog and realistic generated orders: a mix of financial and
fulfillment states close to a small shop's (mostly paid and waiting to ship, some shipped
in full or in part, some pending, refunded, edited or cancelled), several presentment
currencies, and a line without a SKU now and then."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from orderhub.sims.shopify.records import (
    FulfillmentOrderLine,
    FulfillmentOrderRecord,
    LineRecord,
    ShopifyOrderRecord,
    Variant,
)

__all__ = ["CATALOG", "FIRST_NAMES", "LAST_NAMES", "PLACES", "by_sku", "person", "pick_lines"]

_P = Decimal
CATALOG: tuple[Variant, ...] = (
    Variant(44001, 8001, "Linen Shirt", "S / Sand", "LINEN-SAND-S", "4006381333931", _P("59.00")),
    Variant(44002, 8001, "Linen Shirt", "M / Sand", "LINEN-SAND-M", "4006381333948", _P("59.00")),
    Variant(44003, 8001, "Linen Shirt", "L / Sand", "LINEN-SAND-L", "4006381333955", _P("59.00")),
    Variant(44011, 8002, "Wool Beanie", "Default Title", "BEANIE-GREY", None, _P("24.00")),
    Variant(44021, 8003, "Ceramic Mug", "Default Title", "MUG-STONE", "5012345678900", _P("16.50")),
    Variant(44031, 8004, "Travel Journal", "A5 / Dotted", "JOURNAL-A5-DOT", None, _P("21.00")),
    Variant(44032, 8004, "Travel Journal", "A5 / Lined", "JOURNAL-A5-LINE", None, _P("21.00")),
    Variant(44041, 8005, "Leather Card Holder", "Default Title", "CARD-LEATHER", None, _P("35.00")),
    Variant(44051, 8006, "Gift Wrapping", "Default Title", "", None, _P("4.00")),
)
_WEIGHTS = (6, 10, 7, 8, 12, 6, 5, 4, 2)
_CUM = tuple(accumulate(_WEIGHTS))
_BY_SKU = {v.sku: v for v in CATALOG if v.sku}

FIRST_NAMES = (
    "Ava",
    "Bram",
    "Chiara",
    "Dev",
    "Elin",
    "Finn",
    "Greta",
    "Hana",
    "Ivo",
    "Jade",
    "Kofi",
    "Lena",
    "Milo",
    "Nora",
    "Omar",
    "Pia",
    "Ravi",
    "Sara",
    "Theo",
    "Uma",
)
LAST_NAMES = (
    "Andersen",
    "Brennan",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Hughes",
    "Ito",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Price",
)
# (street, city, province code, zip, country, phone prefix)
PLACES = (
    ("Kastanienallee", "Berlin", "BE", "10435", "DE", "+49 30"),
    ("Keizersgracht", "Amsterdam", "NH", "1016 EG", "NL", "+31 20"),
    ("Rue Oberkampf", "Paris", "", "75011", "FR", "+33 1"),
    ("Camden High Street", "London", "ENG", "NW1 7JE", "GB", "+44 20"),
    ("Queen Street West", "Toronto", "ON", "M5V 2A4", "CA", "+1 416"),
    ("Valencia Street", "San Francisco", "CA", "94110", "US", "+1 415"),
)
_LOCATIONS = (71001, 71002)


def by_sku(sku: str) -> Variant:
    """The catalog variant with ``sku``, or a made-up one (no id) for an unknown SKU."""
    known = _BY_SKU.get(sku)
    if known is not None:
        return known
    return Variant(0, 0, f"Custom item {sku}", "Default Title", sku, None, Decimal("10.00"))


def person(seed: int) -> dict[str, str]:
    """A made-up buyer and address, the same for the same seed."""
    rng = random.Random(seed)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    street, city, province, zip_code, country, prefix = rng.choice(PLACES)
    return {
        "first": first,
        "last": last,
        "address1": f"{street} {rng.randint(1, 180)}",
        "city": city,
        "province": province,
        "zip": zip_code,
        "country": country,
        "phone": f"{prefix} {rng.randint(1000000, 9999999)}",
        "email": f"{first.lower()}.{last.lower().replace(' ', '')}{rng.randint(1, 99)}@example.com",
    }


def pick_lines(rng: random.Random) -> list[tuple[Variant, int]]:
    count = rng.choices((1, 2, 3, 4), (60, 25, 10, 5))[0]
    chosen: dict[int, tuple[Variant, int]] = {}
    for _ in range(count):
        variant = rng.choices(CATALOG, cum_weights=_CUM)[0]
        quantity = rng.choices((1, 2, 3), (80, 15, 5))[0]
        chosen.setdefault(id(variant), (variant, quantity))
    return list(chosen.values())


def build_lines(
    next_id: list[int], picks: list[tuple[Variant, int]], discount: Decimal = Decimal("0")
) -> list[LineRecord]:
    lines = []
    for variant, quantity in picks:
        next_id[0] += 1
        lines.append(
            LineRecord(
                id=next_id[0],
                variant=variant if variant.id else None,
                title=variant.product_title,
                sku=variant.sku or None,
                quantity=quantity,
                unit_price=variant.price,
                unit_discount=(variant.price * discount).quantize(Decimal("0.01")),
            )
        )
    return lines


def split_fulfillment_orders(
    record: ShopifyOrderRecord, next_id: list[int], when: datetime, *, locations: int = 1
) -> None:
    """Give the order its fulfillment orders: with ``locations`` > 1 the lines are spread
    over that many locations (one fulfillment order each), as Shopify routes them."""
    groups: dict[int, list[LineRecord]] = {}
    for index, line in enumerate(record.lines):
        location = _LOCATIONS[index % max(1, min(locations, len(_LOCATIONS)))]
        groups.setdefault(location, []).append(line)
    for location, lines in groups.items():
        next_id[0] += 1
        fo_lines = []
        for line in lines:
            next_id[0] += 1
            fo_lines.append(FulfillmentOrderLine(next_id[0], line.id, line.current, line.current))
        record.fulfillment_orders.append(
            FulfillmentOrderRecord(
                next_id[0] - len(fo_lines), record.id, location, "OPEN", fo_lines, when
            )
        )


#: Generated financial states and their weights.
FINANCIAL_MIX = (
    ("PAID", 70),
    ("PENDING", 8),
    ("AUTHORIZED", 5),
    ("PARTIALLY_REFUNDED", 5),
    ("REFUNDED", 4),
    ("VOIDED", 2),
    ("PARTIALLY_PAID", 2),
)
PRESENTMENT_MIX = (("EUR", 75), ("GBP", 10), ("USD", 10), ("CHF", 5))
RATES = {
    "EUR": Decimal("1"),
    "GBP": Decimal("0.86"),
    "USD": Decimal("1.09"),
    "CHF": Decimal("0.95"),
}


def later(rng: random.Random, created: datetime, now: datetime) -> datetime:
    return min(now, created + timedelta(seconds=rng.randint(60, 6 * 3600)))
