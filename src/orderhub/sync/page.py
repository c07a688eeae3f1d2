"""One page of a pull, written: its orders, quarantined records and cursor
(:func:`orderhub.store.ingest.ingest_page`) and the SKU matching of what it wrote, in the
caller's transaction.

Matching is in the page's transaction, so an order is never stored without its lines
resolved (or flagged as awaiting a mapping). The page's matching index is read once: new
orders are inserted with their ``awaiting_mapping`` flag already worked out from their
drafts (:func:`~orderhub.matching.awaiting_flags`), then the written orders are resolved
from the drafts the page writer holds (:func:`~orderhub.matching.resolve_written`), which
writes a flag only where it turns out different. Unchanged orders keep their resolution:
mapping and catalog changes re-resolve on their own.

After the index is read, the write and the matching go as one batch of statements
(:func:`orderhub.store.statements.batch`): on PostgreSQL the server writes the page's
lines and events while matching works out the resolutions, and only the reads whose
answers are needed (what the store holds of the page, the new orders' ids) wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from orderhub.matching import (
    MatchingConfig,
    ResolveCounts,
    awaiting_flags,
    page_index,
    resolve_written,
)
from orderhub.store import statements
from orderhub.store.ingest import (
    CursorMove,
    IncomingOrder,
    IncomingQuarantine,
    IngestCounts,
    ingest_page,
)


def write_page(
    connection: Connection,
    *,
    account_id: str,
    channel: str,
    orders: Sequence[IncomingOrder],
    quarantined: Sequence[IncomingQuarantine] = (),
    now: datetime,
    run_id: int | None = None,
    cursor: CursorMove | None = None,
    config: MatchingConfig | None = None,
) -> tuple[IngestCounts, ResolveCounts]:
    """Write one page and resolve the orders it created or changed; returns what the
    write did and what matching did."""
    index = page_index(connection, config) if orders else None
    with statements.batch(connection) as batch:
        counts = ingest_page(
            connection,
            account_id=account_id,
            channel=channel,
            orders=orders,
            quarantined=quarantined,
            now=now,
            run_id=run_id,
            cursor=cursor,
            awaiting=(
                awaiting_flags(index, account_id, channel, orders) if index is not None else None
            ),
            batch=batch,
        )
        resolved = ResolveCounts()
        if counts.stored and index is not None:
            resolved = resolve_written(
                connection,
                account_id=account_id,
                channel=channel,
                orders=counts.stored,
                now=now,
                config=config,
                index=index,
                batch=batch,
            )
    return counts, resolved
