"""Account leases: several worker replicas on one PostgreSQL share the accounts out.

Each account has one row in ``account_leases``. A replica holds an account while its lease
is unexpired; it renews its leases every third of the TTL, takes free or expired ones up
to its share, and gives back what it holds beyond it. A replica killed without a word
stops renewing: its leases expire after one TTL and the others take them over at their
next renewal. Everything goes through PostgreSQL: a conditional ``UPDATE`` renews only the
caller's own rows, and free rows are claimed with ``FOR UPDATE SKIP LOCKED`` so two
replicas claiming at once split the free accounts instead of waiting on each other.

The share is ``ceil(accounts / live replicas) + slack``, where a live replica is a worker
heartbeat row refreshed within one TTL (the lease job refreshes it); a replica that
starts takes what is free, and the others give back their surplus at their next renewal.
SQLite stores are single-process: the worker does not use leases there.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Table, and_, func, or_, select, update

from orderhub.store.heartbeats import HEARTBEATS
from orderhub.store.ingest import dialect_insert
from orderhub.store.tables import AccountLease, metadata

LEASES: Table = metadata.tables[AccountLease.__tablename__]
#: Accounts a replica may hold beyond its even share, so a share that does not divide
#: evenly (or a replica a moment late to count) never leaves an account without a holder.
SLACK = 2


@dataclass(frozen=True)
class Claim:
    """What one renewal did: the accounts held after it, and what changed."""

    held: frozenset[str]
    gained: frozenset[str]
    lost: frozenset[str]
    share: int
    replicas: int


def ensure_rows(connection: Connection, accounts: Collection[str], *, now: datetime) -> None:
    """A lease row (free) for every account that has none yet."""
    if not accounts:
        return
    stmt = dialect_insert(connection, LEASES).values(
        [{"account_id": a, "holder": None, "expires_at": now} for a in sorted(accounts)]
    )
    connection.execute(stmt.on_conflict_do_nothing(index_elements=[LEASES.c.account_id]))


def live_replicas(connection: Connection, now: datetime, *, ttl: timedelta) -> int:
    """Worker processes whose heartbeat is younger than one lease TTL."""
    return int(
        connection.execute(
            select(func.count()).where(HEARTBEATS.c.last_beat >= now - ttl)
        ).scalar_one()
    )


def share_of(accounts: int, replicas: int, slack: int = SLACK) -> int:
    """The most accounts one replica holds: an even share plus ``slack``."""
    return math.ceil(accounts / max(1, replicas)) + slack


def renew(
    connection: Connection,
    holder: str,
    accounts: Collection[str],
    *,
    now: datetime,
    ttl: timedelta,
    held: Collection[str] = (),
) -> Claim:
    """Renew ``holder``'s leases, take free ones up to its share, give back the surplus.

    ``accounts`` are the accounts this replica can serve (its enabled accounts); ``held``
    what it believed it held, to tell what was gained and lost."""
    expires = now + ttl
    wanted = sorted(accounts)
    replicas = live_replicas(connection, now, ttl=ttl)
    share = share_of(len(wanted), replicas)
    mine = set(
        connection.execute(
            update(LEASES)
            .where(LEASES.c.holder == holder, LEASES.c.account_id.in_(wanted))
            .values(expires_at=expires)
            .returning(LEASES.c.account_id)
        ).scalars()
    )
    if len(mine) > share:
        surplus = sorted(mine)[share:]
        connection.execute(
            update(LEASES)
            .where(LEASES.c.holder == holder, LEASES.c.account_id.in_(surplus))
            .values(holder=None, expires_at=now)
        )
        mine.difference_update(surplus)
    elif len(mine) < share:
        free = (
            select(LEASES.c.account_id)
            .where(
                LEASES.c.account_id.in_(wanted),
                or_(LEASES.c.holder.is_(None), LEASES.c.expires_at < now),
            )
            # Random, so replicas claiming at once rarely want the same rows first.
            .order_by(func.random())
            .limit(share - len(mine))
            .with_for_update(skip_locked=True)
        )
        taken = connection.execute(
            update(LEASES)
            .where(
                LEASES.c.account_id.in_(free.scalar_subquery()),
                # Checked again under the row lock: free or expired still.
                or_(LEASES.c.holder.is_(None), LEASES.c.expires_at < now),
            )
            .values(holder=holder, expires_at=expires, acquired_at=now)
            .returning(LEASES.c.account_id)
        ).scalars()
        mine.update(taken)
    before = set(held)
    return Claim(
        held=frozenset(mine),
        gained=frozenset(mine - before),
        lost=frozenset(before - mine),
        share=share,
        replicas=replicas,
    )


def release(connection: Connection, holder: str, *, now: datetime) -> int:
    """Give back every lease of ``holder`` (a clean stop: the others take over at once)."""
    result = connection.execute(
        update(LEASES).where(LEASES.c.holder == holder).values(holder=None, expires_at=now)
    )
    return int(result.rowcount or 0)


def holders(connection: Connection, now: datetime) -> dict[str, str]:
    """Account -> holder of every unexpired lease (for status and the tests)."""
    rows = connection.execute(
        select(LEASES.c.account_id, LEASES.c.holder).where(
            and_(LEASES.c.holder.isnot(None), LEASES.c.expires_at >= now)
        )
    )
    return {str(a): str(h) for a, h in rows}
