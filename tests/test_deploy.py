"""deploy/grafana-dashboard.json and deploy/prometheus-alerts.yml use only metrics the
worker really serves (read from a worker's registry after a real run, not a list)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import generate_latest
from sqlalchemy import Engine

from orderhub.config import load_config
from orderhub.worker.scheduler import Worker

ROOT = Path(__file__).resolve().parents[1]
METRIC_RE = re.compile(r"\borderhub_[a-z_]+")


def served_metrics(tmp_path: Path, engine: Engine) -> set[str]:
    path = tmp_path / "orderhub.toml"
    path.write_text(
        '[[accounts]]\nid = "shop"\nconnector = "woocommerce"\n[accounts.settings]\n'
        'base_url = "http://127.0.0.1/"\nconsumer_key_env = "K"\nconsumer_secret_env = "S"\n'
    )
    worker = Worker(load_config(path, env={}, defer_missing_secrets=True), engine)
    worker.check_health()
    # Counters without a sample yet still describe themselves.
    text = generate_latest(worker.metrics.registry).decode()
    names = set(re.findall(r"^# TYPE (\S+) (\S+)", text, re.MULTILINE))
    out: set[str] = set()
    for name, kind in names:
        out.add(name)
        if kind == "counter":
            out.update({f"{name}_total", f"{name}_created"})
    return out


def test_dashboard_and_alert_rules_use_served_metrics(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    served = served_metrics(tmp_path, sqlite_engine)
    dashboard = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    rules = (ROOT / "deploy" / "prometheus-alerts.yml").read_text()
    used = {m for e in exprs for m in METRIC_RE.findall(e)} | set(METRIC_RE.findall(rules))
    assert sorted(used - served) == []
    for needed in (
        "orderhub_account_consecutive_failures",
        "orderhub_outbox_pushes",
        "orderhub_quarantined_records",
        "orderhub_awaiting_mapping_orders",
        "orderhub_credentials_expiry_timestamp_seconds",
    ):
        assert needed in used, needed
