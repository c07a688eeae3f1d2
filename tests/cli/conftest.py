"""The ``orderhub`` command run in-process (typer's CliRunner) in a fresh directory, against
a simulated WooCommerce shop served over real HTTP on 127.0.0.1.

Every test starts in an empty ``tmp_path`` (the default ``./orderhub.toml`` and
``./orderhub.db`` live there) with no ``ORDERHUB_*`` variables inherited from the shell.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner, Result

from orderhub.cli import app
from orderhub.logs import get_redactor, reset_logging
from orderhub.sdk import SystemClock
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.testing.sim import SimServer

ORDERHUB_VARIABLES = (
    "ORDERHUB_CONFIG",
    "ORDERHUB_DATABASE_URL",
    "ORDERHUB_LOG_LEVEL",
    "ORDERHUB_LOG_FORMAT",
    "ORDERHUB_HEARTBEAT",
)
KEY_VAR = "SHOP_WC_KEY"
SECRET_VAR = "SHOP_WC_SECRET"
SHOP_ORDERS = 40


def flat(text: str) -> str:
    """``text`` with every run of whitespace collapsed, so wrapped lines compare whole."""
    return " ".join(text.split())


def assert_clean_failure(result: Result, *needles: str, code: int | None = None) -> str:
    """The command failed the way a user should see it: a non-zero exit, the expected
    words, and no Python traceback. Returns the flattened output."""
    output = flat(result.output)
    assert result.exit_code != 0, output
    if code is not None:
        assert result.exit_code == code, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in output, f"{needle!r} not in {output!r}"
    return output


def table_rows(output: str) -> list[list[str]]:
    """The body rows of the rich tables in ``output``, as lists of stripped cells."""
    return [
        [cell.strip() for cell in line.strip().strip("│").split("│")]
        for line in output.splitlines()
        if line.startswith("│")
    ]


def table_records(output: str) -> list[dict[str, str]]:
    """The body rows of the rich tables in ``output``, each keyed by its table's column
    headers (so a test does not depend on the columns' order or on columns added later)."""
    records: list[dict[str, str]] = []
    header: list[str] = []
    for line in output.splitlines():
        cells = [
            cell.strip() for cell in line.strip().strip("┃│").split("┃" if "┃" in line else "│")
        ]
        if line.startswith("┃"):
            header = cells
        elif line.startswith("│"):
            records.append(dict(zip(header, cells, strict=True)))
    return records


def assert_ok(result: Result) -> str:
    output = flat(result.output)
    assert result.exit_code == 0, output
    assert result.exception is None, repr(result.exception)
    return output


@dataclass
class Shop:
    """A simulated shop on a real port, with credentials unique to the test."""

    sim: SimulatedWooCommerce
    server: SimServer
    key: str
    secret: str
    emails: set[str] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        return self.server.base_url


@dataclass
class Cli:
    """Runs ``orderhub`` in the test's directory with the shop's secrets in the environment."""

    runner: CliRunner
    directory: Path
    env: dict[str, str | None]

    def __call__(self, *args: str, env: Mapping[str, str | None] | None = None) -> Result:
        return self.runner.invoke(app, list(args), env={**self.env, **(env or {})})

    def write_config(self, text: str, name: str = "orderhub.toml") -> Path:
        path = self.directory / name
        path.write_text(text, encoding="utf-8")
        return path


def account_toml(
    account_id: str,
    base_url: str,
    *,
    key_var: str = KEY_VAR,
    secret_var: str = SECRET_VAR,
    connector: str = "woocommerce",
    extra_settings: str = "",
) -> str:
    return (
        "[[accounts]]\n"
        f"id = {json.dumps(account_id)}\n"
        f"connector = {json.dumps(connector)}\n"
        'interval = "1m"\n'
        "[accounts.settings]\n"
        f"base_url = {json.dumps(base_url)}\n"
        f"consumer_key_env = {json.dumps(key_var)}\n"
        f"consumer_secret_env = {json.dumps(secret_var)}\n"
        f"{extra_settings}"
    )


def add_malformed(shop: Shop) -> int:
    """An order the connector cannot read (quantity "two"), modified a day ago. Returns its id."""
    order = shop.sim.add_malformed_order(
        "bad_quantity", created=datetime.now(UTC) - timedelta(days=1)
    )
    return int(order["id"])


@pytest.fixture(autouse=True)
def cli_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    for name in ORDERHUB_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    # Wide enough that rich never wraps or truncates a table cell the tests look for.
    monkeypatch.setenv("COLUMNS", "250")
    structlog.contextvars.clear_contextvars()
    yield
    # `orderhub sync` points logging at the runner's (now closed) stream: undo it.
    reset_logging()
    get_redactor().clear_secrets()
    structlog.contextvars.clear_contextvars()


def serve_shop() -> Shop:
    """A simulated shop with SHOP_ORDERS orders placed one to three days ago (inside the
    first sync's 30-day backfill, none still changing), served on a free port."""
    clock = SystemClock()
    key = f"ck_{secrets.token_hex(12)}"
    secret = f"cs_{secrets.token_hex(12)}"
    sim = SimulatedWooCommerce(clock, seed=11, consumer_key=key, consumer_secret=secret)
    sim.generate(SHOP_ORDERS, start=clock.now() - timedelta(days=3), spread=timedelta(days=2))
    emails = {str(sim.order(record.id)["billing"]["email"]) for record in sim.store}
    return Shop(sim=sim, server=sim.serve(), key=key, secret=secret, emails=emails)


@pytest.fixture
def shop() -> Iterator[Shop]:
    """A shop of this test's own (tests may change it)."""
    served = serve_shop()
    try:
        yield served
    finally:
        served.server.stop()


@pytest.fixture
def orderhub(tmp_path: Path) -> Cli:
    """``orderhub`` with no secrets in the environment."""
    return Cli(runner=CliRunner(), directory=tmp_path, env={})


@pytest.fixture
def cli(orderhub: Cli, shop: Shop) -> Cli:
    """``orderhub`` with the shop's key and secret exported."""
    orderhub.env.update({KEY_VAR: shop.key, SECRET_VAR: shop.secret})
    return orderhub


@pytest.fixture
def configured(cli: Cli, shop: Shop) -> Cli:
    """``./orderhub.toml`` with one account, ``shop``, pointing at the simulated shop."""
    cli.write_config(account_toml("shop", shop.base_url))
    return cli


@pytest.fixture(scope="session")
def synced_shop() -> Iterator[Shop]:
    """The shop behind ``synced``, shared by the tests that only read: never change it."""
    served = serve_shop()
    add_malformed(served)
    try:
        yield served
    finally:
        served.server.stop()


@pytest.fixture(scope="session")
def synced_store(tmp_path_factory: pytest.TempPathFactory, synced_shop: Shop) -> Path:
    """``orderhub db upgrade`` then ``orderhub sync shop`` against ``synced_shop``, once."""
    directory = tmp_path_factory.mktemp("synced")
    config = directory / "orderhub.toml"
    config.write_text(account_toml("shop", synced_shop.base_url), encoding="utf-8")
    database = directory / "orderhub.db"
    env: dict[str, str | None] = {name: None for name in ORDERHUB_VARIABLES}
    env.update({KEY_VAR: synced_shop.key, SECRET_VAR: synced_shop.secret})
    options = ["--config", str(config), "--database-url", f"sqlite:///{database}"]
    runner = CliRunner()
    try:
        assert_ok(runner.invoke(app, [*options, "db", "upgrade"], env=env))
        assert_ok(runner.invoke(app, [*options, "sync", "shop"], env=env))
    finally:
        reset_logging()
    return database


@pytest.fixture
def synced(orderhub: Cli, synced_shop: Shop, synced_store: Path) -> Cli:
    """``./orderhub.toml`` for ``synced_shop`` and ``./orderhub.db`` holding its orders
    (and its one malformed order, quarantined), as ``orderhub sync shop`` left them."""
    orderhub.env.update({KEY_VAR: synced_shop.key, SECRET_VAR: synced_shop.secret})
    orderhub.write_config(account_toml("shop", synced_shop.base_url))
    # SQLite's backup API copies a consistent snapshot, WAL content included.
    source = sqlite3.connect(synced_store)
    target = sqlite3.connect(orderhub.directory / "orderhub.db")
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return orderhub
