"""Sync-run bookkeeping and per-account health, written by the runners for ops to read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, func, insert, update

from orderhub.store.ingest import dialect_insert
from orderhub.store.tables import AccountState, SyncRun, metadata

RUNS: Table = metadata.tables[SyncRun.__tablename__]
ACCOUNT_STATE: Table = metadata.tables[AccountState.__tablename__]


def start_run(
    connection: Connection,
    *,
    account_id: str,
    channel: str,
    stream: str,
    trigger: str,
    now: datetime,
    window_start: datetime | None,
    window_end: datetime | None,
) -> int:
    """Insert a ``running`` sync_run row and return its id."""
    result = connection.execute(
        insert(RUNS)
        .values(
            account_id=account_id,
            channel=channel,
            stream=stream,
            trigger=trigger,
            started_at=now,
            window_start=window_start,
            window_end=window_end,
            outcome="running",
        )
        .returning(RUNS.c.id)
    )
    return int(result.scalar_one())


def close_abandoned_runs(connection: Connection, account_id: str, *, now: datetime) -> int:
    """Mark the account's runs left ``running`` by a process that died as ``abandoned``."""
    result = connection.execute(
        update(RUNS)
        .where(RUNS.c.account_id == account_id, RUNS.c.outcome == "running")
        .values(
            outcome="abandoned",
            finished_at=now,
            error="the process stopped during this run (killed or crashed)",
            fix="Nothing to do: the next run re-read everything after the cursor.",
        )
    )
    return int(result.rowcount or 0)


def update_run(connection: Connection, run_id: int, values: Mapping[str, Any]) -> None:
    connection.execute(update(RUNS).where(RUNS.c.id == run_id).values(**values))


def set_attention(
    connection: Connection, account_id: str, *, reason: str, fix: str, now: datetime
) -> None:
    """Flag an account as needing a person (e.g. expired credentials)."""
    stmt = dialect_insert(connection, ACCOUNT_STATE).values(
        account_id=account_id,
        needs_attention=True,
        reason=reason,
        fix=fix,
        since=now,
        updated_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[ACCOUNT_STATE.c.account_id],
        set_={
            "needs_attention": True,
            "reason": stmt.excluded.reason,
            "fix": stmt.excluded.fix,
            "updated_at": stmt.excluded.updated_at,
            # Keep the time the problem started, not the time it was last seen.
            "since": func.coalesce(ACCOUNT_STATE.c.since, stmt.excluded.since),
        },
    )
    connection.execute(stmt)


def clear_attention(connection: Connection, account_id: str, *, now: datetime) -> None:
    connection.execute(
        update(ACCOUNT_STATE)
        .where(ACCOUNT_STATE.c.account_id == account_id, ACCOUNT_STATE.c.needs_attention)
        .values(needs_attention=False, reason=None, fix=None, since=None, updated_at=now)
    )
