"""Account leases: replicas on one PostgreSQL share the accounts out.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orderhub.store.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_leases",
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("acquired_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_leases")),
    )
    op.create_index("ix_account_leases_holder", "account_leases", ["holder"])


def downgrade() -> None:
    op.drop_index("ix_account_leases_holder", table_name="account_leases")
    op.drop_table("account_leases")
