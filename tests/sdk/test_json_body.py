"""Decoding channels' JSON answers: decode_json reads every body exactly as json.loads does
(the same values, the same refusals), through the HTTP client too."""

from __future__ import annotations

import codecs
import json
from typing import Any

import httpx
import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from orderhub.sdk.http import HttpClient
from orderhub.sdk.json_body import decode_json
from orderhub.sdk.retry import RetryPolicy
from orderhub.testing.clock import FakeClock


def _outcome(decode: Any, body: bytes) -> tuple[str, str]:
    """What a decoder makes of ``body``: its value's repr (NaN, -0.0, key order and int
    versus float all show), or the kind of its refusal."""
    try:
        return "value", repr(decode(body))
    except UnicodeDecodeError:
        return "refused", "UnicodeDecodeError"
    except ValueError:
        return "refused", "ValueError"
    except RecursionError:
        return "refused", "RecursionError"


def _same_as_json_loads(body: bytes) -> None:
    assert _outcome(decode_json, body) == _outcome(json.loads, body)


# Integers on both sides of 64 bits, signed and unsigned: orjson reads the wider ones as
# floats, which decode_json must never let through.
_EDGE_INTS = st.sampled_from(
    [2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**18, 10**19, 10**30]
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | _EDGE_INTS
    | st.floats()  # NaN and the infinities too: json.dumps writes NaN and Infinity
    | st.text()
    # Lone surrogates, which json.dumps writes escaped (\ud800).
    | st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=3)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@given(
    value=_VALUES,
    ascii_only=st.booleans(),
    layout=st.sampled_from([{}, {"separators": (",", ":")}, {"indent": 2}, {"indent": "\t"}]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]),
)
def test_any_json_text_decodes_as_json_loads_reads_it(
    value: Any, ascii_only: bool, layout: dict[str, Any], encoding: str
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, **layout)
    try:
        body = text.encode(encoding)
    except UnicodeEncodeError:  # a lone surrogate written as itself: not encodable
        body = text.encode(encoding, "surrogatepass")
    _same_as_json_loads(body)


@given(st.binary(max_size=200))
def test_any_bytes_decode_or_are_refused_as_json_loads_does(body: bytes) -> None:
    _same_as_json_loads(body)


@given(st.text(st.sampled_from('0123456789-+.eE[]{}":, tnrufals\\'), max_size=60))
def test_json_like_text_decodes_or_is_refused_as_json_loads_does(text: str) -> None:
    _same_as_json_loads(text.encode())


@pytest.mark.parametrize(
    "body",
    [
        # Order and line ids beyond 64 bits stay exact integers.
        b'{"id": 18446744073709551616}',
        b'{"id": -9223372036854775809}',
        b'{"id": 123456789012345678901234567890}',
        b"[18446744073709551615, -9223372036854775808]",
        b"[18446744073709551616]",
        b"[-9223372036854775809,1]",
        # 19 digits inside a text (a tracking number): the value is the same either way.
        b'{"tracking": "9400111899223344556677"}',
        b'{"href": "https://api.ebay.com/fulfillment/9400903653570587806182"}',
        b"18446744073709551616",
        b"  -18446744073709551616",
        b'{"ids":[1,\n18446744073709551616]}',
        # What orjson refuses and json.loads reads.
        b"[NaN, Infinity, -Infinity]",
        b"1e400",
        b'"\\ud800"',
        codecs.BOM_UTF8 + b'{"a": 1}',
        '{"a": "ü"}'.encode("utf-16"),
        '{"a": "ü"}'.encode("utf-32-le"),
        # Neither reads these.
        b"",
        b'{"orders": [{"id": 1',
        b"\xff\xfe\xfd",
        b'{"a": "\xc3"}',
        b"[1,]",
    ],
)
def test_bodies_found_by_the_properties_and_known_differences(body: bytes) -> None:
    _same_as_json_loads(body)


def test_a_page_with_an_id_beyond_64_bits_keeps_it_exact_through_the_http_client() -> None:
    big = 2**64 + 7  # an order id orjson alone would turn into 1.8446744073709552e+19
    body = json.dumps({"orders": [{"id": big, "total": "9.50"}, {"id": 2}]}).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    client = HttpClient(
        base_url="https://shop.example/wp-json/wc/v3",
        account_id="acct-1",
        rate_limits={},
        default_rate_limit=None,
        retry_policy=RetryPolicy(max_attempts=1),
        clock=FakeClock(),
        log=structlog.get_logger(),
        transport=transport,
    )
    try:
        page = client.get_json("orders.list", "orders")
    finally:
        client.close()
    assert page == {"orders": [{"id": big, "total": "9.50"}, {"id": 2}]}
    assert type(page["orders"][0]["id"]) is int
