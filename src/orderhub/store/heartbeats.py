"""Worker heartbeats in the store: one row per running worker process.

A heartbeat lives where the data lives, so ``orderhub health`` pointed at a store says
whether a worker serves *that* store, never whether some other process on the machine is
alive. A clean stop deletes the row; a killed process leaves a row that simply stops
beating (it shows as stale, and is pruned after a day).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Table, delete, insert, select, update

from orderhub import __version__
from orderhub.store.tables import WorkerHeartbeat, metadata

HEARTBEATS: Table = metadata.tables[WorkerHeartbeat.__tablename__]
PRUNE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Instance:
    """One worker process as its heartbeat row describes it."""

    instance_id: str
    host: str
    pid: int
    started_at: datetime
    last_beat: datetime
    version: str
    accounts: tuple[str, ...]
    #: seconds since the last beat, when read
    age: float


def new_instance_id() -> str:
    """Host, pid and a random part: unique even when containers reuse pid 1."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def register(
    connection: Connection, instance_id: str, *, accounts: list[str], now: datetime
) -> None:
    connection.execute(
        insert(HEARTBEATS).values(
            instance_id=instance_id,
            host=socket.gethostname()[:255],
            pid=os.getpid(),
            started_at=now,
            last_beat=now,
            version=__version__,
            accounts=sorted(accounts),
        )
    )
    # Rows of processes that died long ago say nothing any more.
    connection.execute(delete(HEARTBEATS).where(HEARTBEATS.c.last_beat < now - PRUNE_AFTER))


def beat(connection: Connection, instance_id: str, *, now: datetime) -> bool:
    """Refresh the row; False when it was gone (pruned, or the store was replaced), in
    which case the caller registers again."""
    result = connection.execute(
        update(HEARTBEATS).where(HEARTBEATS.c.instance_id == instance_id).values(last_beat=now)
    )
    return bool(result.rowcount)


def unregister(connection: Connection, instance_id: str) -> None:
    connection.execute(delete(HEARTBEATS).where(HEARTBEATS.c.instance_id == instance_id))


def all_instances(connection: Connection, now: datetime) -> list[Instance]:
    """Every heartbeat row, oldest start first, whatever its age."""
    rows = connection.execute(select(HEARTBEATS).order_by(HEARTBEATS.c.started_at))
    return [
        Instance(
            instance_id=row.instance_id,
            host=row.host,
            pid=int(row.pid),
            started_at=row.started_at,
            last_beat=row.last_beat,
            version=row.version,
            accounts=tuple(row.accounts or ()),
            age=max(0.0, (now - row.last_beat).total_seconds()),
        )
        for row in rows
    ]


def live_instances(connection: Connection, now: datetime, *, max_age: timedelta) -> list[Instance]:
    """The instances that beat within ``max_age``."""
    return [i for i in all_instances(connection, now) if i.age <= max_age.total_seconds()]
