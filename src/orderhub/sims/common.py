"""Formatting helpers that several simulated channels share, written once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")


def cents(value: Decimal) -> str:
    """``value`` rounded half-up to cents, as text (``"12.50"``): eBay's and WooCommerce's
    money strings."""
    return str(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def utc_seconds(value: datetime) -> str:
    """``value`` in UTC to the second with a ``Z`` (``"2026-01-15T12:00:00Z"``)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
