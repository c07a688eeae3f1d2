"""Turning the console on: the [web] table, the secrets it needs, ``orderhub web`` and
``orderhub run`` serving it with /metrics and the probes on one port, and the request log
that keeps query strings out."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from starlette.testclient import TestClient
from typer.testing import CliRunner

from orderhub.cli import app as cli_app
from orderhub.config import ConfigError, load_config
from orderhub.store.db import downgrade
from orderhub.web.app import create_app
from orderhub.web.login import _safe_next
from orderhub.web.order_search import BadCursor, decode_cursor, encode_cursor
from orderhub.web.security import WebSetupError, basic_password, load_secrets
from orderhub.web.server import BackgroundServer, RequestLog
from orderhub.web.settings import WebConfig
from orderhub.worker.scheduler import Worker

from .conftest import PASSWORD, PASSWORD_ENV, Console, web_config


def test_web_config_is_off_unless_set_and_checked(tmp_path: Path) -> None:
    plain = tmp_path / "plain.toml"
    plain.write_text("[orderhub]\n")
    config = load_config(plain, env={}).web
    assert not config.enabled and config.address == "127.0.0.1"

    good = tmp_path / "good.toml"
    good.write_text(
        '[web]\nport = 8080\npassword_env = "PW"\nsession_timeout = "2h"\nsecure_cookies = true\n'
    )
    web = load_config(good, env={}).web
    assert (web.port, web.address, web.password_env, web.secure_cookies) == (
        8080,
        "127.0.0.1",
        "PW",
        True,
    )
    assert web.session_timeout.total_seconds() == 7200

    bad = tmp_path / "bad.toml"
    bad.write_text('[web]\nport = "http"\npasword_env = "PW"\nsession_timeout = "5s"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(bad, env={})
    keys = {problem.key for problem in caught.value.problems}
    assert keys == {"web.port", "web.pasword_env", "web.session_timeout"}
    assert "Did you mean" in str(caught.value)

    no_password = tmp_path / "open.toml"
    no_password.write_text("[web]\nport = 8080\n")
    with pytest.raises(ConfigError) as refused:
        load_config(no_password, env={})
    assert "the console needs a password" in str(refused.value)


def test_the_secrets_come_from_the_environment() -> None:
    config = WebConfig(port=1, password_env="PW", secret_env="KEY")
    with pytest.raises(WebSetupError, match="PW is not set"):
        load_secrets(config, {})
    with pytest.raises(WebSetupError, match="shorter than 8"):
        load_secrets(config, {"PW": "short"})
    with pytest.raises(WebSetupError, match="KEY is unset or shorter"):
        load_secrets(config, {"PW": "long enough"})
    loaded = load_secrets(config, {"PW": "long enough", "KEY": "k" * 32})
    assert (loaded.password, loaded.session_key) == ("long enough", "k" * 32)
    # without secret_env each start draws its own key
    first = load_secrets(WebConfig(port=1, password_env="PW"), {"PW": "long enough"})
    second = load_secrets(WebConfig(port=1, password_env="PW"), {"PW": "long enough"})
    assert first.session_key != second.session_key


def test_orderhub_web_without_configuration_says_what_to_add(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli_app, ["web"], env={"ORDERHUB_CONFIG": None, "ORDERHUB_DATABASE_URL": None}
    )
    assert result.exit_code == 2
    assert "the web console is not configured" in " ".join(result.output.split())
    assert "Traceback" not in result.output
    (tmp_path / "orderhub.toml").write_text('[web]\nport = 8080\npassword_env = "NOPE_PW"\n')
    missing = CliRunner().invoke(cli_app, ["web"], env={"NOPE_PW": None})
    assert missing.exit_code == 2
    assert "NOPE_PW is not set" in " ".join(missing.output.split())


def test_readyz_fails_when_the_schema_is_behind(anonymous: Console, store_engine: Engine) -> None:
    assert anonymous.client.get("/readyz").status_code == 200
    downgrade(store_engine, "0003")
    response = anonymous.client.get("/readyz")
    assert response.status_code == 503
    assert "orderhub db upgrade" in response.json()["fix"]
    assert anonymous.client.get("/healthz").status_code == 200


def test_the_worker_serves_console_metrics_and_probes_on_one_port(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """What ``orderhub run`` does with [web] port: the worker's own metrics registry behind
    /metrics, beside the console, on a real socket."""
    config = web_config(tmp_path)
    worker = Worker(config, sqlite_engine)
    worker.metrics.runs.labels("shop", "woocommerce", "succeeded").inc()
    app = create_app(
        sqlite_engine,
        config,
        metrics_registry=worker.metrics.registry,
        environ={PASSWORD_ENV: PASSWORD},
    )
    server = BackgroundServer(app, config.web)
    server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        with httpx.Client(base_url=base, timeout=5) as client:
            assert client.get("/healthz").json()["ok"] is True
            assert client.get("/readyz").json()["migrations"] == "current"
            metrics = client.get("/metrics").text
            assert 'orderhub_sync_runs_total{account="shop",channel="woocommerce"' in metrics
            assert client.get("/", follow_redirects=False).status_code == 303
            assert client.get("/", auth=("ops", PASSWORD)).status_code == 200
    finally:
        server.stop()
    assert not server.thread.is_alive()
    assert threading.current_thread() is threading.main_thread()


def test_orderhub_run_serves_the_console_while_the_worker_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``orderhub run`` with [web] port = 0 (any free port): the console answers while the
    worker runs, and both stop together."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "orderhub.toml").write_text(
        "[[accounts]]\n"
        'id = "shop"\nconnector = "woocommerce"\ninterval = "1h"\n'
        "[accounts.settings]\n"
        'base_url = "http://127.0.0.1:9/"\nconsumer_key_env = "K"\nconsumer_secret_env = "S"\n'
        f'[web]\nport = 0\npassword_env = "{PASSWORD_ENV}"\n'
    )
    seen: dict[str, int] = {}
    servers: list[BackgroundServer] = []
    start = BackgroundServer.start

    def record_start(self: BackgroundServer, timeout: float = 10.0) -> None:
        start(self, timeout)
        servers.append(self)

    def stop_soon(self: Worker, *, duration: float | None = None) -> None:
        # Instead of running until SIGTERM: ask the console while the "worker runs".
        base = f"http://127.0.0.1:{servers[0].port}"
        with httpx.Client(base_url=base, timeout=5) as client:
            seen["healthz"] = client.get("/healthz").status_code
            seen["overview"] = client.get("/", auth=("x", PASSWORD)).status_code

    monkeypatch.setattr(BackgroundServer, "start", record_start)
    monkeypatch.setattr(Worker, "run_until_stopped", stop_soon)
    result = CliRunner().invoke(
        cli_app, ["run"], env={PASSWORD_ENV: PASSWORD, "K": "ck", "S": "cs"}
    )
    assert result.exit_code == 0, result.output
    # The worker's scheduler never started here, and inside `orderhub run` /healthz is the
    # worker's liveness (its heartbeat job), not the console's: so it says "not alive".
    assert seen == {"healthz": 503, "overview": 200}
    assert not servers[0].thread.is_alive(), "the console stops with the worker"


def test_the_request_log_has_paths_without_query_strings() -> None:
    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    with structlog.testing.capture_logs() as logs:
        TestClient(RequestLog(app)).get("/orders?q=jane.buyer%40example.com")
    assert logs[0]["path"] == "/orders" and logs[0]["status"] == 200
    assert "jane" not in repr(logs)


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(min_value=1, max_value=2**62),
)
def test_a_cursor_decodes_to_what_was_encoded(moment: datetime, order_id: int) -> None:
    decoded, decoded_id = decode_cursor(encode_cursor(moment, order_id))
    assert decoded_id == order_id
    assert abs((decoded - moment).total_seconds()) < 1e-5


@given(st.text(max_size=40))
def test_any_cursor_text_decodes_or_is_refused(text: str) -> None:
    with contextlib.suppress(BadCursor):
        decode_cursor(text)


@given(st.text(max_size=60))
def test_the_page_after_login_is_always_a_path_of_the_console(target: str) -> None:
    result = _safe_next(target)
    assert result.startswith("/") and not result.startswith("//")
    assert "?" not in result and "\\" not in result
    assert all(ord(char) >= 0x20 and char != "\x7f" for char in result)


@given(st.binary(max_size=60))
def test_any_authorization_header_parses_or_is_ignored(raw: bytes) -> None:
    from base64 import b64encode

    from starlette.datastructures import Headers

    value = "Basic " + b64encode(raw).decode()
    password = basic_password(Headers({"authorization": value}))
    if password is not None:
        assert raw.decode("utf-8").split(":", 1)[1] == password


def test_the_wheel_ships_every_template_and_static_file() -> None:
    """Package data is listed by pattern in pyproject.toml: a new kind of file in
    templates/ or static/ would work from a checkout and be missing after pip install."""
    import fnmatch
    import tomllib

    repo = Path(__file__).resolve().parents[2]
    web = repo / "src" / "orderhub" / "web"
    data = tomllib.loads((repo / "pyproject.toml").read_text())
    patterns = data["tool"]["setuptools"]["package-data"]["orderhub.web"]
    files = [
        path.relative_to(web).as_posix()
        for folder in ("templates", "static")
        for path in (web / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    assert "static/htmx.min.js" in files and "templates/base.html" in files
    unshipped = [name for name in files if not any(fnmatch.fnmatch(name, p) for p in patterns)]
    assert unshipped == []
