"""The health model against a real store filled by real pulls of a simulated shop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from orderhub.cli import app
from orderhub.health import STATES, HealthRules, account_health, acknowledge_quarantine
from orderhub.shipping.push import PushRunner
from orderhub.shipping.record import record_shipments
from orderhub.shipping.requests import ShipmentRequest
from orderhub.store.heartbeats import register
from orderhub.store.ingest import ORDERS
from orderhub.testing.sim import Fault

from .conftest import ACCOUNT, Setup, ebay_toml, woo_toml, write_config


def codes(setup: Setup, account: str = ACCOUNT) -> list[str]:
    return [p.code for p in setup.one(account).problems]


def test_a_healthy_account_is_ok_with_its_facts(setup: Setup) -> None:
    assert setup.one().state == "pending"
    assert setup.pull().outcome == "succeeded"
    item = setup.one()
    assert (item.state, item.severity, item.problems, item.failure_streak) == ("ok", "ok", [], 0)
    assert item.last_run is not None and item.last_run.outcome == "succeeded"
    assert item.last_success is not None and item.cursor_lag is not None
    assert item.orders == 12 and item.channel == "woocommerce"


def test_an_account_that_never_succeeded_is_critical_from_its_first_failure(
    setup: Setup,
) -> None:
    setup.shop.faults.add(Fault.status(404), path="/orders")
    result = setup.pull()
    assert result.outcome == "failed"
    item = setup.one()
    assert item.state == "never_succeeded" and item.severity == "critical"
    (problem,) = item.problems
    assert problem.details["streak"] == 1 and problem.details["run_id"] == result.run_id
    assert problem.fix == result.fix and problem.since is not None
    assert "no run has ever succeeded (1 failed)" in problem.summary


def test_failing_three_times_is_a_problem_and_recovery_clears_it(setup: Setup) -> None:
    assert setup.pull().outcome == "succeeded"
    setup.shop.faults.add(Fault.status(400), path="/orders", times=3)
    for expected in (1, 2):
        setup.clock.advance(60)
        assert setup.pull().outcome == "failed"
        item = setup.one()
        assert item.state == "ok" and item.failure_streak == expected
        assert item.notes and f"last {expected} run" in item.notes[0]
    setup.clock.advance(60)
    assert setup.pull().outcome == "failed"
    item = setup.one()
    assert item.state == "failing" and item.failure_streak == 3
    assert item.problems[0].summary.startswith("3 runs failed in a row since")
    setup.clock.advance(60)
    assert setup.pull().outcome == "succeeded"
    assert setup.one().state == "ok"


def test_refused_credentials_say_re_authorise_and_nothing_else(setup: Setup) -> None:
    assert setup.pull().outcome == "succeeded"
    setup.shop.consumer_secret = "cs_rotated_by_someone"
    for _ in range(3):
        setup.clock.advance(60)
        assert setup.pull().error_kind == "auth"
    item = setup.one()
    assert codes(setup) == ["credentials_refused"]
    assert "401" in item.problems[0].summary
    assert "credentials" in item.problems[0].fix


def test_an_ebay_token_expiring_in_5_days_is_critical_and_in_20_days_a_warning(
    setup: Setup, tmp_path: Path
) -> None:
    today = setup.clock.now().date()
    text = (
        woo_toml()
        + ebay_toml("soon", (today + timedelta(days=5)).isoformat())
        + ebay_toml("later", (today + timedelta(days=20)).isoformat())
        + ebay_toml("far", (today + timedelta(days=90)).isoformat())
    )
    config = write_config(tmp_path / "orderhub.toml", text)
    by_id = {h.account: h for h in setup.health(config)}
    (soon,) = by_id["soon"].problems
    assert (soon.code, soon.severity, soon.stage) == ("credentials_expiring", "critical", "7d")
    assert soon.details["days_left"] == 5
    assert "the eBay refresh token expires on" in soon.summary and "(in 5 days)" in soon.summary
    (later,) = by_id["later"].problems
    assert (later.severity, later.stage) == ("warning", "30d")
    assert by_id["far"].problems == []
    # Worst first: the critical one leads; the expiry rule can be switched off.
    assert next(h.account for h in setup.health(config)) == "soon"
    with setup.engine.connect() as connection:
        quiet = account_health(
            connection, config, setup.clock.now(), rules=HealthRules(credentials_expiring_days=())
        )
    assert all(not h.problems for h in quiet if h.account in ("soon", "later"))


def test_stale_counts_interrupted_runs_and_a_worker_that_never_ran_the_account(
    setup: Setup,
) -> None:
    assert setup.pull().outcome == "succeeded"
    setup.clock.advance(3 * 60 - 1)
    assert setup.one().state == "ok"
    setup.clock.advance(2)
    item = setup.one()
    assert item.state == "stale"
    assert item.problems[0].details["seconds_without_success"] == 181
    # An account with no run at all goes stale once a worker has served this store long enough.
    with setup.engine.begin() as connection:
        register(connection, "w1", accounts=["other"], now=setup.clock.now())
    text = woo_toml() + woo_toml("other")
    config = write_config(setup.config.path or Path("x"), text)
    setup.clock.advance(10)
    other = next(h for h in setup.health(config) if h.account == "other")
    assert other.state == "pending"
    setup.clock.advance(3 * 60)
    with setup.engine.begin() as connection:
        from orderhub.store.heartbeats import beat

        assert beat(connection, "w1", now=setup.clock.now())
    other = next(h for h in setup.health(config) if h.account == "other")
    assert other.state == "stale" and "no successful run" in other.problems[0].summary


def test_a_push_in_conflict_is_a_problem(setup: Setup) -> None:
    order = setup.shop.add_order(
        created=setup.clock.now() - timedelta(hours=2), lines=[("MUG-WHITE", 1)]
    )
    setup.clock.advance(130)
    assert setup.pull().outcome == "succeeded"
    with setup.engine.begin() as connection:
        record_shipments(
            connection,
            [ShipmentRequest(order=str(order["id"]), carrier="UPS", tracking="1Z999AA10123456784")],
            source="test",
            now=setup.clock.now(),
        )
    setup.shop.set_status(int(order["id"]), "cancelled")
    setup.clock.advance(130)
    assert setup.pull().outcome == "succeeded"
    assert PushRunner(setup.engine, setup.connector).run().outcomes == {"conflict": 1}
    item = setup.one()
    assert codes(setup) == ["push_conflict"]
    assert item.problems[0].details == {"pushes": 1}


def test_quarantined_since_the_last_look_and_old_orders_awaiting_mapping(setup: Setup) -> None:
    setup.shop.add_malformed_order("bad_quantity", created=setup.clock.now() - timedelta(hours=1))
    assert setup.pull().outcome == "succeeded"
    item = setup.one()
    # No catalog yet: every order awaits a mapping, but not for long enough to matter.
    assert codes(setup) == ["quarantined"]
    assert item.problems[0].details == {"records": 1} and item.severity == "warning"
    with setup.engine.begin() as connection:
        assert acknowledge_quarantine(connection, setup.clock.now()) == 1
    assert setup.one().state == "ok" and setup.one().quarantined_open == 1
    setup.clock.advance(24 * 3600 + 1)
    assert setup.pull().outcome == "succeeded"
    (mapping,) = setup.one().problems
    assert mapping.code == "awaiting_mapping" and mapping.details == {"orders": 12}
    with setup.engine.begin() as connection:
        connection.execute(update(ORDERS).values(awaiting_mapping=False))
    assert setup.one().state == "ok"


def test_every_state_is_documented_with_a_meaning_and_an_action() -> None:
    for code, doc in STATES.items():
        assert doc.meaning and doc.action, code
    ranks = [doc.rank for doc in STATES.values()]
    assert len(set(ranks)) == len(ranks)


# The command is pointed at the SQLite file; the model is tested on both stores.
@pytest.mark.parametrize("store_engine", ["sqlite"], indirect=True)
def test_status_check_rows_and_exit_code_for_a_conflict_and_an_expiring_token(
    setup: Setup, tmp_path: Path
) -> None:
    runner = CliRunner()

    def check(config_text: str) -> tuple[int, str]:
        (tmp_path / "orderhub.toml").write_text(config_text, encoding="utf-8")
        result = runner.invoke(
            app,
            [
                "--config",
                str(tmp_path / "orderhub.toml"),
                "--database-url",
                str(setup.engine.url),
                "status",
                "--check",
            ],
            env={"HEALTH_KEY": "k", "HEALTH_SECRET": "s", "COLUMNS": "250"},
        )
        assert "Traceback" not in result.output
        return result.exit_code, " ".join(result.output.split())

    order = setup.shop.add_order(
        created=setup.clock.now() - timedelta(hours=2), lines=[("MUG-WHITE", 1)]
    )
    setup.clock.advance(130)
    assert setup.pull().outcome == "succeeded"
    with setup.engine.begin() as connection:
        acknowledge_quarantine(connection, setup.clock.now())
    today = datetime.now(UTC).date()
    healthy = woo_toml() + ebay_toml("far", (today + timedelta(days=90)).isoformat())
    code, output = check(healthy)
    assert (code, output) == (0, "All 2 accounts are healthy."), output

    with setup.engine.begin() as connection:
        record_shipments(
            connection,
            [ShipmentRequest(order=str(order["id"]), carrier="UPS", tracking="1Z999AA10123456784")],
            source="test",
            now=setup.clock.now(),
        )
    setup.shop.set_status(int(order["id"]), "cancelled")
    setup.clock.advance(130)
    assert setup.pull().outcome == "succeeded"
    assert PushRunner(setup.engine, setup.connector).run().outcomes == {"conflict": 1}
    soon = woo_toml() + ebay_toml("soon", (today + timedelta(days=5)).isoformat())
    code, output = check(soon)
    assert code == 1
    # Worst first: the token expiring in 5 days (critical, rank 60) after the conflict (55).
    assert output.index("│ soon") < output.index(f"│ {ACCOUNT}")
    # The state is a key column: whole, never wrapped.
    assert "│ credentials expiring │" in output and "│ push conflict │" in output, output
    assert "soon: the eBay refresh token expires on" in output and "(in 5 days)" in output
    assert f"{ACCOUNT}: 1 tracking push in conflict" in output
