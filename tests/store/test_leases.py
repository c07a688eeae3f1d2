"""Account leases on a real PostgreSQL: replicas share the accounts evenly, renew their
own, and take over a dead replica's within one TTL; two Worker instances on one store
schedule disjoint accounts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from orderhub.config import load_config
from orderhub.store import heartbeats, leases
from orderhub.testing import FakeClock
from orderhub.testing.db import POSTGRES_SKIP_REASON, postgres_url, temporary_store
from orderhub.worker.jobs import PULLS
from orderhub.worker.scheduler import Worker

pytestmark = pytest.mark.postgres
TTL = timedelta(seconds=6)
ACCOUNTS = [f"acct-{i:02d}" for i in range(20)]


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Engine]:
    if postgres_url() is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    with temporary_store("postgresql", tmp_path) as engine:
        yield engine


def _beat(engine: Engine, holder: str, now: datetime) -> None:
    with engine.begin() as connection:
        if not heartbeats.beat(connection, holder, now=now):
            heartbeats.register(connection, holder, accounts=[], now=now)


def _renew(engine: Engine, holder: str, now: datetime, held: set[str]) -> leases.Claim:
    _beat(engine, holder, now)
    with engine.begin() as connection:
        return leases.renew(connection, holder, ACCOUNTS, now=now, ttl=TTL, held=held)


def test_replicas_share_evenly_and_take_over_a_dead_one_within_a_ttl(pg: Engine) -> None:
    clock = FakeClock(datetime(2026, 12, 1, 12, tzinfo=UTC))
    with pg.begin() as connection:
        leases.ensure_rows(connection, ACCOUNTS, now=clock.now())
        leases.ensure_rows(connection, ACCOUNTS, now=clock.now())  # idempotent
    replicas = ["r1", "r2", "r3"]
    held: dict[str, set[str]] = {r: set() for r in replicas}
    for r in replicas:
        _beat(pg, r, clock.now())
    # Two rounds: the first claimers give back their surplus once they count everyone.
    for _round in range(3):
        for r in replicas:
            held[r] = set(_renew(pg, r, clock.now(), held[r]).held)
        clock.advance(TTL.total_seconds() / 3)
    assert set().union(*held.values()) == set(ACCOUNTS)
    assert sum(len(h) for h in held.values()) == len(ACCOUNTS)  # disjoint
    assert max(len(h) for h in held.values()) <= leases.share_of(20, 3)  # 7 + slack
    with pg.connect() as connection:
        owners = leases.holders(connection, clock.now())
    assert {a for a, h in owners.items() if h == "r1"} == held["r1"]

    # r3 dies without a word: its leases still stand until they expire.
    dead = held.pop("r3")
    for r in ("r1", "r2"):
        held[r] = set(_renew(pg, r, clock.now(), held[r]).held)
    assert not (held["r1"] | held["r2"]) & dead
    clock.advance(TTL.total_seconds() + 0.1)
    for _round in range(2):
        for r in ("r1", "r2"):
            claim = _renew(pg, r, clock.now(), held[r])
            held[r] = set(claim.held)
        assert claim.replicas == 2
    assert held["r1"] | held["r2"] == set(ACCOUNTS)
    assert not held["r1"] & held["r2"]
    assert max(len(h) for h in held.values()) <= leases.share_of(20, 2)


def test_a_holder_keeps_its_leases_and_a_clean_stop_frees_them(pg: Engine) -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    with pg.begin() as connection:
        leases.ensure_rows(connection, ACCOUNTS, now=now)
    first = _renew(pg, "r1", now, set())
    assert first.held == set(ACCOUNTS) and first.gained == set(ACCOUNTS)
    # Another replica cannot take an unexpired lease, however often it asks.
    assert _renew(pg, "r2", now + timedelta(seconds=1), set()).held == set()
    with pg.begin() as connection:
        assert leases.release(connection, "r1", now=now + timedelta(seconds=2)) == 20
        heartbeats.unregister(connection, "r1")
    taken = _renew(pg, "r2", now + timedelta(seconds=3), set())
    assert taken.held == set(ACCOUNTS)
    lost = _renew(pg, "r1", now + timedelta(seconds=3), set(ACCOUNTS))
    assert lost.lost and not lost.held & taken.held


def _config(tmp_path: Path) -> object:
    body = "".join(
        f'[[accounts]]\nid = "{a}"\nconnector = "woocommerce"\ninterval = "10s"\n'
        '[accounts.settings]\nbase_url = "http://127.0.0.1:9/"\n'
        'consumer_key_env = "K"\nconsumer_secret_env = "S"\n'
        for a in ACCOUNTS[:6]
    )
    path = tmp_path / "orderhub.toml"
    path.write_text(body, encoding="utf-8")
    return load_config(path, env={"K": "ck_lease_test", "S": "cs_lease_test"})


def test_two_workers_on_one_store_schedule_disjoint_accounts(pg: Engine, tmp_path: Path) -> None:
    config = _config(tmp_path)
    one = Worker(config, pg, lease_ttl=timedelta(seconds=30))  # type: ignore[arg-type]
    two = Worker(config, pg, lease_ttl=timedelta(seconds=30))  # type: ignore[arg-type]
    assert one.leasing and two.leasing
    one.start()
    try:
        two.start()
        try:
            one.renew_leases()  # counts two now: gives back its surplus
            two.renew_leases()
            assert one.held | two.held == set(ACCOUNTS[:6]) and not one.held & two.held
            assert max(len(one.held), len(two.held)) <= leases.share_of(6, 2)
            scheduled = {j.id for j in (two._scheduler.get_jobs() if two._scheduler else [])}
            assert {f"pull:{a}" for a in two.held} <= scheduled
            assert not {f"pull:{a}" for a in one.held} & scheduled
        finally:
            two.stop()
        # A clean stop gives its leases back: the other replica takes them at once, into
        # its pulls pool although nobody synced them yet (a takeover does not queue behind
        # this replica's own first syncs in the backfills pool).
        own = set(one.held)
        one.renew_leases()
        assert one.held == set(ACCOUNTS[:6])
        assert one._scheduler is not None
        pools = {a: one._scheduler.get_job(f"pull:{a}").executor for a in one.held - own}
        assert pools == dict.fromkeys(one.held - own, PULLS)
    finally:
        one.stop()
