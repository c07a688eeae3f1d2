"""Mapping one channel SKU and saying which orders that releases: the one path behind
``orderhub skus map`` and the console's mapping form.

``dry_run`` applies the mapping inside a savepoint, reads what it did and rolls it back, so
the preview a person confirms is computed by exactly the code that will run, not by a
second guess at the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select

from orderhub.matching.mappings import MappingRequest, MappingResult, set_mappings
from orderhub.matching.settings import MatchingConfig
from orderhub.store.ingest import ORDERS


@dataclass(frozen=True)
class ReleasedOrder:
    """An order that waited for a mapping and no longer does."""

    order_id: int
    account_id: str
    reference: str
    status: str


@dataclass
class MapOutcome:
    result: MappingResult
    released: list[ReleasedOrder] = field(default_factory=list)
    dry_run: bool = False


def _waiting(connection: Connection) -> set[int]:
    return set(connection.execute(select(ORDERS.c.id).where(ORDERS.c.awaiting_mapping)).scalars())


def map_sku(
    connection: Connection,
    request: MappingRequest,
    *,
    actor: str,
    now: datetime,
    config: MatchingConfig | None = None,
    dry_run: bool = False,
) -> MapOutcome:
    """Create or replace the mapping of ``request`` (see :func:`set_mappings`, whose
    refusals it raises) in the caller's transaction and list the orders it releases.
    With ``dry_run`` nothing stays written."""
    before = _waiting(connection)
    savepoint = connection.begin_nested() if dry_run else None
    try:
        result = set_mappings(connection, [request], actor=actor, now=now, config=config)
        released_ids = sorted(before - _waiting(connection))
        rows = (
            connection.execute(
                select(
                    ORDERS.c.id,
                    ORDERS.c.account_id,
                    ORDERS.c.external_id,
                    ORDERS.c.display_id,
                    ORDERS.c.status,
                )
                .where(ORDERS.c.id.in_(released_ids))
                .order_by(ORDERS.c.id)
            ).all()
            if released_ids
            else []
        )
    finally:
        if savepoint is not None:
            savepoint.rollback()
    released = [
        ReleasedOrder(row.id, row.account_id, row.display_id or row.external_id, row.status)
        for row in rows
    ]
    return MapOutcome(result=result, released=released, dry_run=dry_run)
