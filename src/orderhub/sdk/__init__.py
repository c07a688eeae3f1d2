"""The public connector SDK. A connector imports from here and nowhere else in orderhub.

Everything below is covered by orderhub's compatibility promise; anything not in ``__all__``
is internal and may change.
"""

from orderhub.sdk.auth import (
    BasicAuth,
    ClientCredentialsAuth,
    HeaderTokenAuth,
    OAuth2Auth,
    QueryAuth,
    RefreshTokenAuth,
)
from orderhub.sdk.carriers import CarrierRule
from orderhub.sdk.catalog import CatalogFields, catalog_item
from orderhub.sdk.clock import Clock, Interrupted, SystemClock
from orderhub.sdk.connector import (
    Capability,
    CatalogItem,
    Connector,
    ConnectorContext,
    ConnectorSettings,
    CredentialExpiry,
    ExpiryDate,
    SyncWindow,
)
from orderhub.sdk.drafts import (
    Address,
    LineDraft,
    OrderDraft,
    OrderStatus,
    PushOutcome,
    PushResult,
    ShipmentDraft,
    ShipmentLine,
    validate_order,
)
from orderhub.sdk.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    DeadlineError,
    ErrorKind,
    MalformedRecordError,
    PaginationLoopError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from orderhub.sdk.fields import address_from, money_object, parse_quantity, value_at
from orderhub.sdk.http import HttpClient, HttpStats
from orderhub.sdk.listings import Listing
from orderhub.sdk.paginate import (
    LinkHeaderPaginator,
    NextTokenPaginator,
    NextUrlPaginator,
    OffsetPaginator,
    Page,
    PageNumberPaginator,
    Paginator,
    dig,
    paginate,
)
from orderhub.sdk.parsing import (
    clean_address,
    clean_text,
    format_utc,
    minor_unit,
    optional_object,
    parse_amount,
    parse_epoch,
    parse_money,
    parse_utc,
    require,
    unit_price_from_total,
)
from orderhub.sdk.progress import ListingProgress
from orderhub.sdk.push import push_result, tracking_note, with_tracking
from orderhub.sdk.ratelimit import RateLimit, TokenBucket, announced_rate_limit
from orderhub.sdk.records import (
    LineFields,
    html_text,
    items_at,
    required_utc,
    texts_at,
)
from orderhub.sdk.responses import answer_error, error_entries, error_text, first_error
from orderhub.sdk.retry import RetryPolicy
from orderhub.sdk.secrets import looks_secret
from orderhub.sdk.settings_fields import name_list, secure_url, setting_date
from orderhub.sdk.shipments import (
    AlreadyShippedError,
    check_shipment,
    field_in_error,
    field_refusal,
    fix_for_field,
    push_once,
    refusal,
    says_any,
    shipped_lines,
)
from orderhub.sdk.statuses import StatusTable
from orderhub.sdk.urls import api_root, https_url
from orderhub.sdk.windows import read_window, records_at

__all__ = [
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
