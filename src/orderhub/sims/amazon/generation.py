"""Seeded, realistic Amazon orders: the catalog, order and item ids, the status mix, the
test helpers that add and change orders, and the live feed of the demo.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

from orderhub.sims.amazon.records import (
    ALL_DATASETS,
    FULFILLMENT_STATUSES,
    MARKETPLACES,
    AmazonItem,
    AmazonOrderRecord,
    MalformedKind,
)
from orderhub.sims.amazon.shipping import AmazonShipping
from orderhub.testing.sim import LiveFeed, creation_times, modified_later, whole_seconds

_ORDER_ID_PREFIX = {"na": ("111", "112", "113", "114", "701", "702"), "eu": ("028", "171", "202",
                    "203", "204", "205", "206", "302", "303", "304", "305", "306", "402", "403",
                    "404", "405", "406"), "fe": ("249", "250", "249", "503", "503")}  # fmt: skip


@dataclass(frozen=True)
class _Product:
    sku: str | None
    asin: str
    title: str
    price: Decimal


CATALOG: tuple[_Product, ...] = (
    _Product("MUG-WHITE-11OZ", "B0C1MUG001", "Ceramic Mug, White, 11 oz", Decimal("12.99")),
    _Product("MUG-BLACK-11OZ", "B0C1MUG002", "Ceramic Mug, Black, 11 oz", Decimal("12.99")),
    _Product("TEE-BLUE-M", "B0C1TEE00M", "Organic Cotton T-Shirt, Blue, M", Decimal("19.95")),
    _Product("TEE-BLUE-L", "B0C1TEE00L", "Organic Cotton T-Shirt, Blue, L", Decimal("19.95")),
    _Product("HOODIE-GREY-M", "B0C1HOOD0M", "Zip Hoodie, Grey, M", Decimal("44.00")),
    _Product("CAP-NAVY", "B0C1CAP001", "Baseball Cap, Navy", Decimal("17.50")),
    _Product("TOTE-NATURAL", "B0C1TOTE01", "Canvas Tote Bag, Natural", Decimal("14.00")),
    _Product("SOCKS-3PK", "B0C1SOCK03", "Striped Socks, 3-pack", Decimal("11.99")),
    _Product("POSTER-A3-MTN", "B0C1POST01", "Poster A3, Mountains", Decimal("9.95")),
    _Product("STICKERS-10", "B0C1STIK10", "Sticker Pack, 10 pieces", Decimal("4.50")),
    # Listings removed from the seller's catalogue still appear on old orders, without SKU.
    _Product(None, "B0C1GONE01", "Discontinued Greeting Card", Decimal("3.50")),
)


_BY_SKU = {p.sku: p for p in CATALOG if p.sku}


_WEIGHTS = (10, 6, 9, 7, 4, 5, 5, 6, 3, 8, 1)


_CATALOG_CUM = tuple(accumulate(_WEIGHTS))


_GENERATED_STATUSES = (
    ("SHIPPED", 45),
    ("UNSHIPPED", 25),
    ("PENDING", 10),
    ("PARTIALLY_SHIPPED", 4),
    ("CANCELLED", 8),
    ("PENDING_AVAILABILITY", 1),
)


_SERVICE_LEVELS = (("STANDARD", 70), ("EXPEDITED", 15), ("SECOND_DAY", 10), ("NEXT_DAY", 5))


class AmazonGeneration(AmazonShipping):
    """Adds and changes orders: by hand, in bulk from the seed, or live."""

    def add_order(
        self,
        *,
        status: str = "UNSHIPPED",
        fulfilled_by: str = "MERCHANT",
        marketplace_id: str | None = None,
        created: datetime | None = None,
        modified: datetime | None = None,
        items: Sequence[tuple[str | None, int]] | None = None,
        order_id: str | None = None,
        prime: bool = False,
        **overrides: Any,
    ) -> dict[str, Any]:
        """Create an order and return its JSON (every dataset included).

        ``created`` defaults to now and ``modified`` to ``created``. ``items`` are
        ``(seller SKU, quantity)`` pairs (catalogue SKUs get their ASIN, title and price,
        others a made-up product at 10.00, ``None`` an item without seller SKU); without them
        items are generated. Shipped and partially shipped merchant orders get a package as
        if confirmed in Seller Central. Other keyword arguments are merged over the rendered
        JSON (nested objects merge, lists and scalars replace).
        """
        if status not in FULFILLMENT_STATUSES:
            raise ValueError(f"unknown fulfillment status {status!r}")
        if fulfilled_by not in ("MERCHANT", "AMAZON"):
            raise ValueError(f"fulfilled_by must be MERCHANT or AMAZON, not {fulfilled_by!r}")
        if status == "UNFULFILLABLE" and fulfilled_by != "AMAZON":
            raise ValueError("only orders fulfilled by Amazon become UNFULFILLABLE")
        forbidden = {"orderId", "createdTime", "lastUpdatedTime"} & overrides.keys()
        if forbidden:
            raise ValueError(f"use the keyword arguments, not overrides, for {sorted(forbidden)}")
        with self.lock:
            record = self._new_record(
                status=status,
                fulfilled_by=fulfilled_by,
                marketplace_id=marketplace_id or self.marketplace_ids[0],
                created=created,
                modified=modified,
                items=items,
                order_id=order_id,
                prime=prime,
                rng=self._rng,
            )
            record.overrides = overrides or None
            self._store(record)
            return self._render(record, ALL_DATASETS)

    def add_malformed_order(
        self, kind: MalformedKind = "missing_fulfillment_status", **kwargs: Any
    ) -> dict[str, Any]:
        """Create an order a connector cannot read, and return its broken JSON.

        ``missing_fulfillment_status``: ``fulfillment`` without ``fulfillmentStatus``;
        ``missing_last_updated``: no ``lastUpdatedTime``; ``bad_amount``: the grand total's
        amount is not a number; ``quantity_not_integer``: the first item's
        ``quantityOrdered`` is ``"two"``. It is still listed like any other order.
        """
        if kind not in (
            "missing_fulfillment_status",
            "missing_last_updated",
            "bad_amount",
            "quantity_not_integer",
        ):
            raise ValueError(f"unknown malformation {kind!r}")
        with self.lock:
            rendered = self.add_order(**kwargs)
            record = self.record(rendered["orderId"])
            record.malformed = kind
            self.store.changed()
            return self._render(record, ALL_DATASETS)

    def set_status(
        self, order_id: str, status: str, *, when: datetime | None = None
    ) -> dict[str, Any]:
        """Move an order to ``status`` as Amazon would (shipping marks every item shipped,
        with a Seller Central package for merchant orders) and bump ``lastUpdatedTime`` to
        ``when`` (default: now). Returns the JSON."""
        if status not in FULFILLMENT_STATUSES:
            raise ValueError(f"unknown fulfillment status {status!r}")
        with self.lock:
            record = self.record(order_id)
            self._move(record, status, when, random.Random(record.seed + 1))
            return self._render(record, ALL_DATASETS)

    def cancel_order(
        self, order_id: str, *, when: datetime | None = None, by: str = "BUYER"
    ) -> dict[str, Any]:
        """Cancel an order (``by``: BUYER, MERCHANT or AMAZON). Returns the JSON."""
        with self.lock:
            record = self.record(order_id)
            record.cancelled_by = by
            self._move(record, "CANCELLED", when, random.Random(record.seed + 1))
            return self._render(record, ALL_DATASETS)

    def generate(
        self,
        n: int,
        *,
        start: datetime | None = None,
        spread: timedelta = timedelta(days=1),
        afn_share: float = 0.3,
        marketplace_ids: Sequence[str] | None = None,
        statuses: Sequence[tuple[str, int]] | None = None,
    ) -> list[str]:
        """Create ``n`` realistic orders created over ``[start, start + spread)`` (default:
        the ``spread`` before now), oldest first; about a third changed again later (never
        after now). ``afn_share`` of them are fulfilled by Amazon. Returns the order ids."""
        with self.lock:
            now = self.store.now()
            rng = self._rng
            markets = tuple(marketplace_ids or self.marketplace_ids)
            times = creation_times(rng, n, start=start, spread=spread, now=now)
            mix = statuses or _GENERATED_STATUSES
            names = [s for s, _ in mix]
            cum = list(accumulate(w for _, w in mix))
            created_ids: list[str] = []
            for created in times:
                modified = modified_later(rng, created, now, within=timedelta(hours=12))
                fulfilled_by = "AMAZON" if rng.random() < afn_share else "MERCHANT"
                status = rng.choices(names, cum_weights=cum)[0]
                if fulfilled_by == "AMAZON" and status in ("UNSHIPPED", "PARTIALLY_SHIPPED"):
                    status = "SHIPPED"  # Amazon ships its own orders within hours
                record = self._new_record(
                    status=status,
                    fulfilled_by=fulfilled_by,
                    marketplace_id=rng.choice(markets),
                    created=created,
                    modified=modified,
                    items=None,
                    order_id=None,
                    prime=rng.random() < 0.4,
                    rng=rng,
                )
                self._store(record)
                created_ids.append(record.order_id)
            return created_ids

    def start_live(self, *, new_per_hour: float = 30.0, changes_per_hour: float = 30.0) -> LiveFeed:
        """Let orders arrive and change as simulated time passes: new orders come in pending
        (or unshipped); pending orders get paid or cancelled; Amazon ships its own orders;
        merchant orders are now and then shipped from Seller Central."""
        return self.start_live_feed(
            self._live_new,
            self._live_change,
            new_per_hour=new_per_hour,
            changes_per_hour=changes_per_hour,
            seed=self.seed + 1,
        )

    def _live_new(self, rng: random.Random, when: datetime) -> None:
        fulfilled_by = "AMAZON" if rng.random() < 0.3 else "MERCHANT"
        status = rng.choices(("PENDING", "UNSHIPPED"), (60, 40))[0]
        if fulfilled_by == "AMAZON":
            status = "PENDING"
        record = self._new_record(
            status=status,
            fulfilled_by=fulfilled_by,
            marketplace_id=rng.choice(self.marketplace_ids),
            created=when,
            modified=when,
            items=None,
            order_id=None,
            prime=rng.random() < 0.4,
            rng=rng,
        )
        self._store(record)

    def _live_change(self, rng: random.Random, when: datetime) -> None:
        moves = {
            ("PENDING", "MERCHANT"): (("UNSHIPPED", 85), ("CANCELLED", 15)),
            ("PENDING", "AMAZON"): (("SHIPPED", 85), ("CANCELLED", 15)),
            ("UNSHIPPED", "MERCHANT"): (("SHIPPED", 50), ("CANCELLED", 5), ("UNSHIPPED", 45)),
        }
        ids = list(self._by_order_id.values())
        # Look for an open order; give up quietly when there is none.
        record = self.store.pick(rng, ids, lambda r: (r.status, r.fulfilled_by) in moves)
        if record is None:
            return
        options = moves[(record.status, record.fulfilled_by)]
        target = rng.choices([s for s, _ in options], [w for _, w in options])[0]
        if target == record.status:
            return
        if target == "CANCELLED":
            record.cancelled_by = "BUYER"
        self._move(record, target, when, rng)

    def _new_order_id(self, marketplace_id: str, rng: random.Random) -> str:
        prefixes = _ORDER_ID_PREFIX[MARKETPLACES[marketplace_id].region]
        while True:
            candidate = (
                f"{rng.choice(prefixes)}-{rng.randint(0, 9_999_999):07d}-"
                f"{rng.randint(0, 9_999_999):07d}"
            )
            if candidate not in self._by_order_id:
                return candidate

    def _new_item_id(self, rng: random.Random) -> str:
        with self._helper_lock:
            self._item_ids += 1
            return f"{rng.randint(10, 99)}{self._item_ids:06d}{rng.randint(0, 999_999):06d}"

    def _new_record(
        self,
        *,
        status: str,
        fulfilled_by: str,
        marketplace_id: str,
        created: datetime | None,
        modified: datetime | None,
        items: Sequence[tuple[str | None, int]] | None,
        order_id: str | None,
        prime: bool,
        rng: random.Random,
    ) -> AmazonOrderRecord:
        if marketplace_id not in MARKETPLACES:
            raise ValueError(f"unknown marketplace id {marketplace_id!r}")
        market = MARKETPLACES[marketplace_id]
        created_at = self.store.moment(created)
        modified_at = whole_seconds(modified) if modified is not None else created_at
        scale = Decimal(150) if market.currency == "JPY" else Decimal(1)
        if items is None:
            picked: list[tuple[_Product, int]] = []
            for _ in range(rng.choices((1, 2, 3), (70, 22, 8))[0]):
                product = rng.choices(CATALOG, cum_weights=_CATALOG_CUM)[0]
                if all(product is not p for p, _ in picked):
                    picked.append((product, rng.choices((1, 2, 3), (80, 15, 5))[0]))
        else:
            picked = []
            for sku, quantity in items:
                if sku is None:
                    picked.append((CATALOG[-1], quantity))
                else:
                    asin = f"B0SIM{zlib.crc32(sku.encode()) % 100000:05d}"
                    product = _BY_SKU.get(sku) or _Product(sku, asin, f"Item {sku}", Decimal(10))
                    picked.append((product, quantity))
        record_items = [
            AmazonItem(
                order_item_id=self._new_item_id(rng),
                sku=product.sku,
                asin=product.asin,
                title=product.title,
                quantity=quantity,
                unit_price=(product.price * scale).quantize(
                    Decimal(1) if market.currency == "JPY" else Decimal("0.01")
                ),
            )
            for product, quantity in picked
        ]
        merchant = fulfilled_by == "MERCHANT"
        shipping = Decimal(0)
        if merchant and not prime:
            shipping = Decimal(599) if market.currency == "JPY" else Decimal("4.99")
        record = AmazonOrderRecord(
            id=self.store.next_id(),
            created=created_at,
            modified=modified_at,
            status="UNSHIPPED" if status in ("SHIPPED", "PARTIALLY_SHIPPED") else status,
            order_id=order_id or self._new_order_id(marketplace_id, rng),
            marketplace_id=marketplace_id,
            fulfilled_by=fulfilled_by,
            items=record_items,
            currency=market.currency,
            shipping=shipping,
            service_level=rng.choices(
                [s for s, _ in _SERVICE_LEVELS], [w for _, w in _SERVICE_LEVELS]
            )[0],
            prime=prime,
            seed=rng.getrandbits(48),
        )
        if status in ("SHIPPED", "PARTIALLY_SHIPPED"):
            self._ship(record, modified_at, rng, partial=status == "PARTIALLY_SHIPPED")
        if status == "CANCELLED":
            record.cancelled_by = rng.choice(("BUYER", "BUYER", "MERCHANT"))
        return record
