"""End to end: `orderhub demo` in a subprocess, then the store it leaves behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from orderhub.shipping.record import PUSHES
from orderhub.store.db import make_engine
from orderhub.store.ingest import ORDERS, QUARANTINE

pytestmark = pytest.mark.slow


def orderhub(*args: str, cwd: Path, columns: int = 200) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ORDERHUB_")}
    env["COLUMNS"] = str(columns)
    return subprocess.run(
        [sys.executable, "-m", "orderhub", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_demo_runs_the_loop_and_the_store_holds_what_it_printed(tmp_path: Path) -> None:
    # An 80-column terminal: the summary's account ids still come out whole.
    result = orderhub("demo", "--duration", "12", "--orders", "40", cwd=tmp_path, columns=80)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr

    engine = make_engine(f"sqlite:///{tmp_path / 'orderhub.db'}")
    with engine.connect() as connection:
        per_status = {
            (channel, status): count
            for channel, status, count in connection.execute(
                select(ORDERS.c.channel, ORDERS.c.status, func.count()).group_by(
                    ORDERS.c.channel, ORDERS.c.status
                )
            ).all()
        }
        pushes = connection.execute(select(PUSHES.c.account_id, PUSHES.c.status)).all()
        quarantined = connection.execute(select(QUARANTINE.c.external_id)).scalars().all()
        accounts = set(connection.execute(select(ORDERS.c.account_id).distinct()).scalars())

    printed = {
        (match.group(1), match.group(2)): int(match.group(3))
        for match in re.finditer(r"│ (\w+)\s+│ (\w+)\s+│\s+(\d+) │\n", result.stdout)
    }
    assert printed == per_status
    assert sum(per_status.values()) >= 100, "every channel' seeded orders are stored"
    assert accounts == {"demo-webshop", "demo-shopify", "demo-amazon", "demo-ebay"}
    for account in accounts:  # in the accounts and the tracking tables
        assert len(re.findall(rf"│ {account} +│", result.stdout)) == 2, account
    assert len(quarantined) == 1
    # The seller shipped orders on every channel part-way through; their tracking went out.
    assert {account for account, _ in pushes} == accounts
    assert sum(1 for _, status in pushes if status == "confirmed") >= 10

    # The same default database is what the other commands read, run in the same place.
    listed = orderhub("orders", "list", "--limit", "500", cwd=tmp_path)
    assert listed.returncode == 0
    assert sum(
        listed.stdout.count(f"│ {channel} ")
        for channel in ("woocommerce", "shopify", "amazon", "ebay")
    ) == sum(per_status.values())
    failures = orderhub("failures", cwd=tmp_path)
    assert failures.returncode == 0
    assert quarantined[0] in failures.stdout and "quantity" in failures.stdout


# `python -m orderhub` with Ctrl-C delivered as at a seller's terminal: a suite started in
# the background by a shell without job control inherits SIGINT ignored, and Python keeps
# an ignored SIGINT ignored.
_INTERRUPTIBLE = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('orderhub', run_name='__main__', alter_sys=True)"
)


def test_demo_keep_leaves_simulators_and_a_config_to_carry_on_with(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ORDERHUB_")}
    env["COLUMNS"] = "200"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _INTERRUPTIBLE,
            "demo",
            "--duration",
            "6",
            "--orders",
            "30",
            "--keep",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        seen: list[str] = []
        for line in process.stdout:  # ends when the demo says the simulators keep serving
            seen.append(line)
            if "orderhub skus unmapped" in line and "on purpose" in line:
                break
        assert any("The simulators keep serving" in line for line in seen), "".join(seen)
        config = (tmp_path / "orderhub.toml").read_text(encoding="utf-8")
        assert config.startswith("# Written by `orderhub demo --keep`")
        secrets = dict(
            line.split("=", 1)
            for line in (tmp_path / "orderhub-demo.env").read_text().splitlines()
            if line and not line.startswith("#")
        )
        synced = subprocess.run(
            [sys.executable, "-m", "orderhub", "sync", "demo-webshop"],
            cwd=tmp_path,
            env={**env, **secrets},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert "demo-webshop: succeeded" in synced.stdout
        # ... and the web console, with the password the env file holds.
        assert "[web]" in config and "ORDERHUB_DEMO_WEB_PASSWORD" in secrets
        web = subprocess.Popen(
            [sys.executable, "-m", "orderhub", "web", "--port", "0"],
            cwd=tmp_path,
            env={**env, **secrets},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert web.stdout is not None
            url = next(
                line.split(" on ", 1)[1].split()[0]
                for line in web.stdout
                if line.startswith("orderhub console on ")
            )
            password = secrets["ORDERHUB_DEMO_WEB_PASSWORD"].strip("'")
            overview = httpx.get(url, auth=("seller", password), timeout=10)
            assert overview.status_code == 200
            assert "demo-webshop" in overview.text
        finally:
            web.terminate()
            web.communicate(timeout=30)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0

    # Most lines match the demo catalog; a handful wait for a mapping, on purpose.
    engine = make_engine(f"sqlite:///{tmp_path / 'orderhub.db'}")
    with engine.connect() as connection:
        rows = connection.execute(
            select(ORDERS.c.account_id, ORDERS.c.awaiting_mapping, func.count()).group_by(
                ORDERS.c.account_id, ORDERS.c.awaiting_mapping
            )
        ).all()
    waiting = {account: 0 for account, _, _ in rows}
    total = dict(waiting)
    for account, needs, count in rows:
        total[account] += count
        waiting[account] += count if needs else 0
    for account, stored in total.items():
        assert 0 < waiting[account] <= stored // 3, (account, waiting, total)
