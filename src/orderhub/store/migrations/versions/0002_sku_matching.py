"""SKU matching: catalog, identifiers, mappings with components and history, line
resolutions and components, the matching revision, and ``orders.awaiting_mapping``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orderhub.store.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Existing orders get "not awaiting": `orderhub skus resolve --all` resolves them.
    op.add_column(
        "orders",
        sa.Column("awaiting_mapping", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_index("ix_orders_awaiting_mapping", "orders", ["awaiting_mapping"], unique=False)

    op.create_table(
        "catalog_items",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_items")),
    )
    op.create_index("uq_catalog_items_sku", "catalog_items", ["sku"], unique=True)

    op.create_table(
        "catalog_identifiers",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=64), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["catalog_items.id"],
            name=op.f("fk_catalog_identifiers_item_id_catalog_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_identifiers")),
    )
    op.create_index("ix_catalog_identifiers_item", "catalog_identifiers", ["item_id"], unique=False)
    op.create_index(
        "uq_catalog_identifiers_kind_value_account",
        "catalog_identifiers",
        ["kind", "value", "account_id"],
        unique=True,
    )

    op.create_table(
        "sku_mappings",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("external_sku", sa.String(length=128), nullable=False),
        sa.Column("external_key", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=300), nullable=False),
        sa.Column("updated_by", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sku_mappings")),
    )
    op.create_index("ix_sku_mappings_external_key", "sku_mappings", ["external_key"], unique=False)
    op.create_index(
        "uq_sku_mappings_scope_key", "sku_mappings", ["scope", "external_key"], unique=True
    )

    op.create_table(
        "sku_mapping_components",
        sa.Column("mapping_id", _ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("component_sku", sa.String(length=128), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "quantity >= 1", name=op.f("ck_sku_mapping_components_quantity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["mapping_id"],
            ["sku_mappings.id"],
            name=op.f("fk_sku_mapping_components_mapping_id_sku_mappings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("mapping_id", "position", name=op.f("pk_sku_mapping_components")),
    )

    op.create_table(
        "mapping_history",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("mapping_id", sa.BigInteger(), nullable=True),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("external_sku", sa.String(length=128), nullable=False),
        sa.Column("external_key", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("old_components", sa.JSON(), nullable=True),
        sa.Column("new_components", sa.JSON(), nullable=True),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mapping_history")),
    )
    op.create_index(
        "ix_mapping_history_scope_key",
        "mapping_history",
        ["scope", "external_key"],
        unique=False,
    )

    op.create_table(
        "line_resolutions",
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("line_external_id", sa.String(length=128), nullable=False),
        sa.Column("sku_key", sa.Text(), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("mapping_id", sa.BigInteger(), nullable=True),
        sa.Column("scope", sa.String(length=100), nullable=True),
        sa.Column("matched", sa.Text(), nullable=True),
        sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_line_resolutions_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "line_external_id", name=op.f("pk_line_resolutions")),
    )
    op.create_index("ix_line_resolutions_method", "line_resolutions", ["method"], unique=False)
    op.create_index("ix_line_resolutions_sku_key", "line_resolutions", ["sku_key"], unique=False)

    op.create_table(
        "line_components",
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("line_external_id", sa.String(length=128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("catalog_sku", sa.String(length=128), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("via", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_line_components_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "order_id", "line_external_id", "position", name=op.f("pk_line_components")
        ),
    )

    op.create_table(
        "matching_revision",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matching_revision")),
    )


def downgrade() -> None:
    op.drop_table("matching_revision")
    op.drop_table("line_components")
    op.drop_index("ix_line_resolutions_sku_key", table_name="line_resolutions")
    op.drop_index("ix_line_resolutions_method", table_name="line_resolutions")
    op.drop_table("line_resolutions")
    op.drop_index("ix_mapping_history_scope_key", table_name="mapping_history")
    op.drop_table("mapping_history")
    op.drop_table("sku_mapping_components")
    op.drop_index("uq_sku_mappings_scope_key", table_name="sku_mappings")
    op.drop_index("ix_sku_mappings_external_key", table_name="sku_mappings")
    op.drop_table("sku_mappings")
    op.drop_index("uq_catalog_identifiers_kind_value_account", table_name="catalog_identifiers")
    op.drop_index("ix_catalog_identifiers_item", table_name="catalog_identifiers")
    op.drop_table("catalog_identifiers")
    op.drop_index("uq_catalog_items_sku", table_name="catalog_items")
    op.drop_table("catalog_items")
    op.drop_index("ix_orders_awaiting_mapping", table_name="orders")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("awaiting_mapping")
