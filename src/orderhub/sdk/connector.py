"""The connector base class: what a connector author subclasses.

One class per channel, one instance per configured account. The framework builds the
instance with a :class:`ConnectorContext` (validated settings, clock, logger, transport), so
a connector reads no globals and no environment, and tests patch nothing.

The framework owns the loop: it computes the sync window, calls :meth:`Connector.fetch_orders`,
hands each raw record to :meth:`Connector.to_order`, stores the drafts and moves the cursor.
A connector author fills in those two methods (plus :meth:`Connector.push_tracking` when the
channel takes tracking) and declares the channel's limits as class attributes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, TypedDict, TypeVar

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr

from orderhub.sdk.carriers import CarrierRule
from orderhub.sdk.clock import Clock
from orderhub.sdk.drafts import OrderDraft, PushResult, ShipmentDraft
from orderhub.sdk.errors import ConnectorError
from orderhub.sdk.http import DEFAULT_DEADLINE, DEFAULT_MAX_RESPONSE_BYTES, HttpClient
from orderhub.sdk.ratelimit import RateLimit, announced_rate_limit
from orderhub.sdk.retry import RetryPolicy
from orderhub.sdk.secrets import register_secrets
from orderhub.sdk.settings_fields import EXPIRY_RANGE, expiry_field


class Capability(StrEnum):
    """What a connector can do. Declared on the class; checked against the methods defined."""

    FETCH_ORDERS = "fetch_orders"
    PUSH_TRACKING = "push_tracking"
    PARTIAL_SHIPMENTS = "partial_shipments"
    CANCELLATIONS = "cancellations"
    #: The channel is the seller's own shop and can list its products: the connector
    #: overrides :meth:`Connector.fetch_products`. orderhub reads it into the catalog on a
    #: schedule.
    CATALOG = "catalog"


def _plausible_expiry(value: date) -> date:
    first, last = EXPIRY_RANGE
    if not first <= value <= last:
        raise ValueError(
            f"{value.isoformat()} is not a plausible expiry date: give one between "
            f"{first.isoformat()} and {last.isoformat()}"
        )
    return value


#: A credential's expiry date in a connector's settings (``refresh_token_expires_on``):
#: a date between the years 2000 and 9998.
ExpiryDate = Annotated[date, AfterValidator(_plausible_expiry)]


class ConnectorSettings(BaseModel):
    """Base class of every connector's settings model.

    Declare secrets as :class:`pydantic.SecretStr`: the configuration file names the
    environment variable that holds each one (``<field>_env = "VAR"``), and ``repr()`` never
    shows the value. Unknown keys are refused so typos surface in ``orderhub config check``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Per-account overrides of the connector's ``request_deadline`` (seconds for one
    #: request, connect to last byte) and ``max_response_bytes``; None keeps the default.
    request_deadline: float | None = Field(default=None, ge=1, le=3600)
    max_response_bytes: int | None = Field(default=None, ge=1024, le=1024**3)

    def secret_values(self) -> list[str]:
        """Every secret's plain value, for the log redactor."""
        return [
            value.get_secret_value()
            for value in self.__dict__.values()
            if isinstance(value, SecretStr) and value.get_secret_value()
        ]


S = TypeVar("S", bound=ConnectorSettings)


class CatalogItem(TypedDict):
    """One sellable item of the seller's shop, as :meth:`Connector.fetch_products` yields it
    (a simple product, or each variation of a variable one).

    ``sku`` and ``gtin`` may be None; ``ref`` names the item in messages ("product 120");
    ``identifiers`` maps catalog identifier kinds to the channel's ids
    (``{"woo_variation": "103"}``).
    """

    sku: str | None
    title: str | None
    gtin: str | None
    ref: str
    identifiers: dict[str, str]


@dataclass(frozen=True, slots=True)
class SyncWindow:
    """A half-open interval of last-modified times ``[start, end)`` to fetch, both UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("window end is before its start")


@dataclass(frozen=True, slots=True)
class CredentialExpiry:
    """A credential's known end of life, from :meth:`Connector.credentials_expiry`.

    ``what`` names the credential ("the eBay refresh token"), ``fix`` says how to renew it.
    """

    expires_on: date
    what: str
    fix: str


@dataclass(frozen=True)
class ConnectorContext(Generic[S]):
    """Everything a connector instance gets from the framework.

    ``transport`` is None in production (real network); tests and the demo pass a transport
    that reaches a simulated channel.
    """

    account_id: str
    settings: S
    clock: Clock
    log: Any  # a structlog BoundLogger; typed loosely because structlog's proxies vary
    transport: httpx.BaseTransport | None = None


class Connector(Generic[S]):
    """Base class of every connector.

    Class attributes (override what differs from the default):

    ``name``
        The entry-point name, e.g. ``"woocommerce"``.
    ``version``
        The connector's own version, shown by ``orderhub connectors list``.
    ``capabilities``
        What it can do; the test kit checks this matches the methods overridden.
    ``settings_model``
        A :class:`ConnectorSettings` subclass.
    ``rate_limits``
        The channel's usage plan per operation name (the ``operation`` passed to
        ``self.http``). ``default_rate_limit`` covers operations not listed (None: no limit).
    ``rate_limit_header``
        A response header in which the channel announces the operation's rate in requests
        per second (Amazon's ``x-amzn-RateLimit-Limit``); the announced rate is adopted,
        keeping the declared burst. None: the declared plans stay.
    ``retry_policy``
        How transient and throttled requests are retried.
    ``lookback``
        How far before the cursor each run starts reading again (the overlap re-read, which
        catches records that arrived late or changed during the previous read).
    ``settle_delay``
        How far behind "now" the window ends (Amazon wants at least two minutes).
    ``max_window``
        Long windows (backfills) are split into chunks of at most this size; the cursor
        moves after each chunk.
    ``initial_backfill``
        How far back the first sync of a new account reads.
    ``sorted_by_updated_at``
        True when ``fetch_orders`` yields records in ascending last-modified order; the
        engine can then move the cursor after every committed page instead of per window.
    ``page_size``
        Records committed per transaction (match the API's page size).
    ``carrier_codes``
        The channel's carrier codes by orderhub's canonical carrier key (``"ups"``,
        ``"royal_mail"``, ``"other"``, ...); carriers not listed keep orderhub's built-in
        code, or their name. The push runner translates before ``push_tracking``.
    ``carrier_rules``
        :class:`~orderhub.sdk.CarrierRule` s the channel insists on (e.g. "Other needs the
        carrier's name"); the push runner refuses a shipment that breaks one before sending.
    ``reflects_partial_shipments``
        True when the channel's order status shows a partial shipment (Amazon, eBay), so
        orderhub can verify a partial push on the next pull; False where only a complete
        order changes status (WooCommerce).
    ``timeout``
        Seconds one socket operation (connect, one read) may wait.
    ``request_deadline``
        Seconds one whole request may take, connect to last byte (120 s by default); a
        silent or trickling channel fails the run with ``error_kind`` ``timeout``.
    ``expiry_setting``
        ``(setting, what, fix)``: the settings key holding the day a credential stops
        working (an :data:`ExpiryDate`, e.g. ``"client_secret_expires_on"``), what it is
        (``"the Amazon LWA client secret"``) and how to renew it; the default
        :meth:`credentials_expiry` reads it. None: no known expiry.
    ``max_response_bytes``
        The largest answer read (32 MiB by default); a larger one is refused as it streams.
        Accounts override both with the settings of the same names.
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0.1.0"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.FETCH_ORDERS})
    settings_model: ClassVar[type[ConnectorSettings]] = ConnectorSettings
    rate_limits: ClassVar[Mapping[str, RateLimit]] = {}
    default_rate_limit: ClassVar[RateLimit | None] = None
    rate_limit_header: ClassVar[str | None] = None
    expiry_setting: ClassVar[tuple[str, str, str] | None] = None
    retry_policy: ClassVar[RetryPolicy] = RetryPolicy()
    lookback: ClassVar[timedelta] = timedelta(minutes=10)
    settle_delay: ClassVar[timedelta] = timedelta(0)
    max_window: ClassVar[timedelta] = timedelta(days=7)
    initial_backfill: ClassVar[timedelta] = timedelta(days=30)
    sorted_by_updated_at: ClassVar[bool] = False
    page_size: ClassVar[int] = 100
    reflects_partial_shipments: ClassVar[bool] = True
    timeout: ClassVar[float] = 30.0
    carrier_codes: ClassVar[Mapping[str, str]] = {}
    carrier_rules: ClassVar[tuple[CarrierRule, ...]] = ()
    request_deadline: ClassVar[float] = DEFAULT_DEADLINE
    max_response_bytes: ClassVar[int] = DEFAULT_MAX_RESPONSE_BYTES

    def __init__(self, context: ConnectorContext[S]) -> None:
        self.context = context
        self.account_id = context.account_id
        self.settings: S = context.settings
        self.clock = context.clock
        self.log = context.log.bind(account=context.account_id, channel=self.name)
        self._http: HttpClient | None = None
        self._http_lock = threading.Lock()
        # Registered here, when the connector is built (not when settings are validated),
        # so only accounts that really run leave their secrets with the log redactor.
        register_secrets(self.settings.secret_values())

    @property
    def http(self) -> HttpClient:
        """The HTTP helper, built on first use, so the hooks it calls (``base_url``,
        ``auth``, ``default_headers``, ...) run on a complete connector: a subclass may set
        up what they need after ``super().__init__``."""
        with self._http_lock:
            if self._http is None:
                self._http = self._build_http()
            return self._http

    def _build_http(self) -> HttpClient:
        auth = self.auth()
        wire = getattr(auth, "secret_values", None)
        secrets = [*self.settings.secret_values(), *(wire() if callable(wire) else [])]
        register_secrets(secrets)
        return HttpClient(
            base_url=self.base_url(),
            account_id=self.account_id,
            rate_limits=self.rate_limits,
            default_rate_limit=self.default_rate_limit,
            retry_policy=self.retry_policy,
            clock=self.clock,
            log=self.log,
            transport=self.context.transport,
            auth=auth,
            headers=self.default_headers(),
            timeout=self.timeout,
            deadline=self.settings.request_deadline or self.request_deadline,
            max_response_bytes=self.settings.max_response_bytes or self.max_response_bytes,
            secrets=secrets,
            classify=self.classify_response,
            rate_limit_from_response=self.rate_limit_from_response,
        )

    # -- hooks with defaults ------------------------------------------------------------

    def base_url(self) -> str:
        """The API root every request path is relative to. Default: ``settings.base_url``."""
        value = getattr(self.settings, "base_url", None)
        if not value:
            raise NotImplementedError(f"{type(self).__name__} must define base_url()")
        return str(value)

    def auth(self) -> httpx.Auth | None:
        """The httpx auth to attach to every request (None: none, or set in headers)."""
        return None

    def default_headers(self) -> dict[str, str]:
        """Headers sent with every request."""
        return {}

    def classify_response(self, response: httpx.Response) -> ConnectorError | None:
        """Turn a response the status code alone misjudges into an error, or return None.

        Called for every response before the default classification (2xx ok, 401/403 auth,
        429 throttled, 5xx transient, other 4xx rejected). Override for APIs that report
        errors in 200 bodies, or throttle with another status.
        """
        return None

    def rate_limit_from_response(
        self, operation: str, response: httpx.Response
    ) -> RateLimit | None:
        """Read a usage plan the channel announces in a response. Return None to keep the
        declared plan. Default: the rate in :attr:`rate_limit_header`, when declared."""
        if self.rate_limit_header is None:
            return None
        announced = response.headers.get(self.rate_limit_header)
        return announced_rate_limit(announced, self.rate_limits.get(operation))

    @classmethod
    def settings_attention(
        cls, settings: Mapping[str, Any], now: datetime, account_id: str
    ) -> str | None:
        """A warning for ``orderhub status`` about an account's configuration, such as a
        credential that expires soon, or None. Called with the raw ``[accounts.settings]``
        table (secrets may be unset), so it must not need them."""
        return None

    @classmethod
    def credentials_expiry(cls, settings: Mapping[str, Any]) -> CredentialExpiry | None:
        """When this account's credentials stop working, if the seller told orderhub (e.g.
        eBay's ``refresh_token_expires_on``), or None. The health model warns 30 and 7 days
        ahead. Called with the raw ``[accounts.settings]`` table (secrets may be unset), so
        it must not need them; return None for a value it cannot read (``config check``
        reports that)."""
        if cls.expiry_setting is None:
            return None
        key, what, fix = cls.expiry_setting
        expires = expiry_field(settings, key)
        return None if expires is None else CredentialExpiry(expires, what, fix)

    def close(self) -> None:
        """Release the HTTP connection pool (nothing to do when no request was made)."""
        if self._http is not None:
            self._http.close()

    # -- what a connector author implements ------------------------------------------------

    def check(self) -> None:
        """Make one cheap authenticated call to prove the settings work.

        Called by ``orderhub config check --online`` and the test kit. Raises
        :class:`~orderhub.sdk.errors.AuthError` on bad credentials, other
        :class:`~orderhub.sdk.errors.ConnectorError` subclasses for anything else.
        """
        raise NotImplementedError

    def fetch_orders(self, window: SyncWindow) -> Iterator[dict[str, Any]]:
        """Yield the raw payload of every order modified within ``window``.

        Called once per window chunk by the sync engine. Usually one ``paginate(...)``
        call. Must send the window to the API (never fetch everything and filter) and must
        not call ``to_order``. Raises ConnectorError subclasses; transient failures are
        already retried by ``self.http``.
        """
        raise NotImplementedError

    def to_order(self, raw: dict[str, Any]) -> OrderDraft:
        """Normalise one raw payload into an :class:`OrderDraft`.

        Must be pure and deterministic: no I/O, no clock, no randomness, so the same input
        always gives the same draft (the test kit checks this and diffs golden files).
        Raises :class:`~orderhub.sdk.errors.MalformedRecordError` (or any exception) for a
        payload it cannot read; the engine quarantines that record and goes on.
        """
        raise NotImplementedError

    def external_id(self, raw: dict[str, Any]) -> str | None:
        """The order id in a raw payload, used to label a quarantined record. Best effort."""
        for key in ("id", "orderId", "AmazonOrderId", "order_id"):
            value = raw.get(key) if isinstance(raw, dict) else None
            if value is not None:
                return str(value)
        return None

    def fetch_products(self) -> Iterator[CatalogItem]:
        """Yield one :class:`CatalogItem` per sellable item of the shop. Declare
        ``Capability.CATALOG`` to use. Called by ``orderhub catalog sync``; raises
        ConnectorError subclasses like ``fetch_orders``."""
        raise NotImplementedError

    def push_tracking(self, shipment: ShipmentDraft) -> PushResult:
        """Tell the channel about a shipment. Declare ``Capability.PUSH_TRACKING`` to use.

        Must be idempotent in effect: called again with the same ``shipment.reference``
        (after a crash or a lost response) it must not create a second shipment on the
        channel; return ``PushOutcome.ALREADY_APPLIED`` when the channel already has it.
        Raises RejectedError (permanent, with the channel's reason) or a retryable error.
        """
        raise NotImplementedError
