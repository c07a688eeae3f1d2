"""Indexes that keep the worker's repeated queries flat as history grows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_sync_runs_account_outcome", "sync_runs", ["account_id", "outcome", "started_at"]
    )
    op.create_index("ix_pushes_status", "pushes", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_pushes_status", table_name="pushes")
    op.drop_index("ix_sync_runs_account_outcome", table_name="sync_runs")
