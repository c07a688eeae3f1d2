"""The console on a real store (SQLite and PostgreSQL), driven by Starlette's TestClient."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from orderhub.config import AppConfig, load_config
from orderhub.logs import reset_logging
from orderhub.testing.webstore import SeededStore, seed_store
from orderhub.web.app import create_app
from orderhub.web.security import LoginLimiter

PASSWORD = "correct horse battery"
PASSWORD_ENV = "TEST_WEB_PASSWORD"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class FakeWallClock:
    """Seconds since the epoch, moved by the test (no test sleeps)."""

    def __init__(self) -> None:
        self.value = datetime.now(UTC).timestamp()

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


#: The accounts of the seeded store (``orderhub.testing.webstore``), as a seller would
#: configure them; their secrets are placeholders (nothing is pulled in these tests).
ACCOUNTS = """
[[accounts]]
id = "shop"
connector = "woocommerce"
[accounts.settings]
base_url = "https://shop.example"
consumer_key_env = "SHOP_KEY"
consumer_secret_env = "SHOP_SECRET"

[[accounts]]
id = "amazon-eu"
connector = "amazon"
[accounts.settings]
region = "eu"
marketplace_ids = ["A1F83G8C2ARO7P"]
client_id_env = "AMZ_ID"
client_secret_env = "AMZ_SECRET"
refresh_token_env = "AMZ_TOKEN"

[[accounts]]
id = "ebay-us"
connector = "ebay"
[accounts.settings]
environment = "production"
client_id_env = "EBAY_ID"
client_secret_env = "EBAY_SECRET"
refresh_token_env = "EBAY_TOKEN"
"""
ACCOUNT_ENV = {
    name: f"value-of-{name.lower()}"
    for name in (
        "SHOP_KEY",
        "SHOP_SECRET",
        "AMZ_ID",
        "AMZ_SECRET",
        "AMZ_TOKEN",
        "EBAY_ID",
        "EBAY_SECRET",
        "EBAY_TOKEN",
    )
}


def web_config(directory: Path, extra: str = "", env: dict[str, str] | None = None) -> AppConfig:
    path = directory / "orderhub.toml"
    path.write_text(
        f'{extra}\n[web]\nport = 0\npassword_env = "{PASSWORD_ENV}"\nsession_timeout = "30m"\n',
        encoding="utf-8",
    )
    return load_config(path, require_file=True, env=env or {})


@dataclass
class Console:
    client: TestClient
    engine: Engine
    seeded: SeededStore
    clock: FakeWallClock
    limiter: LoginLimiter

    def token(self, path: str = "/") -> str:
        match = TOKEN_RE.search(self.client.get(path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, password: str = PASSWORD) -> None:
        token = self.token("/login")
        response = self.client.post(
            "/login",
            data={"csrf_token": token, "password": password, "next": "/"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text

    def post(self, path: str, data: dict[str, object] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
        payload = {"csrf_token": self.token(), **(data or {})}
        return self.client.post(path, data=payload, follow_redirects=False, **kwargs)  # type: ignore[arg-type]


def make_console(engine: Engine, directory: Path, seeded: SeededStore) -> Console:
    clock = FakeWallClock()
    limiter = LoginLimiter(clock=clock)
    app = create_app(
        engine,
        web_config(directory, ACCOUNTS, ACCOUNT_ENV),
        environ={PASSWORD_ENV: PASSWORD},
        limiter=limiter,
        wall_clock=clock,
    )
    client = TestClient(app, base_url="http://127.0.0.1")
    return Console(client, engine, seeded, clock, limiter)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No ORDERHUB_* variable from the shell; logging as it was after commands the test
    ran in-process (they point it at the runner's stream, closed afterwards)."""
    for name in ("ORDERHUB_CONFIG", "ORDERHUB_DATABASE_URL", "ORDERHUB_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    yield
    reset_logging()


@pytest.fixture
def seeded(store_engine: Engine) -> SeededStore:
    return seed_store(store_engine, datetime.now(UTC))


@pytest.fixture
def anonymous(store_engine: Engine, tmp_path: Path, seeded: SeededStore) -> Iterator[Console]:
    console = make_console(store_engine, tmp_path, seeded)
    with console.client:
        yield console


@pytest.fixture
def web(anonymous: Console) -> Console:
    anonymous.login()
    return anonymous


def cli_url(engine: Engine) -> str:
    """A URL the CLI can open for the test's store (its own schema on PostgreSQL)."""
    from sqlalchemy import text

    url = engine.url
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)
