"""The store's tables. The schema itself is owned by the Alembic migrations in
``orderhub/store/migrations``; a test checks these models and the migrations agree.

Every table is keyed so that re-running any step converges: orders on
(account, external id), lines on (order, external line id), cursors on (account, stream),
quarantined payloads on (account, payload hash).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Text,
    false,
)
from sqlmodel import Field, SQLModel

from orderhub.store.types import Money, UTCDateTime

# Deterministic constraint names, so Alembic migrations can refer to them on every dialect.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata: MetaData = SQLModel.metadata

# BigInteger primary keys on PostgreSQL, INTEGER (rowid alias) on SQLite.
_ID = BigInteger().with_variant(Integer(), "sqlite")


def _primary_key() -> Any:
    return Field(default=None, sa_column=Column(_ID, primary_key=True, autoincrement=True))


def _order_fk() -> Any:
    return Field(sa_column=Column(_ID, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False))


class Order(SQLModel, table=True):
    """One channel order. ``raw`` keeps the payload exactly as the channel sent it."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("uq_orders_account_external", "account_id", "external_id", unique=True),
        Index("ix_orders_account_status", "account_id", "status"),
        Index("ix_orders_channel_updated_at", "channel_updated_at"),
        Index("ix_orders_awaiting_mapping", "awaiting_mapping"),
        # The console's order list pages by (channel_updated_at, id), all orders or one
        # account's; `orderhub ship 1042`, shipment CSVs and the console find orders by the
        # channel's id or number in any account.
        Index("ix_orders_updated_id", "channel_updated_at", "id"),
        Index("ix_orders_account_updated_id", "account_id", "channel_updated_at", "id"),
        Index("ix_orders_external_id", "external_id"),
        Index("ix_orders_display_id", "display_id"),
        Index("ix_orders_placed_at", "placed_at"),
    )

    id: int | None = _primary_key()
    account_id: str = Field(max_length=64)
    channel: str = Field(max_length=32)
    external_id: str = Field(max_length=128)
    display_id: str | None = Field(default=None, max_length=128)
    marketplace: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=32)
    channel_status: str = Field(max_length=64)
    fulfilled_by_channel: bool = False
    currency: str = Field(max_length=3)
    total: Decimal = Field(sa_type=Money)
    placed_at: datetime = Field(sa_type=UTCDateTime)
    channel_updated_at: datetime = Field(sa_type=UTCDateTime)
    buyer: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    ship_to: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    raw: str = Field(sa_type=Text)
    content_hash: str = Field(max_length=32)
    first_seen_at: datetime = Field(sa_type=UTCDateTime)
    last_changed_at: datetime = Field(sa_type=UTCDateTime)
    # Set by SKU matching when a line resolves to no catalog SKU; the order is stored anyway.
    awaiting_mapping: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class OrderLine(SQLModel, table=True):
    """One ordered line; ``identifiers`` holds channel ids used for SKU matching."""

    __tablename__ = "order_lines"
    __table_args__ = (
        Index("uq_order_lines_order_external", "order_id", "external_id", unique=True),
        Index("ix_order_lines_sku", "sku"),
    )

    id: int | None = _primary_key()
    order_id: int = _order_fk()
    position: int
    external_id: str = Field(max_length=128)
    sku: str | None = Field(default=None, max_length=128)
    title: str | None = Field(default=None, sa_type=Text)
    quantity: int
    quantity_shipped: int = 0
    unit_price: Decimal | None = Field(default=None, sa_type=Money)
    total: Decimal | None = Field(default=None, sa_type=Money)
    identifiers: dict[str, str] | None = Field(default=None, sa_type=JSON)


class OrderEvent(SQLModel, table=True):
    """A change to an order: created, status changed, or other content updated."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order", "order_id", "id"),)

    id: int | None = _primary_key()
    order_id: int = _order_fk()
    account_id: str = Field(max_length=64)
    kind: str = Field(max_length=32)  # created | status_changed | updated
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str = Field(max_length=32)
    channel_status: str = Field(max_length=64)
    occurred_at: datetime = Field(sa_type=UTCDateTime)  # the channel's last-modified time
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    run_id: int | None = Field(default=None, sa_type=BigInteger)


class SyncCursor(SQLModel, table=True):
    """How far a stream of an account has been read and committed."""

    __tablename__ = "sync_cursors"

    account_id: str = Field(primary_key=True, max_length=64)
    stream: str = Field(primary_key=True, max_length=32)
    position: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class SyncRun(SQLModel, table=True):
    """One pull run, for ops: its window, its counts and how it ended."""

    __tablename__ = "sync_runs"
    __table_args__ = (
        Index("ix_sync_runs_account_started", "account_id", "started_at"),
        # Runs left "running", the last success, the failure streak: each pull and each
        # status read looks an account's runs up by outcome, which must not cost more as
        # the account's history grows.
        Index("ix_sync_runs_account_outcome", "account_id", "outcome", "started_at"),
    )

    id: int | None = _primary_key()
    account_id: str = Field(max_length=64)
    channel: str = Field(max_length=32)
    stream: str = Field(default="orders", max_length=32)
    trigger: str = Field(default="schedule", max_length=16)  # schedule | cli | demo
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    window_start: datetime | None = Field(default=None, sa_type=UTCDateTime)
    window_end: datetime | None = Field(default=None, sa_type=UTCDateTime)
    pages: int = 0
    requests: int = 0
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    retries: int = 0
    throttled: int = 0
    outcome: str = Field(default="running", max_length=16)  # running|succeeded|failed|interrupted
    error_kind: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, sa_type=Text)
    fix: str | None = Field(default=None, sa_type=Text)


class QuarantinedRecord(SQLModel, table=True):
    """A raw record that could not be normalised, kept whole with the reason."""

    __tablename__ = "quarantine"
    __table_args__ = (
        Index("uq_quarantine_account_hash", "account_id", "payload_hash", unique=True),
        Index("ix_quarantine_account_external", "account_id", "external_id"),
    )

    id: int | None = _primary_key()
    account_id: str = Field(max_length=64)
    channel: str = Field(max_length=32)
    external_id: str | None = Field(default=None, max_length=128)
    reason: str = Field(sa_type=Text)
    raw: str = Field(sa_type=Text)
    payload_hash: str = Field(max_length=32)
    first_seen_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    seen_count: int = 1
    run_id: int | None = Field(default=None, sa_type=BigInteger)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A person looked at it and decided nothing more is to be done (the order was fixed
    # elsewhere, or it will never be readable): no longer an open problem.
    dealt_with_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dealt_with_by: str | None = Field(default=None, max_length=300)
    # When a person last looked (``orderhub failures``): the health model counts records
    # quarantined since then as new.
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AccountState(SQLModel, table=True):
    """Per-account health that must survive restarts (e.g. credentials need renewing)."""

    __tablename__ = "account_state"

    account_id: str = Field(primary_key=True, max_length=64)
    needs_attention: bool = False
    reason: str | None = Field(default=None, sa_type=Text)
    fix: str | None = Field(default=None, sa_type=Text)
    since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


# --- SKU matching --------------------------------------------------------------------------


class CatalogItem(SQLModel, table=True):
    """One of the seller's own SKUs. ``gtin`` is the item's main GTIN as 14 digits;
    ``source`` says where it came from (``csv:FILE``, ``woocommerce:ACCOUNT``)."""

    __tablename__ = "catalog_items"
    __table_args__ = (Index("uq_catalog_items_sku", "sku", unique=True),)

    id: int | None = _primary_key()
    sku: str = Field(max_length=128)
    title: str | None = Field(default=None, sa_type=Text)
    gtin: str | None = Field(default=None, max_length=14)
    source: str = Field(max_length=300)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class CatalogIdentifier(SQLModel, table=True):
    """A channel id or a GTIN that names a catalog item (``kind``: ``asin``, ``gtin``,
    ``ebay_item``, ``ebay_variation``, ``woo_product``, ``woo_variation``).

    ``account_id`` scopes ids that are only unique within one account (a shop's product
    ids); the empty string means "every account" (a unique index treats NULLs as distinct
    on PostgreSQL, so NULL cannot be used for that)."""

    __tablename__ = "catalog_identifiers"
    __table_args__ = (
        Index(
            "uq_catalog_identifiers_kind_value_account",
            "kind",
            "value",
            "account_id",
            unique=True,
        ),
        Index("ix_catalog_identifiers_item", "item_id"),
    )

    id: int | None = _primary_key()
    item_id: int = Field(
        sa_column=Column(_ID, ForeignKey("catalog_items.id", ondelete="CASCADE"), nullable=False)
    )
    kind: str = Field(max_length=32)
    value: str = Field(max_length=128)
    account_id: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})


class SkuMapping(SQLModel, table=True):
    """An explicit mapping of a channel SKU to catalog components.

    ``scope`` is ``account:<id>``, ``channel:<name>`` or ``global`` (the unique key, with
    ``external_key``, the normalised external SKU); ``account_id``/``channel`` repeat it for
    queries. ``created_by``/``updated_by`` say who: ``cli`` or ``import:FILE``."""

    __tablename__ = "sku_mappings"
    __table_args__ = (
        Index("uq_sku_mappings_scope_key", "scope", "external_key", unique=True),
        Index("ix_sku_mappings_external_key", "external_key"),
    )

    id: int | None = _primary_key()
    scope: str = Field(max_length=100)
    account_id: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=32)
    external_sku: str = Field(max_length=128)
    external_key: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=300)
    updated_by: str = Field(max_length=300)


class SkuMappingComponent(SQLModel, table=True):
    """One component of a mapping: a catalog SKU (or another mapped SKU: a nested bundle)
    and how many of it one unit of the channel SKU contains."""

    __tablename__ = "sku_mapping_components"
    __table_args__ = (CheckConstraint("quantity >= 1", name="quantity_positive"),)

    mapping_id: int = Field(
        sa_column=Column(_ID, ForeignKey("sku_mappings.id", ondelete="CASCADE"), primary_key=True)
    )
    position: int = Field(primary_key=True)
    component_sku: str = Field(max_length=128)
    quantity: int


class MappingHistory(SQLModel, table=True):
    """Every change to a mapping: what (``created``/``changed``/``deleted``), the components
    before and after, who (``cli``, ``import:FILE``) and when. Kept when the mapping goes."""

    __tablename__ = "mapping_history"
    __table_args__ = (Index("ix_mapping_history_scope_key", "scope", "external_key"),)

    id: int | None = _primary_key()
    mapping_id: int | None = Field(default=None, sa_type=BigInteger)
    scope: str = Field(max_length=100)
    external_sku: str = Field(max_length=128)
    external_key: str = Field(sa_type=Text)
    action: str = Field(max_length=16)
    old_components: list[Any] | None = Field(default=None, sa_type=JSON)
    new_components: list[Any] | None = Field(default=None, sa_type=JSON)
    actor: str = Field(max_length=300)
    at: datetime = Field(sa_type=UTCDateTime)


class LineResolution(SQLModel, table=True):
    """How an order line was matched: ``method`` is ``mapping``, ``exact``, ``normalised``,
    ``identifier`` or ``unresolved``; ``matched`` says what matched (or why nothing did).

    Keyed on (order, the channel's line id) rather than the line's row id, because the
    store replaces the lines of a changed order: the resolution of a shipped order must
    outlive that, so it is never rewritten by a later mapping change."""

    __tablename__ = "line_resolutions"
    __table_args__ = (
        Index("ix_line_resolutions_sku_key", "sku_key"),
        Index("ix_line_resolutions_method", "method"),
    )

    order_id: int = Field(
        sa_column=Column(_ID, ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    )
    line_external_id: str = Field(primary_key=True, max_length=128)
    sku_key: str | None = Field(default=None, sa_type=Text)
    method: str = Field(max_length=16)
    mapping_id: int | None = Field(default=None, sa_type=BigInteger)
    scope: str | None = Field(default=None, max_length=100)
    matched: str | None = Field(default=None, sa_type=Text)
    resolved_at: datetime = Field(sa_type=UTCDateTime)


class LineComponent(SQLModel, table=True):
    """A catalog SKU an order line stands for, with the total quantity (line quantity x
    component quantity); ``via`` names the bundles it came through."""

    __tablename__ = "line_components"

    order_id: int = Field(
        sa_column=Column(_ID, ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    )
    line_external_id: str = Field(primary_key=True, max_length=128)
    position: int = Field(primary_key=True)
    catalog_sku: str = Field(max_length=128)
    quantity: int
    via: str | None = Field(default=None, sa_type=Text)


class MatchingRevision(SQLModel, table=True):
    """One row whose ``token`` changes with every catalog or mapping change, so a worker's
    in-memory matching index knows when to reload (a random token, not a counter: a rolled
    back change must never be mistaken for a later committed one)."""

    __tablename__ = "matching_revision"

    id: int = Field(primary_key=True)
    token: str = Field(max_length=32)
    changed_at: datetime = Field(sa_type=UTCDateTime)


# --- Shipments and the tracking outbox ---------------------------------------------------


class Shipment(SQLModel, table=True):
    """A parcel the seller shipped for one order. Lines are referenced by the channel's line
    id (order lines are rewritten whenever the channel changes the order)."""

    __tablename__ = "shipments"
    __table_args__ = (
        Index("uq_shipments_order_tracking", "order_id", "tracking_number", unique=True),
        Index("ix_shipments_account", "account_id", "id"),
    )

    id: int | None = _primary_key()
    order_id: int = Field(sa_column=Column(_ID, ForeignKey("orders.id"), nullable=False))
    account_id: str = Field(max_length=64)
    carrier: str = Field(max_length=32)  # the canonical carrier key
    carrier_name: str | None = Field(default=None, max_length=128)
    tracking_number: str = Field(max_length=64)
    shipped_at: datetime = Field(sa_type=UTCDateTime)
    source: str = Field(max_length=300)  # cli | csv:FILE | inbox:FILE
    created_at: datetime = Field(sa_type=UTCDateTime)


class ShipmentLine(SQLModel, table=True):
    __tablename__ = "shipment_lines"
    __table_args__ = (Index("ix_shipment_lines_shipment", "shipment_id"),)

    id: int | None = _primary_key()
    shipment_id: int = Field(
        sa_column=Column(_ID, ForeignKey("shipments.id", ondelete="CASCADE"), nullable=False)
    )
    line_external_id: str = Field(max_length=128)
    quantity: int


class Push(SQLModel, table=True):
    """The outbox: one tracking push per shipment, drained by the account's push job.

    ``status``: pending, sent (claimed; ``lease_until`` says until when), confirmed,
    already_applied, retrying (``next_attempt_at``), failed, conflict, skipped."""

    __tablename__ = "pushes"
    __table_args__ = (
        Index("uq_pushes_shipment", "shipment_id", unique=True),
        Index("ix_pushes_due", "account_id", "status", "next_attempt_at"),
        # Failed, conflicting or unverified pushes across all accounts (`pushes list
        # --failed`, status, the console).
        Index("ix_pushes_status", "status", "id"),
    )

    id: int | None = _primary_key()
    shipment_id: int = Field(
        sa_column=Column(_ID, ForeignKey("shipments.id", ondelete="CASCADE"), nullable=False)
    )
    order_id: int = Field(sa_column=Column(_ID, ForeignKey("orders.id"), nullable=False))
    account_id: str = Field(max_length=64)
    channel: str = Field(max_length=32)
    status: str = Field(max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=128)
    last_error: str | None = Field(default=None, sa_type=Text)
    last_error_kind: str | None = Field(default=None, max_length=32)
    fix: str | None = Field(default=None, sa_type=Text)
    channel_reference: str | None = Field(default=None, max_length=128)
    completes_order: bool | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    not_reflected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- Operability: worker heartbeats and alerts -------------------------------------------


class WorkerHeartbeat(SQLModel, table=True):
    """One row per running worker process, refreshed every few seconds and removed on a
    clean stop, so ``orderhub health`` answers for this store and no other."""

    __tablename__ = "worker_heartbeats"

    instance_id: str = Field(primary_key=True, max_length=64)
    host: str = Field(max_length=255)
    pid: int
    started_at: datetime = Field(sa_type=UTCDateTime)
    last_beat: datetime = Field(sa_type=UTCDateTime)
    version: str = Field(max_length=32)
    accounts: list[str] | None = Field(default=None, sa_type=JSON)


class AccountLease(SQLModel, table=True):
    """Which worker process pulls an account, until when (replicas on one PostgreSQL).

    The holder renews its leases well before ``expires_at``; a lease past it is free, so
    the accounts of a replica that died are taken over by the others (``store/leases.py``).
    """

    __tablename__ = "account_leases"

    account_id: str = Field(primary_key=True, max_length=128)
    holder: str | None = Field(default=None, max_length=64, index=True)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    acquired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Alert(SQLModel, table=True):
    """One problem of one account that people were (or are being) told about.

    ``open_key`` is ``account:code`` while the alert is open and NULL once resolved: its
    unique index keeps one open alert per problem even with several workers (NULLs never
    collide on either database)."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("uq_alerts_open_key", "open_key", unique=True),
        Index("ix_alerts_account_code", "account_id", "code"),
    )

    id: int | None = _primary_key()
    open_key: str | None = Field(default=None, max_length=128)
    account_id: str = Field(max_length=64)
    channel: str = Field(max_length=32)
    code: str = Field(max_length=32)
    severity: str = Field(max_length=16)
    stage: str = Field(default="", max_length=16)
    summary: str = Field(sa_type=Text)
    fix: str = Field(sa_type=Text)
    details: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    last_notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    notifications: int = 0
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AlertDelivery(SQLModel, table=True):
    """One message of an alert to one destination (the alerts' outbox): ``kind`` is
    ``opened``, ``reminder``, ``escalated`` or ``resolved``; ``status`` pending, sent or
    given_up; a failing destination is retried with backoff (``next_attempt_at``)."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        Index("ix_alert_deliveries_due", "status", "next_attempt_at"),
        Index("ix_alert_deliveries_alert", "alert_id"),
    )

    id: int | None = _primary_key()
    alert_id: int = Field(
        sa_column=Column(_ID, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False)
    )
    destination: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    status: str = Field(max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
