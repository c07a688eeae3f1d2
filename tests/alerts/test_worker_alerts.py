"""The real worker against simulated shops, with a real webhook receiver and a real SMTP
server: accounts that never succeed, fail three times then recover, or have their
credentials refused get exactly one alert per problem and one "resolved"; `status --check`
shows them; a destination that is down does not slow the pulls."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import Engine
from typer.testing import CliRunner

from orderhub.cli import app
from orderhub.config import AppConfig, load_config
from orderhub.sync.pull import PullResult
from orderhub.testing.sim import Fault
from orderhub.worker.scheduler import Worker

from .conftest import (
    SMTP_PASSWORD,
    Mailbox,
    Shop,
    Webhook,
    account_toml,
    alerts_env,
    alerts_toml,
    free_port,
    make_shop,
    wait_until,
)


class Results:
    def __init__(self) -> None:
        self.items: list[PullResult] = []
        self.lock = threading.Lock()

    def __call__(self, result: PullResult) -> None:
        with self.lock:
            self.items.append(result)

    def accounts(self) -> set[str]:
        with self.lock:
            return {r.account_id for r in self.items}


def configure(
    tmp_path: Path, shops: dict[str, Shop], header: str, env: dict[str, str]
) -> AppConfig:
    text = header + "".join(
        account_toml(name, f"{name.upper()}_KEY", f"{name.upper()}_SECRET") for name in shops
    )
    for name, shop in shops.items():
        env.setdefault(f"{name.upper()}_KEY", shop.key)
        env.setdefault(f"{name.upper()}_SECRET", shop.secret)
    path = tmp_path / "orderhub.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env=env, defer_missing_secrets=True)


@contextmanager
def running(config: AppConfig, engine: Engine, shops: dict[str, Shop]) -> Iterator[Worker]:
    results = Results()
    worker = Worker(
        config,
        engine,
        transports={name: shop.sim.transport() for name, shop in shops.items()},
        on_result=results,
    )
    worker.start()
    try:
        wait_until(lambda: results.accounts() == set(shops), "the first run of every account")
        yield worker
    finally:
        worker.stop()


def problems(hook: Webhook) -> Counter[tuple[str, str, str]]:
    return Counter((m["kind"], m["account"], m["problem"]) for m in hook.received)


def subjects(box: Mailbox) -> Counter[str]:
    return Counter(str(m["Subject"]) for m in box.messages)


def status_check(tmp_path: Path, engine: Engine, env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        [
            "--config",
            str(tmp_path / "orderhub.toml"),
            "--database-url",
            str(engine.url),
            "status",
            "--check",
        ],
        env={**env, "COLUMNS": "250"},
    )
    return result.exit_code, " ".join(result.output.split())


def test_one_alert_per_problem_and_one_resolve_by_webhook_and_email(
    tmp_path: Path, sqlite_engine: Engine, webhook: Webhook, mailbox: Mailbox
) -> None:
    shops = {
        "down": make_shop(5, seed=1),
        "flaky": make_shop(5, seed=2),
        "refused": make_shop(5, seed=3),
        "fine": make_shop(5, seed=4),
    }
    shops["down"].sim.faults.add(Fault.status(404), path="/orders", times=None)
    env = {**alerts_env(webhook), "REFUSED_SECRET": "cs_wrong_3e1d0c9b8a"}
    config = configure(tmp_path, shops, alerts_toml(webhook, mailbox), env)

    with running(config, sqlite_engine, shops) as worker:
        failed_at = time.monotonic()
        wait_until(lambda: len(webhook.received) >= 2, "the first two alerts")
        wait_until(lambda: len(mailbox.messages) >= 2, "the first two e-mails")
        first_alert_after = webhook.times[0] - failed_at
        assert problems(webhook) == {
            ("opened", "down", "never_succeeded"): 1,
            ("opened", "refused", "credentials_refused"): 1,
        }
        code, output = status_check(tmp_path, sqlite_engine, env)
        assert code == 1
        assert "down" in output and "refused" in output
        assert "never succeeded" in output and "credentials refused" in output
        assert "│ fine " not in output and "│ flaky " not in output

        # flaky: three failures in a row make one alert; then it recovers.
        shops["flaky"].sim.faults.add(Fault.status(400), path="/orders", times=3)
        for _ in range(3):
            assert worker.pull("flaky").outcome == "failed"
        wait_until(lambda: len(webhook.received) >= 3, "the failing alert")
        assert worker.pull("flaky").outcome == "succeeded"
        # refused: the seller fixes the credentials.
        shops["refused"].sim.consumer_secret = env["REFUSED_SECRET"]
        assert worker.pull("refused").outcome == "succeeded"
        wait_until(lambda: len(webhook.received) >= 5, "the resolved messages")
        wait_until(lambda: len(mailbox.messages) >= 5, "the resolved e-mails")
        # More rounds change nothing: no duplicates.
        for name in ("fine", "flaky", "refused", "down"):
            worker.pull(name)
        worker.check_health()

    assert problems(webhook) == {
        ("opened", "down", "never_succeeded"): 1,
        ("opened", "refused", "credentials_refused"): 1,
        ("opened", "flaky", "failing"): 1,
        ("resolved", "flaky", "failing"): 1,
        ("resolved", "refused", "credentials_refused"): 1,
    }
    assert subjects(mailbox) == {
        "[orderhub] CRITICAL down: never succeeded": 1,
        "[orderhub] CRITICAL refused: credentials refused": 1,
        "[orderhub] CRITICAL flaky: failing": 1,
        "[orderhub] RESOLVED flaky: failing": 1,
        "[orderhub] RESOLVED refused: credentials refused": 1,
    }
    assert mailbox.tls_sessions == 5 and mailbox.logins, "STARTTLS and login every time"
    opened = next(m for m in webhook.received if m["problem"] == "credentials_refused")
    assert "401" in opened["summary"] and "credentials" in opened["fix"]
    failing = next(m for m in webhook.received if m["problem"] == "failing")
    assert failing["details"]["streak"] == 3
    everything = repr(webhook.received) + "".join(m.as_string() for m in mailbox.messages)
    for secret in (SMTP_PASSWORD, env["REFUSED_SECRET"], shops["refused"].secret, "T0KEN"):
        assert secret not in everything
    assert "@" not in "".join(m.get_content() for m in mailbox.messages).replace(
        "orderhub@example.com", ""
    ), "no buyer e-mail in a message"
    assert first_alert_after < 5, first_alert_after

    code, output = status_check(tmp_path, sqlite_engine, env)
    assert code == 1 and "down" in output and "flaky" not in output


def blackhole() -> tuple[socket.socket, str]:
    """A listening socket that never answers: a destination that hangs until timeout."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}/hook"


def test_a_destination_that_is_down_does_not_slow_the_pulls(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    shops = {"down": make_shop(5, seed=5), "fine": make_shop(30, seed=6)}
    shops["down"].sim.faults.add(Fault.status(404), path="/orders", times=None)
    sock, url = blackhole()
    refused_port = free_port()  # nothing listens there: connection refused
    header = (
        "[alerts]\n"
        'check_interval = "1h"\n'
        "[[alerts.destinations]]\n"
        'name = "hanging"\ntype = "webhook"\nurl_env = "HANG_URL"\ntimeout = 3\n'
        "[[alerts.destinations]]\n"
        'name = "refusing"\ntype = "email"\nhost = "127.0.0.1"\n'
        f'port = {refused_port}\nfrom = "o@example.com"\nto = ["ops@example.com"]\n'
    )
    config = configure(tmp_path, shops, header, {"HANG_URL": url})
    try:
        with running(config, sqlite_engine, shops) as worker:
            started = time.monotonic()
            pulls = [worker.pull("fine") for _ in range(5)]
            took = time.monotonic() - started
            assert all(p is not None and p.outcome == "succeeded" for p in pulls)
            # Five pulls of an in-process shop take well under the 3 s the hanging
            # destination holds the alert thread: the pulls never waited for it.
            assert took < 3, took
            wait_until(
                lambda: sample(worker, "orderhub_alert_delivery_failures_total", "refusing") >= 1,
                "the refused delivery to be counted",
            )
    finally:
        sock.close()
    with sqlite_engine.connect() as connection:
        from orderhub.alerts.engine import DELIVERIES

        rows = list(connection.execute(DELIVERIES.select()))
    assert rows and all(r.status in ("pending", "sending") for r in rows), "kept for retry"
    refused = [r for r in rows if r.destination == "refusing"]
    assert refused[0].attempts == 1 and "ConnectionRefusedError" in refused[0].last_error


def sample(worker: Worker, name: str, destination: str) -> float:
    return worker.metrics.registry.get_sample_value(name, {"destination": destination}) or 0.0


def test_healthz_and_readyz_over_http(tmp_path: Path, sqlite_engine: Engine) -> None:
    shops = {"fine": make_shop(5, seed=7)}
    port = free_port()
    header = f'[metrics]\nport = {port}\naddress = "127.0.0.1"\n'
    config = configure(tmp_path, shops, header, {})
    with running(config, sqlite_engine, shops) as worker:
        base = f"http://127.0.0.1:{port}"
        alive = httpx.get(f"{base}/healthz", timeout=5)
        assert alive.status_code == 200 and alive.json()["ok"] is True
        ready = httpx.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 200
        assert ready.json() == {
            "ok": True,
            "store": "reachable",
            "migrations": "current",
            "revision": ready.json()["revision"],
        }
        worker.check_health()
        metrics = httpx.get(f"{base}/metrics", timeout=5).text
        assert (
            'orderhub_account_consecutive_failures{account="fine",channel="woocommerce"} 0.0'
            in metrics
        )
        assert "orderhub_worker_instances 1.0" in metrics
        assert httpx.get(f"{base}/nothing", timeout=5).status_code == 404
        # A wedged heartbeat makes /healthz fail; a store behind its migrations, /readyz.
        worker.last_beat = worker.last_beat.replace(year=2000) if worker.last_beat else None
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 503
        with sqlite_engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0003'")
        behind = httpx.get(f"{base}/readyz", timeout=5)
        assert behind.status_code == 503 and behind.json()["migrations"] == "behind"
        with sqlite_engine.begin() as connection:
            connection.exec_driver_sql(
                f"UPDATE alembic_version SET version_num = '{ready.json()['revision']}'"
            )
