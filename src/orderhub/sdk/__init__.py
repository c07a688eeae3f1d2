"""The public connector SDK. A connector imports from here and nowhere else in orderhub.

Everything below is covered by orderhub's compatibility promise; anything not in ``__all__``
is internal and may change.
"""

from orderhub.sdk.clock import Clock, Interrupted, SystemClock
from orderhub.sdk.connector import (
    Capability,
    Connector,
    ConnectorContext,
    ConnectorSettings,
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
from orderhub.sdk.oauth import RefreshTokenAuth
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
    optional_object,
    parse_money,
    parse_utc,
    require,
    unit_price_from_total,
)
from orderhub.sdk.ratelimit import RateLimit, TokenBucket
from orderhub.sdk.retry import RetryPolicy

__all__ = [
    "Address",
    "AuthError",
    "Capability",
    "Clock",
    "ConfigError",
    "Connector",
    "ConnectorContext",
    "ConnectorError",
    "ConnectorSettings",
    "DeadlineError",
    "ErrorKind",
    "HttpClient",
    "HttpStats",
    "Interrupted",
    "LineDraft",
    "LinkHeaderPaginator",
    "MalformedRecordError",
    "NextTokenPaginator",
    "NextUrlPaginator",
    "OffsetPaginator",
    "OrderDraft",
    "OrderStatus",
    "Page",
    "PageNumberPaginator",
    "PaginationLoopError",
    "Paginator",
    "PushOutcome",
    "PushResult",
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
    "format_utc",
    "optional_object",
    "paginate",
    "parse_money",
    "parse_utc",
    "require",
    "unit_price_from_total",
    "validate_order",
]
