"""Closing a quarantined record by hand: a person looked at it and nothing more is to be
done (the order was corrected elsewhere, or the payload will never be readable). The record
and its raw payload are kept; it no longer counts as an open problem."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from orderhub.store.ingest import QUARANTINE


class QuarantineActionError(ValueError):
    """The record cannot be closed: ``message`` says why, ``fix`` what to do."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


def mark_dealt_with(connection: Connection, record_id: int, *, actor: str, now: datetime) -> bool:
    """Mark record ``record_id`` dealt with by ``actor``. Returns False when it already was
    (or had read cleanly since); raises :class:`QuarantineActionError` for an unknown id."""
    row = connection.execute(
        select(QUARANTINE.c.id, QUARANTINE.c.resolved_at, QUARANTINE.c.dealt_with_at).where(
            QUARANTINE.c.id == record_id
        )
    ).one_or_none()
    if row is None:
        raise QuarantineActionError(
            f"no quarantined record {record_id}.", "List them with `orderhub failures`."
        )
    if row.resolved_at is not None or row.dealt_with_at is not None:
        return False
    connection.execute(
        update(QUARANTINE)
        .where(QUARANTINE.c.id == record_id)
        .values(dealt_with_at=now, dealt_with_by=actor[:300])
    )
    return True
