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
from orderhub.sdk.http import HttpClient, HttpStats
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
from orderhub.sdk.ratelimit import RateLimit, TokenBucket
from orderhub.sdk.responses import error_entries
from orderhub.sdk.retry import RetryPolicy
from orderhub.sdk.secrets import looks_secret
from orderhub.sdk.windows import read_window, records_at

__all__ = [
    "Address",
    "AuthError",
    "BasicAuth",
    "Capability",
    "CarrierRule",
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
    "RateLimit",
    "RateLimitedError",
    "RefreshTokenAuth",
    "RejectedError",
    "RetryPolicy",
    "ShipmentDraft",
    "ShipmentLine",
    "SyncWindow",
    "SystemClock",
    "TokenBucket",
    "TransientError",
    "clean_address",
    "clean_text",
    "dig",
    "error_entries",
    "format_utc",
    "looks_secret",
    "minor_unit",
    "optional_object",
    "paginate",
    "parse_amount",
    "parse_epoch",
    "parse_money",
    "parse_utc",
    "read_window",
    "records_at",
    "require",
    "unit_price_from_total",
    "validate_order",
]
