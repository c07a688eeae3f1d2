"""The public connector SDK is exactly what ``orderhub.sdk.__all__`` lists, and that list is
pinned here: adding, removing or renaming a name is a decision about orderhub's
compatibility promise to connector authors, made by editing this file (and the CHANGELOG),
never a side effect of an edit elsewhere."""

from __future__ import annotations

import orderhub.sdk as sdk

PUBLIC_SDK = [
    "Address",
    "AlreadyShippedError",
    "AuthError",
    "BasicAuth",
    "Capability",
    "CarrierRule",
    "CatalogFields",
    "CatalogItem",
    "ClientCredentialsAuth",
    "Clock",
    "ConfigError",
    "Connector",
    "ConnectorContext",
    "ConnectorError",
    "ConnectorSettings",
    "CredentialExpiry",
    "DeadlineError",
    "ErrorKind",
    "ExpiryDate",
    "HeaderTokenAuth",
    "HttpClient",
    "HttpStats",
    "Interrupted",
    "LineDraft",
    "LineFields",
    "LinkHeaderPaginator",
    "Listing",
    "ListingProgress",
    "MalformedRecordError",
    "NextTokenPaginator",
    "NextUrlPaginator",
    "OAuth2Auth",
    "OffsetPaginator",
    "OrderDraft",
    "OrderStatus",
    "Page",
    "PageNumberPaginator",
    "PaginationLoopError",
    "Paginator",
    "PushOutcome",
    "PushResult",
    "QueryAuth",
    "RateLimit",
    "RateLimitedError",
    "RefreshTokenAuth",
    "RejectedError",
    "RetryPolicy",
    "ShipmentDraft",
    "ShipmentLine",
    "StatusTable",
    "SyncWindow",
    "SystemClock",
    "TokenBucket",
    "TransientError",
    "address_from",
    "announced_rate_limit",
    "answer_error",
    "api_root",
    "catalog_item",
    "check_shipment",
    "clean_address",
    "clean_text",
    "dig",
    "error_entries",
    "error_text",
    "field_in_error",
    "field_refusal",
    "first_error",
    "fix_for_field",
    "format_utc",
    "html_text",
    "https_url",
    "items_at",
    "looks_secret",
    "minor_unit",
    "money_object",
    "name_list",
    "optional_object",
    "paginate",
    "parse_amount",
    "parse_epoch",
    "parse_money",
    "parse_quantity",
    "parse_utc",
    "push_once",
    "push_result",
    "read_window",
    "records_at",
    "refusal",
    "require",
    "required_utc",
    "says_any",
    "secure_url",
    "setting_date",
    "shipped_lines",
    "texts_at",
    "tracking_note",
    "unit_price_from_total",
    "validate_order",
    "value_at",
    "with_tracking",
]


def test_the_public_sdk_is_pinned() -> None:
    assert sorted(sdk.__all__) == PUBLIC_SDK


def test_every_public_name_exists_and_has_a_docstring() -> None:
    for name in PUBLIC_SDK:
        value = getattr(sdk, name)
        assert getattr(value, "__doc__", None), f"orderhub.sdk.{name} has no docstring"


def test_all_lists_each_name_once() -> None:
    assert len(sdk.__all__) == len(set(sdk.__all__))


def test_a_star_import_gives_exactly_the_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from orderhub.sdk import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == PUBLIC_SDK
