"""Seeded, realistic WooCommerce orders and how they change: the helpers that add, modify
and annotate orders, the status mix and the live feed of the demo.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from orderhub.sims.woocommerce.records import (
    _PAID_STATUSES,
    _STATUS_LABELS,
    WOO_STATUSES,
    MalformedKind,
    WooNote,
    WooOrderRecord,
)
from orderhub.sims.woocommerce.rendering import WooRendering
from orderhub.testing.sim import (
    LiveFeed,
    copy_json,
    creation_times,
    deep_merge,
    modified_later,
    whole_seconds,
)

_GENERATED_STATUSES = (
    ("processing", 50),
    ("completed", 25),
    ("on-hold", 7),
    ("pending", 7),
    ("cancelled", 4),
    ("refunded", 3),
    ("failed", 3),
    ("checkout-draft", 1),
)


class WooGeneration(WooRendering):
    """Adds and changes orders: by hand, in bulk from the seed, or live."""

    def _add_note(
        self, order_id: int, text: str, customer_note: bool, author: str, when: datetime | None
    ) -> WooNote:
        with self._helper_lock:
            note = WooNote(
                id=self._next_note_id,
                order_id=order_id,
                author=author,
                created=self.store.moment(when),
                note=text,
                customer_note=customer_note,
            )
            self._next_note_id += 1
            self._notes.setdefault(order_id, []).append(note)
            return note

    def add_order(
        self,
        *,
        status: str = "processing",
        created: datetime | None = None,
        modified: datetime | None = None,
        lines: Sequence[tuple[str, int]] | None = None,
        currency: str | None = None,
        customer_id: int | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """Create an order and return its JSON.

        ``created`` defaults to now and ``modified`` to ``created``. ``lines`` are
        ``(sku, quantity)`` pairs (catalog SKUs get their catalog name and price, unknown
        ones a made-up product at 10.00); without them the lines are generated. Other
        keyword arguments are merged over the rendered JSON (nested dicts merge, lists and
        scalars replace), e.g. ``billing={"country": "US"}``. Ids, status and dates cannot be
        overridden that way (``ValueError``): they drive filtering.
        """
        forbidden = {"id", "status"} | {k for k in overrides if k.startswith("date_")}
        clash = forbidden & overrides.keys()
        if clash:
            raise ValueError(f"use the keyword arguments, not overrides, for {sorted(clash)}")
        if status not in WOO_STATUSES:
            raise ValueError(f"unknown WooCommerce status {status!r}")
        with self.lock:
            record = self._new_record(
                status=status,
                created=created,
                modified=modified,
                lines=tuple(lines) if lines is not None else None,
                currency=currency,
                customer_id=customer_id,
                rng=self._rng,
            )
            record.overrides = overrides or None
            self.store.add(record)
            self._ids.append(record.id)
            return self._render(record, self.store_url)

    def add_malformed_order(
        self, kind: MalformedKind = "bad_quantity", **kwargs: Any
    ) -> dict[str, Any]:
        """Create an order a connector cannot normalise, and return its (broken) JSON.

        ``bad_quantity``: the first line's ``quantity`` is ``"two"``. ``missing_modified``:
        no ``date_modified``/``date_modified_gmt``. ``bad_total``: ``total`` is not a number.
        The order is still valid JSON and is listed like any other.
        """
        if kind not in ("bad_quantity", "missing_modified", "bad_total"):
            raise ValueError(f"unknown malformation {kind!r}")
        with self.lock:
            rendered = self.add_order(**kwargs)
            record = self.store.require(rendered["id"])
            record.malformed = kind
            self.store.changed()
            return self._render(record, self.store_url)

    def modify_order(
        self, order_id: int, *, when: datetime | None = None, **changes: Any
    ) -> dict[str, Any]:
        """Change an order the way a shop manager would, and bump its ``date_modified`` to
        ``when`` (default: now). ``status=...`` goes through :meth:`set_status`; other keys
        are merged over the JSON like :meth:`add_order`'s overrides. Returns the new JSON.
        ``KeyError`` for an unknown order."""
        with self.lock:
            record = self.store.require(order_id)
            status = changes.pop("status", None)
            if status is not None and status not in WOO_STATUSES:
                raise ValueError(f"unknown WooCommerce status {status!r}")
            self._apply(record, status=status, changes=changes, when=when, force=True)
            return self._render(record, self.store_url)

    def set_status(
        self, order_id: int, status: str, *, when: datetime | None = None
    ) -> dict[str, Any]:
        """Move an order to ``status`` (as the shop would: payment and completion dates are
        set, a system note records the change, ``date_modified`` moves). Returns the JSON."""
        return self.modify_order(order_id, status=status, when=when)

    def add_note(
        self, order_id: int, note: str, *, customer_note: bool = False, when: datetime | None = None
    ) -> dict[str, Any]:
        """Add a note to an order directly (for example an existing tracking note), as the
        shop's own staff would. Does not change ``date_modified`` (neither does WooCommerce).
        ``KeyError`` for an unknown order."""
        with self.lock:
            self.store.require(order_id)
            return self._render_note(
                self._add_note(order_id, note, customer_note, "shop-manager", when),
                self.store_url,
            )

    def generate(
        self,
        n: int,
        *,
        start: datetime | None = None,
        spread: timedelta = timedelta(days=1),
        currencies: Sequence[str] | None = None,
        statuses: Sequence[tuple[str, int]] | None = None,
    ) -> list[int]:
        """Create ``n`` realistic orders with creation times spread over ``[start, start +
        spread)`` (default: the ``spread`` before now), in id order. About a third are
        modified again later (never after now). ``currencies`` (default: the store's) and
        ``statuses`` (``(status, weight)`` pairs) set the mix. Returns the new ids. Fast
        enough for 100,000 orders: only compact records are stored."""
        with self.lock:
            now = self.store.now()
            rng = self._rng
            times = creation_times(rng, n, start=start, spread=spread, now=now)
            status_names = [s for s, _ in (statuses or _GENERATED_STATUSES)]
            status_cum = list(accumulate(w for _, w in (statuses or _GENERATED_STATUSES)))
            ids: list[int] = []
            for created in times:
                modified = modified_later(rng, created, now, within=timedelta(hours=6))
                record = self._new_record(
                    status=rng.choices(status_names, cum_weights=status_cum)[0],
                    created=created,
                    modified=modified,
                    lines=None,
                    currency=rng.choice(currencies) if currencies else None,
                    customer_id=None,
                    rng=rng,
                )
                self.store.add(record)
                self._ids.append(record.id)
                ids.append(record.id)
            return ids

    def start_live(self, *, new_per_hour: float = 60.0, changes_per_hour: float = 30.0) -> LiveFeed:
        """Let orders arrive and change as simulated time passes (see
        :class:`~orderhub.testing.sim.store.LiveFeed`): new orders come in as pending,
        processing or on-hold; open orders get paid, completed, cancelled or refunded."""
        return self.start_live_feed(
            self._live_new,
            self._live_change,
            new_per_hour=new_per_hour,
            changes_per_hour=changes_per_hour,
            seed=self.seed + 1,
        )

    def _live_new(self, rng: random.Random, when: datetime) -> None:
        status = rng.choices(("processing", "pending", "on-hold"), (75, 15, 10))[0]
        record = self._new_record(
            status=status,
            created=when,
            modified=when,
            lines=None,
            currency=None,
            customer_id=None,
            rng=rng,
        )
        self.store.add(record)
        self._ids.append(record.id)

    def _live_change(self, rng: random.Random, when: datetime) -> None:
        moves = {
            "pending": (("processing", 70), ("cancelled", 20), ("failed", 10)),
            "on-hold": (("processing", 90), ("cancelled", 10)),
            "processing": (("completed", 95), ("refunded", 5)),
        }
        # Look for an open order; give up quietly if there is none.
        record = self.store.pick(rng, self._ids, lambda r: r.status in moves)
        if record is None:
            return
        options = moves[record.status]
        target = rng.choices([s for s, _ in options], [w for _, w in options])[0]
        self._apply(record, status=target, changes={}, when=when)

    # -- internals -----------------------------------------------------------------------------

    def _new_record(
        self,
        *,
        status: str,
        created: datetime | None,
        modified: datetime | None,
        lines: tuple[tuple[str, int], ...] | None,
        currency: str | None,
        customer_id: int | None,
        rng: random.Random,
    ) -> WooOrderRecord:
        created_at = self.store.moment(created)
        modified_at = whole_seconds(modified) if modified is not None else created_at
        paid = (
            created_at + timedelta(seconds=rng.randint(2, 40)) if status in _PAID_STATUSES else None
        )
        if paid is not None and paid > modified_at:
            paid = modified_at
        completed = modified_at if status in ("completed", "refunded") else None
        if customer_id is None:
            customer_id = rng.randint(2, 5000) if rng.random() < 0.6 else 0
        return WooOrderRecord(
            id=self.store.next_id(),
            created=created_at,
            modified=modified_at,
            status=status,
            seed=rng.getrandbits(48),
            currency=currency or self.currency,
            customer_id=customer_id,
            lines=lines,
            paid=paid,
            completed=completed,
        )

    def _apply(
        self,
        record: WooOrderRecord,
        *,
        status: str | None,
        changes: dict[str, Any],
        when: datetime | None,
        force: bool = False,
    ) -> None:
        """Apply a change; bump ``date_modified`` when something changed (or ``force``)."""
        moment = self.store.moment(when)
        changed = False
        if status is not None and status != record.status:
            old = record.status
            record.status = status
            if status in _PAID_STATUSES and record.paid is None:
                record.paid = moment
            if status == "completed":
                record.completed = moment
            if status != "trash" and old != "trash":
                self._add_note(
                    record.id,
                    f"Order status changed from {_STATUS_LABELS[old]} to {_STATUS_LABELS[status]}.",
                    False,
                    "system",
                    moment,
                )
            changed = True
        if changes:
            current = self._render(record, "")
            before = {k: current.get(k) for k in changes}
            merged: dict[str, Any] = copy_json(record.overrides or {})
            deep_merge(merged, copy_json(changes))
            record.overrides = merged
            after = self._render(record, "")
            changed = changed or any(after.get(k) != before[k] for k in changes)
        if changed or force:
            self.store.touch(record.id, moment)
