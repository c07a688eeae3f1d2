"""The public connector SDK is exactly what ``orderhub.sdk.__all__`` lists, and that list is
pinned here: adding, removing or renaming a name is a decision about orderhub's
compatibility promise to connector authors, made by editing this file (and the CHANGELOG),
never a side effect of an edit elsewhere."""

from __future__ import annotations

import orderhub.sdk as sdk

PUBLIC_SDK = [
    "Address",
    "AuthError",
    "BasicAuth",
    "Capability",
    "CarrierRule",
    "CatalogItem",
    "CheckedPush",
    "ClientCredentialsAuth",
    "Clock",
    "ConfigError",
    "Connector",
    "ConnectorContext",
    "ConnectorError",
    "ConnectorSettings",
    "CredentialExpiry",
    "DailyQuota",
    "DailyQuotaSettings",
    "DeadlineError",
    "EndpointSettings",
    "ErrorKind",
    "ExpiryDate",
    "FulfillmentShape",
    "HeaderTokenAuth",
    "HttpClient",
    "HttpStats",
    "Interrupted",
    "LineDraft",
    "LinkHeaderPaginator",
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
    "QuotaDay",
    "RateLimit",
    "RateLimitedError",
    "RawQueryPaginator",
    "RefreshTokenAuth",
    "RefreshTokenSettings",
    "RejectedError",
    "RetryPolicy",
    "ShipmentDraft",
    "ShipmentLine",
    "SyncWindow",
    "SystemClock",
    "TokenBucket",
    "TransientError",
    "US_PACIFIC",
    "address_at",
    "already_shipped_error",
    "auth_refusal",
    "check_shipment",
    "clean_address",
    "clean_text",
    "dig",
    "error_entries",
    "expiry_field",
    "expiry_warning",
    "explain_rejection",
    "find_by_tracking",
    "first_address",
    "first_text",
    "format_utc",
    "https_url",
    "id_from_location",
    "known_value",
    "looks_secret",
    "minor_unit",
    "money_at",
    "money_object",
    "normalise_tracking_number",
    "optional_object",
    "ordered_lines",
    "over_shipped",
    "paginate",
    "parse_amount",
    "parse_epoch",
    "parse_money",
    "parse_utc",
    "plain_tracking",
    "push_checked",
    "quantity_of",
    "read_window",
    "records_at",
    "require",
    "required_list",
    "required_object",
    "shipped_lines",
    "unit_price_from_total",
    "units_shipped",
    "us_pacific_offset_by_rule",
    "validate_order",
    "wait_text",
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
