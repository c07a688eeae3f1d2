"""The store's column types: what they write on SQLite is SQLAlchemy's own text, so rows
written by any orderhub version compare and sort together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime, Engine, text
from sqlalchemy.dialects import sqlite

from orderhub.store.ingest import CURSORS
from orderhub.store.types import UTCDateTime

TIMES = [
    datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    datetime(2026, 3, 1, 9, 30, 0, 5, tzinfo=UTC),
    datetime(2026, 3, 1, 4, 30, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


@pytest.mark.parametrize("value", TIMES, ids=str)
def test_sqlite_text_is_the_datetime_types_text_in_utc(value: datetime) -> None:
    dialect = sqlite.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    theirs = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert ours is not None and theirs is not None

    assert ours(value) == theirs(value.astimezone(UTC).replace(tzinfo=None))
    assert ours(None) is None


def test_sqlite_refuses_naive_times() -> None:
    dialect = sqlite.dialect()
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    with pytest.raises(ValueError, match="naive"):
        process(datetime(2026, 3, 1, 9, 30))


def test_stored_sqlite_text_and_round_trip(sqlite_engine: Engine) -> None:
    moment = datetime(2026, 3, 1, 10, 30, 0, 250, tzinfo=timezone(timedelta(hours=1)))
    with sqlite_engine.begin() as connection:
        connection.execute(
            CURSORS.insert(),
            {"account_id": "shop", "stream": "orders", "position": moment, "updated_at": moment},
        )
        stored = connection.execute(text("SELECT position FROM sync_cursors")).scalar_one()
        read = connection.execute(CURSORS.select()).one()
    assert stored == "2026-03-01 09:30:00.000250"
    assert read.position == moment
    assert read.position.tzinfo is UTC
