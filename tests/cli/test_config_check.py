"""``orderhub config check``: the example passes; every mistake is named with its fix."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import KEY_VAR, SECRET_VAR, Cli, account_toml, assert_clean_failure, assert_ok

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "orderhub.example.toml"
BASE_URL = "https://shop.example.com"


def test_the_example_configuration_passes_with_its_variables_set(orderhub: Cli) -> None:
    key, secret = "ck_example_6c1f0e2d9a", "cs_example_41b7d3e0c2"
    result = orderhub(
        "--config",
        str(EXAMPLE),
        "config",
        "check",
        env={"MYSHOP_WC_KEY": key, "MYSHOP_WC_SECRET": secret},
    )
    output = assert_ok(result)
    assert "OK (4 accounts, 1 enabled)" in output
    assert "store sqlite:///orderhub.db (from [orderhub] database_url in " in output
    assert "not created yet Next: Run `orderhub db upgrade`" in output
    assert key not in output
    assert secret not in output


def test_the_example_without_its_variables_names_them(orderhub: Cli) -> None:
    result = orderhub("--config", str(EXAMPLE), "config", "check")
    assert_clean_failure(
        result,
        "MYSHOP_WC_KEY (holding consumer_key) is not set",
        "MYSHOP_WC_SECRET (holding consumer_secret) is not set",
        "export MYSHOP_WC_SECRET=",
        code=2,
    )


def test_malformed_toml_is_reported_with_line_and_column(orderhub: Cli) -> None:
    orderhub.write_config('[[accounts]]\nid = "shop\nconnector = "woocommerce"\n')
    result = orderhub("config", "check")
    output = assert_clean_failure(result, "orderhub.toml", "invalid TOML", "Fix:", code=2)
    assert re.search(r"line 2, column \d+", output), output


def test_an_unknown_connector_lists_the_known_ones(orderhub: Cli) -> None:
    orderhub.write_config(account_toml("shop", BASE_URL, connector="woocomerce"))
    result = orderhub("config", "check", env={KEY_VAR: "ck_x1234567", SECRET_VAR: "cs_x1234567"})
    output = assert_clean_failure(
        result,
        "- orderhub.toml: accounts[0].connector",
        'connector "woocomerce": no connector is registered under this name',
        'Did you mean "woocommerce"?',
        "Configuration problem",
        code=2,
    )
    known = re.search(r"\(known connectors: ([^)]*)\)", output)
    assert known is not None, output
    assert "woocommerce" in known.group(1).split(", ")
    assert "[red]" not in output


def test_a_missing_secret_variable_is_named(orderhub: Cli) -> None:
    orderhub.write_config(account_toml("shop", BASE_URL))
    result = orderhub("config", "check", env={KEY_VAR: "ck_present_123"})
    output = assert_clean_failure(
        result,
        "accounts[0].settings.consumer_secret_env",
        f"the environment variable {SECRET_VAR} (holding consumer_secret) is not set",
        f"Fix: export {SECRET_VAR}=...",
        code=2,
    )
    assert "ck_present_123" not in output


def test_an_unsupported_database_url_is_refused_without_its_password(orderhub: Cli) -> None:
    orderhub.write_config(
        '[orderhub]\ndatabase_url = "mysql://orders:hunter2secret@db.internal/orders"\n'
    )
    result = orderhub("config", "check")
    output = assert_clean_failure(
        result,
        "orderhub.database_url",
        'the database "mysql" is not supported',
        "SQLite and PostgreSQL",
        "Fix:",
        code=2,
    )
    assert "hunter2secret" not in output


def test_an_unparseable_database_url_is_refused(orderhub: Cli) -> None:
    orderhub.write_config('[orderhub]\ndatabase_url = "not a url"\n')
    result = orderhub("config", "check")
    assert_clean_failure(
        result, "orderhub.database_url", "cannot be parsed", "sqlite:///orderhub.db"
    )


def test_a_secret_written_in_the_file_is_refused_and_never_echoed(orderhub: Cli) -> None:
    literal = "cs_live_9d8c7b6a5f4e3d2c1b0a"
    orderhub.write_config(
        "[[accounts]]\n"
        'id = "shop"\n'
        'connector = "woocommerce"\n'
        "[accounts.settings]\n"
        f'base_url = "{BASE_URL}"\n'
        f'consumer_key_env = "{KEY_VAR}"\n'
        f'consumer_secret = "{literal}"\n'
    )
    result = orderhub("config", "check", env={KEY_VAR: "ck_present_123"})
    output = assert_clean_failure(
        result,
        "accounts[0].settings.consumer_secret",
        "secrets are not read from the file",
        'consumer_secret_env = "VAR"',
        code=2,
    )
    assert literal not in output


def test_a_missing_configuration_file_is_named(orderhub: Cli) -> None:
    result = orderhub("--config", "nowhere.toml", "config", "check")
    assert_clean_failure(
        result, "nowhere.toml", "does not exist", "config/orderhub.example.toml", code=2
    )


def test_file_and_connector_setting_problems_share_one_header_and_exit_code(
    orderhub: Cli,
) -> None:
    """A problem of the file's own shape and one of the connector's settings are the same
    kind of failure: the configuration is wrong."""
    orderhub.write_config(account_toml("shop", BASE_URL) + 'max_response_bytes = "big"\n')
    env = {KEY_VAR: "ck_x1234567", SECRET_VAR: "cs_x1234567"}
    settings_only = assert_clean_failure(orderhub("config", "check", env=env), code=2)
    assert settings_only.startswith("Configuration problem")
    assert '"big" is not a whole number' in settings_only
    orderhub.write_config(
        '[web]\nport = "8080"\n' + account_toml("shop", BASE_URL) + "max_response_bytes = 1\n"
    )
    both = assert_clean_failure(orderhub("config", "check", env=env), code=2)
    assert both.startswith("Configuration problem")
    assert '"8080" is not a port number' in both
    assert "accounts[0].settings.max_response_bytes" in both
    for output in (settings_only, both):
        assert "Input should" not in output and "Value error" not in output


def test_a_command_meeting_an_unknown_connector_says_so_as_config_check_does(
    orderhub: Cli,
) -> None:
    orderhub.write_config(account_toml("shop", BASE_URL, connector="woocomerce"))
    env = {KEY_VAR: "ck_x1234567", SECRET_VAR: "cs_x1234567"}
    checked = assert_clean_failure(orderhub("config", "check", env=env), code=2)
    synced = assert_clean_failure(orderhub("sync", "shop", env=env), code=2)
    for output in (checked, synced):
        assert output.startswith("Configuration problem")
        assert '- orderhub.toml: accounts[0].connector: connector "woocomerce"' in output
        assert 'Did you mean "woocommerce"?' in output
