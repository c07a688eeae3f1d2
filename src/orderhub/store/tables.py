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

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, MetaData, Text
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


class OrderLine(SQLModel, table=True):
    """One ordered line; ``identifiers`` holds channel ids used for SKU matching."""

    __tablename__ = "order_lines"
    __table_args__ = (
        Index("uq_order_lines_order_external", "order_id", "external_id", unique=True),
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
    __table_args__ = (Index("ix_sync_runs_account_started", "account_id", "started_at"),)

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


class AccountState(SQLModel, table=True):
    """Per-account health that must survive restarts (e.g. credentials need renewing)."""

    __tablename__ = "account_state"

    account_id: str = Field(primary_key=True, max_length=64)
    needs_attention: bool = False
    reason: str | None = Field(default=None, sa_type=Text)
    fix: str | None = Field(default=None, sa_type=Text)
    since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
