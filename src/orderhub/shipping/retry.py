"""Queueing failed tracking pushes again, after a person fixed what made them fail: the one
path behind ``orderhub pushes retry`` and the console's retry button."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, select, update

from orderhub.shipping.record import PUSHES

RETRYABLE = ("failed", "conflict", "retrying")


class RetryRefused(ValueError):
    """Nothing was queued: ``message`` says why, ``fix`` what to do."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


def retry_pushes(connection: Connection, ids: Sequence[int] | None, *, now: datetime) -> int:
    """Queue the pushes ``ids`` (None: every failed or conflicting one) to be sent next.
    Raises :class:`RetryRefused`, queueing none, if an id is unknown or its push is not
    failed. Returns how many were queued."""
    condition: ColumnElement[bool] = PUSHES.c.status.in_(RETRYABLE)
    if ids is not None:
        if not ids:
            raise RetryRefused("nothing to retry.", "Give push ids, or --all-failed.")
        known = set(
            connection.execute(select(PUSHES.c.id, PUSHES.c.status).where(PUSHES.c.id.in_(ids)))
        )
        found = {push_id for push_id, _ in known}
        missing = sorted(set(ids) - found)
        if missing:
            raise RetryRefused(
                f"no push {', '.join(map(str, missing))}.", "See `orderhub pushes list`."
            )
        done = sorted(push_id for push_id, status in known if status not in RETRYABLE)
        if done:
            raise RetryRefused(
                f"push {', '.join(map(str, done))} is not failed (see its status).",
                "Only failed, conflicting or retrying pushes can be retried.",
            )
        condition = condition & PUSHES.c.id.in_(ids)
    result = connection.execute(
        update(PUSHES)
        .where(condition)
        .values(
            status="pending",
            next_attempt_at=now,
            updated_at=now,
            last_error=None,
            last_error_kind=None,
            fix=None,
        )
    )
    return int(result.rowcount or 0)
