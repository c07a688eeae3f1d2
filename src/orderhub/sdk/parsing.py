"""Small, strict parsers for the value formats channels send. Use them inside ``to_order``.

Each raises :class:`~orderhub.sdk.errors.MalformedRecordError` naming the field, so a bad
value quarantines the record with a reason a person can act on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from orderhub.sdk.drafts import ADDRESS_FIELDS, Address
from orderhub.sdk.errors import MalformedRecordError

_CENT = Decimal("0.01")
_ADDRESS_FIELDS = frozenset(ADDRESS_FIELDS)


def parse_money(value: Any, field: str) -> Decimal:
    """Parse a money amount sent as a string (or int) into a Decimal, kept exactly as sent.
    Floats are refused: for a channel that documents strings, a number means the payload
    is not what it should be. For channels that send JSON numbers use
    :func:`parse_amount`."""
    if type(value) is not str:  # most amounts are text: one check for them
        if isinstance(value, bool) or value is None or isinstance(value, float):
            raise MalformedRecordError(
                f"{field}: expected a decimal string, got {type(value).__name__}"
            )
        value = str(value)
    try:
        amount = Decimal(value.strip())
    except (InvalidOperation, ValueError):
        raise MalformedRecordError(f"{field}: {str(value)[:32]!r} is not a number") from None
    if not amount.is_finite():
        raise MalformedRecordError(f"{field}: {value!r} is not a finite number")
    return amount


#: ISO 4217 currencies whose minor unit is not the cent (all others have two decimals).
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


def minor_unit(currency: str) -> int:
    """The number of decimals of ``currency`` (ISO 4217): 2 unless it is listed in
    :data:`MINOR_UNITS` (JPY 0, KWD 3, ...)."""
    return MINOR_UNITS.get(currency.strip().upper(), 2)


def parse_amount(value: Any, field: str, currency: str) -> Decimal:
    """Parse a money amount sent as a string *or a JSON number* and round it (half-up) to
    ``currency``'s minor unit: ``12.5`` in EUR is ``Decimal("12.50")``, ``1200.0`` in JPY is
    ``Decimal("1200")``. A float is read through its shortest repr (``0.1`` is ``0.10``,
    not ``0.1000000000000000055…``). Use :func:`parse_money` instead for channels that
    document strings, where a number means the payload is not what it should be."""
    if isinstance(value, float):
        value = repr(value)
    amount = parse_money(value, field)
    return amount.quantize(Decimal(1).scaleb(-minor_unit(currency)), rounding=ROUND_HALF_UP)


def parse_epoch(value: Any, field: str, *, unit: Literal["s", "ms"] = "s") -> datetime:
    """Parse a Unix time (seconds, or milliseconds with ``unit="ms"``), sent as a number or
    a string of digits, into a UTC-aware datetime. Raises MalformedRecordError naming
    ``field`` for anything else (including an out-of-range value)."""
    if isinstance(value, bool) or value is None:
        raise MalformedRecordError(f"{field}: expected a Unix time, got {value!r}")
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise MalformedRecordError(f"{field}: {str(value)[:32]!r} is not a Unix time") from None
    if not number.is_finite():
        raise MalformedRecordError(f"{field}: {value!r} is not a Unix time")
    seconds = number / 1000 if unit == "ms" else number
    try:
        return datetime.fromtimestamp(float(seconds), tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedRecordError(f"{field}: {value!r} is out of range as a Unix time") from None


def parse_utc(value: Any, field: str, *, naive_is_utc: bool = False) -> datetime:
    """Parse an ISO 8601 time into a UTC-aware datetime.

    A value without an offset is refused unless ``naive_is_utc`` says the channel documents
    it as UTC (WooCommerce's ``*_gmt`` fields, for example).
    """
    if not isinstance(value, str) or not value:
        raise MalformedRecordError(f"{field}: expected an ISO 8601 time, got {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedRecordError(f"{field}: {value[:40]!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        if not naive_is_utc:
            raise MalformedRecordError(f"{field}: {value!r} has no time zone")
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_utc(value: datetime, *, millis: bool = False) -> str:
    """Format a UTC-aware time as ``YYYY-MM-DDTHH:MM:SSZ`` (seconds precision), or with
    ``millis`` as ``YYYY-MM-DDTHH:MM:SS.sssZ`` (milliseconds, truncated; eBay's format)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    moment = value.astimezone(UTC)
    fraction = f".{moment.microsecond // 1000:03d}" if millis else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def require(raw: dict[str, Any], key: str, where: str = "order") -> Any:
    """``raw[key]``, or MalformedRecordError naming the missing field."""
    if not isinstance(raw, dict):
        raise MalformedRecordError(f"{where}: expected an object, got {type(raw).__name__}")
    value = raw.get(key)
    if value is None or value == "":
        raise MalformedRecordError(f"{where}: required field {key!r} is missing")
    return value


def clean_text(value: Any) -> str | None:
    """``value`` as a string with surrounding white space removed; ``None`` when it is
    missing or blank. For optional text fields (names, titles, SKUs, address parts)."""
    if value is None:
        return None
    # Most values are already text: skip str() for them (the hot path of every mapping).
    text = (value if type(value) is str else str(value)).strip()
    return text or None


def optional_object(value: Any, field: str) -> dict[str, Any] | None:
    """``value`` when it is a JSON object, ``None`` when it is missing; anything else raises
    MalformedRecordError naming ``field``."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise MalformedRecordError(f"{field}: expected an object, got {type(value).__name__}")
    return value


def clean_address(**fields: Any) -> Address | None:
    """An :class:`~orderhub.sdk.drafts.Address` of ``fields`` (its field names: ``name``,
    ``company``, ``line1``, ``line2``, ``city``, ``region``, ``postal_code``, ``country``,
    ``phone``, ``email``), each passed through :func:`clean_text`; ``None`` when every one
    is empty, so a channel that sends an empty address gives no address at all. The
    country is upper-cased (ISO 3166-1 alpha-2 codes are; ``"gb"`` is ``"GB"``)."""
    if not _ADDRESS_FIELDS.issuperset(fields):
        Address(**fields)  # raises the TypeError naming the unknown field
    cleaned = {}
    for name, value in fields.items():
        if value is not None:
            text = clean_text(value)
            if text is not None:
                cleaned[name] = text.upper() if name == "country" else text
    # Only the non-empty parts are passed: an address of nothing is no address at all.
    return Address(**cleaned) if cleaned else None


def unit_price_from_total(total: Decimal | None, quantity: int) -> Decimal | None:
    """The price of one unit of a line that costs ``total`` for ``quantity`` units, rounded
    to the cent, or finer when ``total`` itself is (three-decimal currencies such as KWD
    keep their three decimals). ``None`` without a total or a positive quantity."""
    if total is None or quantity <= 0:
        return None
    exponent = total.as_tuple().exponent
    places = min(exponent, -2) if isinstance(exponent, int) else -2
    return (total / quantity).quantize(_CENT.scaleb(places + 2))
