"""``config check`` checks the store that will really be used (flag, variable, file, in
that order, named in the output) and, with --online, makes one attempt per account with a
fix that fits the cause."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from orderhub.cli.online import online_fix
from orderhub.config import AccountConfig
from orderhub.sdk import AuthError, TransientError
from orderhub.testing.db import postgres_url

from .conftest import KEY_VAR, SECRET_VAR, Cli, Shop, account_toml, assert_clean_failure, assert_ok
from .test_skus import cli_url

CREDS = {KEY_VAR: "ck_x1234567", SECRET_VAR: "cs_x1234567"}


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def config_file(orderhub: Cli) -> Cli:
    orderhub.write_config(account_toml("shop", "https://shop.example/"))
    orderhub.env.update(CREDS)
    return orderhub


@pytest.mark.parametrize(
    ("url", "needles"),
    [
        ("mysql://oh:pw-hunter2@db/orderhub", ['database "mysql" is not supported']),
        ("orderhub.db", ["is not a database URL", 'write "sqlite:///orderhub.db"']),
    ],
)
@pytest.mark.parametrize("via", ["flag", "env"])
def test_a_bad_store_url_is_configuration_wrong_and_names_its_source(
    config_file: Cli, url: str, needles: list[str], via: str
) -> None:
    if via == "flag":
        result = config_file("--database-url", url, "config", "check")
        source = "--database-url"
    else:
        result = config_file("config", "check", env={"ORDERHUB_DATABASE_URL": url})
        source = "ORDERHUB_DATABASE_URL"
    output = assert_clean_failure(result, f"- {source}:", *needles, code=2)
    assert "pw-hunter2" not in output
    assert "OK" not in output
    # Later commands blame the same source.
    if via == "flag":
        later = config_file("--database-url", url, "orders", "list")
        assert_clean_failure(later, "- --database-url:", code=2)
        assert "ORDERHUB_DATABASE_URL" not in later.output


def test_a_closed_postgresql_port_fails_with_where_to_look(config_file: Cli) -> None:
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/orderhub"
    result = config_file("--database-url", url, "config", "check")
    assert_clean_failure(
        result,
        "cannot be reached",
        "(from --database-url)",
        "Fix: Start PostgreSQL at 127.0.0.1:",
        "or correct the host and port in --database-url",
        code=1,
    )


def test_the_file_store_is_named_and_a_missing_sqlite_file_is_the_next_step(
    orderhub: Cli,
) -> None:
    orderhub.write_config(
        '[orderhub]\ndatabase_url = "sqlite:///data/shop.db"\n'
        + account_toml("shop", "https://shop.example/")
    )
    output = assert_ok(orderhub("config", "check", env=CREDS))
    assert "store sqlite:///data/shop.db (from [orderhub] database_url in orderhub.toml)" in output
    assert "not created yet Next: Run `orderhub db upgrade`" in output
    assert_ok(orderhub("db", "upgrade", env=CREDS))
    output = assert_ok(orderhub("config", "check", env=CREDS))
    assert "reachable, schema current" in output


def test_the_flag_wins_over_the_variable_and_the_file(
    config_file: Cli, store_engine: Engine
) -> None:
    url = cli_url(store_engine)
    output = assert_ok(
        config_file(
            "--database-url",
            url,
            "config",
            "check",
            env={"ORDERHUB_DATABASE_URL": "sqlite:///elsewhere.db"},
        )
    )
    assert "(from --database-url): reachable, schema current" in output


@pytest.mark.skipif(postgres_url() is None, reason="needs ORDERHUB_TEST_DATABASE_URL")
def test_a_postgresql_server_is_reached_through_the_flag(config_file: Cli) -> None:
    url = postgres_url()
    assert url is not None
    output = assert_ok(config_file("--database-url", url, "config", "check"))
    assert "(from --database-url): reachable" in output


def test_online_refused_names_the_address(orderhub: Cli) -> None:
    orderhub.write_config(account_toml("shop", f"http://127.0.0.1:{closed_port()}/"))
    result = orderhub("config", "check", "--online", env=CREDS)
    assert_clean_failure(
        result, "could not connect", "is the shop up, and is this its address", code=1
    )
    # One attempt: no retry warnings before the answer.
    assert "attempt=2" not in result.output


def test_online_bad_credentials_name_the_settings(cli: Cli, shop: Shop) -> None:
    cli.write_config(account_toml("shop", shop.base_url))
    result = cli("config", "check", "--online", env={SECRET_VAR: "cs_wrong_123456"})
    output = assert_clean_failure(result, "HTTP 401", code=1)
    assert f"consumer_secret (from ${SECRET_VAR})" in output
    assert "cs_wrong_123456" not in output


def test_online_good_credentials(cli: Cli, shop: Shop) -> None:
    cli.write_config(account_toml("shop", shop.base_url))
    assert "shop: credentials work" in assert_ok(cli("config", "check", "--online"))


ACCOUNT = AccountConfig(
    id="shop", connector="woocommerce", enabled=True, interval=timedelta(minutes=5)
)


@pytest.mark.parametrize(
    ("message", "needle"),
    [
        (
            "could not connect (ConnectError: [Errno -2] Name or service not known)",
            "does not resolve: check base_url",
        ),
        ("could not connect (ConnectError: [Errno 111] Connection refused)", "is the shop up"),
        ("could not connect (ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED])", "TLS handshake"),
        ("timed out (ReadTimeout: timed out)", "did not answer within"),
    ],
)
def test_online_fix_fits_the_cause(message: str, needle: str) -> None:
    fix = online_fix(TransientError(message), ACCOUNT, "https://shop.example/", "x")
    assert needle in fix


def test_online_fix_for_a_refused_credential() -> None:
    creds = "consumer_secret (from $WC_SECRET)"
    fix = online_fix(AuthError("HTTP 403", status=403), ACCOUNT, "https://shop.example/", creds)
    assert creds in fix and "not allowed" in fix


def test_a_misspelt_env_key_is_answered_with_the_key_as_written(orderhub: Cli) -> None:
    orderhub.write_config(
        account_toml("shop", "https://shop.example/").replace(
            "consumer_secret_env", "consumer_secretenv"
        )
    )
    output = assert_clean_failure(orderhub("config", "check", env=CREDS), code=2)
    assert 'Did you mean "consumer_secret_env"?' in output
    assert "Value error" not in output


def test_every_problem_is_reported_in_one_pass(orderhub: Cli) -> None:
    orderhub.write_config(
        '[orderhub]\nlog_level = "loud"\n'
        + account_toml("shop", "https://shop.example/", connector="woocomerce")
        + account_toml("two", "https://two.example/", key_var="UNSET_KEY_VAR")
    )
    output = assert_clean_failure(orderhub("config", "check", env=CREDS), code=2)
    assert "orderhub.log_level" in output
    assert "accounts[0].connector" in output
    assert "UNSET_KEY_VAR" in output


def test_an_unset_variable_does_not_hide_the_accounts_other_settings_problems(
    orderhub: Cli,
) -> None:
    # The newcomer's case: the key's variable is not exported yet, and the same account has
    # a plain-http address and a misspelt secret key. All of it shows in one pass.
    orderhub.write_config(
        account_toml("shop", "http://shop.example/", key_var="UNSET_KEY_VAR").replace(
            "consumer_secret_env", "consumer_secretenv"
        )
    )
    output = assert_clean_failure(orderhub("config", "check", env=CREDS), code=2)
    assert "UNSET_KEY_VAR" in output and "is not set" in output
    assert "accounts[0].settings.base_url" in output
    assert 'Did you mean "consumer_secret_env"?' in output
    assert "accounts[0].settings.consumer_secret:" in output or (
        "accounts[0].settings.consumer_secret " in output
    )
    # The key whose variable is unset is reported once, by its variable, not again as a
    # missing setting.
    assert "accounts[0].settings.consumer_key:" not in output
