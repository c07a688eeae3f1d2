"""End to end: `orderhub demo` in a subprocess, then the store it leaves behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from orderhub.shipping.record import PUSHES
from orderhub.store.db import make_engine
from orderhub.store.ingest import ORDERS, QUARANTINE

pytestmark = pytest.mark.slow


def orderhub(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ORDERHUB_")}
    env["COLUMNS"] = "200"
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
    result = orderhub("demo", "--duration", "12", "--orders", "40", cwd=tmp_path)
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
