"""The web console: quarantined records a person dealt with, and the indexes its order
list and search page by.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orderhub.store.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ORDER_INDEXES = {
    "ix_orders_updated_id": ["channel_updated_at", "id"],
    "ix_orders_account_updated_id": ["account_id", "channel_updated_at", "id"],
    "ix_orders_external_id": ["external_id"],
    "ix_orders_display_id": ["display_id"],
    "ix_orders_placed_at": ["placed_at"],
}


def upgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.add_column(sa.Column("dealt_with_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("dealt_with_by", sa.String(length=300), nullable=True))
    for name, columns in _ORDER_INDEXES.items():
        op.create_index(name, "orders", columns, unique=False)
    op.create_index("ix_order_lines_sku", "order_lines", ["sku"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_order_lines_sku", table_name="order_lines")
    for name in reversed(_ORDER_INDEXES):
        op.drop_index(name, table_name="orders")
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_column("dealt_with_by")
        batch.drop_column("dealt_with_at")
