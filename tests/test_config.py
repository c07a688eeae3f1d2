"""Configuration loading: TOML shape, environment secrets, database URL, deeper checks."""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from orderhub.config import (
    AccountConfig,
    AppConfig,
    ConfigError,
    ConfigProblem,
    build_settings,
    check_config,
    default_config_path,
    load_config,
    parse_duration,
    resolve_database_url,
)
from orderhub.logs import get_redactor
from orderhub.registry import known_connectors
from orderhub.sdk import ConnectorSettings

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "orderhub.example.toml"
EXAMPLE_ENV = {"MYSHOP_WC_KEY": "ck_example_key_1234567890", "MYSHOP_WC_SECRET": "cs_example_9876"}
TEST_GROUP = "orderhub.connectors.config-tests"

CONNECTORS = """
from pydantic import SecretStr
from orderhub.sdk import Connector, ConnectorSettings

class WooLikeSettings(ConnectorSettings):
    base_url: str
    consumer_key: SecretStr
    consumer_secret: SecretStr

class WooLike(Connector[WooLikeSettings]):
    name = "woocommerce"
    settings_model = WooLikeSettings

class ApiSettings(ConnectorSettings):
    region: str = "eu"
    api_key: SecretStr

class Api(Connector[ApiSettings]):
    name = "apishop"
    settings_model = ApiSettings
"""

BROKEN = """
raise ImportError("a dependency of this connector is missing")
"""


@pytest.fixture(autouse=True)
def forget_secrets() -> Iterator[None]:
    yield
    get_redactor().clear_secrets()


@pytest.fixture
def test_connectors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Register test connectors under TEST_GROUP through a real temporary dist-info."""
    site = tmp_path / "site"
    site.mkdir()
    prefix = f"ohcfg_{uuid.uuid4().hex[:10]}"
    (site / f"{prefix}_conn.py").write_text(textwrap.dedent(CONNECTORS))
    (site / f"{prefix}_broken.py").write_text(textwrap.dedent(BROKEN))
    info = site / "ohtest_config_connectors-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: ohtest-config-connectors\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(
        f"[{TEST_GROUP}]\n"
        f"woocommerce = {prefix}_conn:WooLike\n"
        f"apishop = {prefix}_conn:Api\n"
        f"broken = {prefix}_broken:Nothing\n"
    )
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    yield TEST_GROUP
    for module in [m for m in sys.modules if m.startswith(prefix)]:
        del sys.modules[module]


WriteConfig = Callable[[str], Path]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    def write(text: str) -> Path:
        path = tmp_path / "orderhub.toml"
        path.write_text(textwrap.dedent(text))
        return path

    return write


def problems_of(excinfo: pytest.ExceptionInfo[ConfigError]) -> dict[str, ConfigProblem]:
    return {problem.key: problem for problem in excinfo.value.problems}


# --- the example file ------------------------------------------------------------------------


def test_example_file_loads() -> None:
    config = load_config(EXAMPLE, env=EXAMPLE_ENV)
    assert config.path == EXAMPLE
    assert config.database_url == "sqlite:///orderhub.db"
    assert config.log_level == "info"
    assert config.log_format == "auto"
    assert [(a.id, a.connector, a.enabled) for a in config.accounts] == [
        ("my-shop", "woocommerce", True),
        ("amazon-na", "amazon", False),
        ("ebay-main", "ebay", False),
        ("my-store", "shopify", False),
    ]
    # Disabled accounts need no credentials: their *_env variables are not read.
    assert all(not a.env_fields for a in config.accounts[1:])
    assert config.shipping.push_interval == timedelta(minutes=1)
    assert config.shipping.verify_after == timedelta(hours=2)
    account = config.accounts[0]
    assert account.id == "my-shop"
    assert account.connector == "woocommerce"
    assert account.enabled is True
    assert account.interval == timedelta(minutes=5)
    assert account.jitter == timedelta(seconds=30)
    assert account.settings == {
        "base_url": "https://shop.example.com/wp-json/wc/v3/",
        "consumer_key": EXAMPLE_ENV["MYSHOP_WC_KEY"],
        "consumer_secret": EXAMPLE_ENV["MYSHOP_WC_SECRET"],
    }
    assert account.env_fields == {"consumer_key", "consumer_secret"}
    assert config.enabled_accounts == (account,)
    assert config.account("my-shop") is account
    # Secrets stay out of repr (they would otherwise leak into tracebacks and debug output).
    assert EXAMPLE_ENV["MYSHOP_WC_SECRET"] not in repr(config)


def test_example_file_without_its_variables_names_them() -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_config(EXAMPLE, env={})
    problems = problems_of(excinfo)
    assert set(problems) == {
        "accounts[0].settings.consumer_key_env",
        "accounts[0].settings.consumer_secret_env",
    }
    assert "MYSHOP_WC_SECRET" in problems["accounts[0].settings.consumer_secret_env"].message
    assert problems["accounts[0].settings.consumer_secret_env"].fix.startswith(
        "export MYSHOP_WC_SECRET=..."
    )
    assert problems["accounts[0].settings.consumer_key_env"].file == str(EXAMPLE)


def test_example_passes_check_config_with_a_test_connector(test_connectors: str) -> None:
    config = load_config(EXAMPLE, env=EXAMPLE_ENV)
    # The test group registers only a stand-in "woocommerce" connector.
    config = replace(config, accounts=config.accounts[:1])
    assert check_config(config, group=test_connectors) == []
    # Validation registers nothing: a connector registers its secrets when it is built
    # (tests/sdk/test_secrets.py), so an account that is only checked leaves nothing behind.
    secret = EXAMPLE_ENV["MYSHOP_WC_SECRET"]
    assert get_redactor().scrub_text(secret) == secret


@pytest.mark.skipif(
    "woocommerce" not in known_connectors(),
    reason="the woocommerce connector is registered once orderhub is pip-installed",
)
def test_example_passes_check_config_with_the_real_woocommerce_connector() -> None:
    config = load_config(EXAMPLE, env=EXAMPLE_ENV)
    assert check_config(config) == []


# --- locating the file -----------------------------------------------------------------------


def test_missing_file_at_the_default_path_gives_an_empty_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(env={"ORDERHUB_DATABASE_URL": "sqlite:///elsewhere.db"})
    assert config.path is None
    assert config.accounts == ()
    assert config.database_url == "sqlite:///elsewhere.db"
    assert config.log_level == "info"


def test_missing_default_file_is_an_error_when_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as excinfo:
        load_config(env={}, require_file=True)
    (problem,) = excinfo.value.problems
    assert problem.file == "orderhub.toml"
    assert "does not exist" in problem.message
    assert "orderhub.example.toml" in problem.fix


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", env={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(env={"ORDERHUB_CONFIG": str(tmp_path / "nope.toml")})


def test_default_path_follows_orderhub_config(write_config: WriteConfig) -> None:
    path = write_config("""
        [orderhub]
        log_level = "debug"
    """)
    assert default_config_path({}) == Path("orderhub.toml")
    assert default_config_path({"ORDERHUB_CONFIG": str(path)}) == path
    config = load_config(env={"ORDERHUB_CONFIG": str(path)})
    assert config.path == path
    assert config.log_level == "debug"


def test_default_path_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERHUB_CONFIG", "/etc/orderhub/orderhub.toml")
    assert default_config_path() == Path("/etc/orderhub/orderhub.toml")
    monkeypatch.delenv("ORDERHUB_CONFIG")
    assert default_config_path() == Path("orderhub.toml")


# --- shape problems --------------------------------------------------------------------------


def test_malformed_toml_names_file_line_and_column(write_config: WriteConfig) -> None:
    path = write_config("""
        [orderhub]
        log_level = "info"
        database_url = sqlite:///x.db
    """)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, env={})
    (problem,) = excinfo.value.problems
    assert problem.file == str(path)
    assert "line 4" in problem.message
    assert "column" in problem.message
    assert problem.fix
    assert str(problem).startswith(f"{path}: invalid TOML")


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "orderhub.toml"
    path.write_bytes(b'[orderhub]\nlog_level = "\xff"\n')
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(path, env={})


def test_unknown_keys_suggest_the_close_match(write_config: WriteConfig) -> None:
    path = write_config("""
        [orderhub]
        log_levl = "info"

        [[acounts]]
        id = "x"

        [[accounts]]
        id = "my-shop"
        connector = "woocommerce"
        intervall = "5m"
        [accounts.settings]
        base_url = "https://x"
    """)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, env={})
    problems = problems_of(excinfo)
    assert set(problems) == {"acounts", "orderhub.log_levl", "accounts[0].intervall"}
    assert 'Did you mean "accounts"?' in problems["acounts"].fix
    assert 'Did you mean "log_level"?' in problems["orderhub.log_levl"].fix
    assert 'Did you mean "interval"?' in problems["accounts[0].intervall"].fix
    text = str(excinfo.value)
    assert text.startswith("3 configuration problems:")
    assert all(str(problem) in text for problem in excinfo.value.problems)


def test_every_account_problem_is_reported_at_once(write_config: WriteConfig) -> None:
    path = write_config("""
        [[accounts]]
        connector = "woocommerce"

        [[accounts]]
        id = "second"

        [[accounts]]
        id = "Bad Id!"
        connector = "woocommerce"
        interval = "5 minutes"

        [[accounts]]
        id = "fast"
        connector = "woocommerce"
        interval = 5

        [[accounts]]
        id = "jittery"
        connector = "woocommerce"
        interval = "1m"
        jitter = "2m"

        [[accounts]]
        id = "flag"
        connector = "woocommerce"
        enabled = "yes"

        [[accounts]]
        id = "fast"
        connector = "woocommerce"
    """)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, env={})
    problems = problems_of(excinfo)
    assert set(problems) == {
        "accounts[0].id",
        "accounts[1].connector",
        "accounts[2].id",
        "accounts[2].interval",
        "accounts[3].interval",
        "accounts[4].jitter",
        "accounts[5].enabled",
        "accounts[6].id",
    }
    assert "missing account id" in problems["accounts[0].id"].message
    assert "missing connector" in problems["accounts[1].connector"].message
    assert "invalid account id" in problems["accounts[2].id"].message
    assert "5 minutes" in problems["accounts[2].interval"].message
    assert "minimum of 10 seconds" in problems["accounts[3].interval"].message
    assert "shorter than the poll interval" in problems["accounts[4].jitter"].message
    assert 'duplicate account id "fast"' in problems["accounts[6].id"].message
    assert "accounts[3]" in problems["accounts[6].id"].message
    for problem in problems.values():
        assert problem.file == str(path)
        assert problem.fix


def test_accounts_written_as_a_single_table(write_config: WriteConfig) -> None:
    path = write_config("""
        [accounts]
        id = "x"
    """)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, env={})
    (problem,) = excinfo.value.problems
    assert problem.key == "accounts"
    assert "[[accounts]]" in problem.fix


def test_bad_log_level_and_format(write_config: WriteConfig) -> None:
    path = write_config("""
        [orderhub]
        log_level = "verbose"
        log_format = "jsno"
    """)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, env={})
    problems = problems_of(excinfo)
    assert "debug, info, warning, error" in problems["orderhub.log_level"].message
    assert 'Did you mean "json"?' in problems["orderhub.log_format"].fix


def test_log_settings_from_the_environment_win(write_config: WriteConfig) -> None:
    path = write_config("""
        [orderhub]
        log_level = "info"
        log_format = "console"
    """)
    config = load_config(path, env={"ORDERHUB_LOG_LEVEL": "DEBUG", "ORDERHUB_LOG_FORMAT": "json"})
    assert (config.log_level, config.log_format) == ("debug", "json")
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, env={"ORDERHUB_LOG_LEVEL": "loud"})
    (problem,) = excinfo.value.problems
    assert (problem.file, problem.key) == (None, "ORDERHUB_LOG_LEVEL")


def test_interval_jitter_and_enabled_defaults(write_config: WriteConfig) -> None:
    path = write_config("""
        [[accounts]]
        id = "a"
        connector = "woocommerce"

        [[accounts]]
        id = "b"
        connector = "woocommerce"
        interval = 60
        enabled = false

        [[accounts]]
        id = "c"
        connector = "woocommerce"
        interval = "1h"
        jitter = "5s"
    """)
    a, b, c = load_config(path, env={}).accounts
    assert (a.interval, a.jitter, a.enabled) == (timedelta(minutes=5), timedelta(seconds=30), True)
    assert (b.interval, b.jitter, b.enabled) == (timedelta(minutes=1), timedelta(seconds=6), False)
    assert (c.interval, c.jitter) == (timedelta(hours=1), timedelta(seconds=5))
    assert a.settings == {}


# --- secrets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["consumer_secret", "consumer_key", "refresh_token", "client_secret", "api_key", "password"],
)
def test_literal_secret_is_refused_without_echoing_it(write_config: WriteConfig, key: str) -> None:
    value = "LITERAL-SECRET-VALUE-0123456789"
    path = write_config(f"""
        [[accounts]]
        id = "my-shop"
        connector = "woocommerce"
        [accounts.settings]
        base_url = "https://shop.example.com"
        {key} = "{value}"
    """)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, env={})
    (problem,) = excinfo.value.problems
    assert problem.key == f"accounts[0].settings.{key}"
    assert problem.message == "secrets are not read from the file."
    assert f'set {key}_env = "VAR" and export VAR' in problem.fix
    assert value not in str(excinfo.value)
    assert value not in repr(excinfo.value.problems)
    assert str(problem).startswith(f"{path}: accounts[0].settings.{key}: secrets are not read")


def test_secret_like_names_that_are_not_secrets_are_accepted(write_config: WriteConfig) -> None:
    path = write_config("""
        [[accounts]]
        id = "my-shop"
        connector = "ebay"
        [accounts.settings]
        token_url = "https://api.ebay.com/identity/v1/oauth2/token"
        key_prefix = "ebay"
        marketplace_id = "EBAY_GB"
    """)
    (account,) = load_config(path, env={}).accounts
    assert account.settings["token_url"].endswith("/token")


def test_env_variable_resolution(write_config: WriteConfig) -> None:
    path = write_config("""
        [[accounts]]
        id = "my-shop"
        connector = "woocommerce"
        [accounts.settings]
        base_url_env = "SHOP_URL"
        consumer_key_env = "SHOP_KEY"
    """)
    (account,) = load_config(
        path, env={"SHOP_URL": "https://shop.example.com", "SHOP_KEY": "ck_1"}
    ).accounts
    assert account.settings == {"base_url": "https://shop.example.com", "consumer_key": "ck_1"}
    assert account.env_fields == {"base_url", "consumer_key"}


def test_unset_and_empty_variables(write_config: WriteConfig) -> None:
    path = write_config("""
        [[accounts]]
        id = "my-shop"
        connector = "woocommerce"
        [accounts.settings]
        consumer_key_env = "SHOP_KEY"
        consumer_secret_env = "SHOP_SECRET"
        api_key_env = "not a variable name"
    """)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, env={"SHOP_KEY": ""})
    problems = problems_of(excinfo)
    assert "SHOP_KEY (holding consumer_key) is empty" in (
        problems["accounts[0].settings.consumer_key_env"].message
    )
    assert "SHOP_SECRET (holding consumer_secret) is not set" in (
        problems["accounts[0].settings.consumer_secret_env"].message
    )
    assert problems["accounts[0].settings.consumer_secret_env"].fix.startswith(
        "export SHOP_SECRET=..."
    )
    assert "name of an environment variable" in problems["accounts[0].settings.api_key_env"].message


def test_both_literal_and_env_for_one_field(write_config: WriteConfig) -> None:
    path = write_config("""
        [[accounts]]
        id = "my-shop"
        connector = "woocommerce"
        [accounts.settings]
        base_url = "https://a"
        base_url_env = "SHOP_URL"
    """)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, env={"SHOP_URL": "https://b"})
    (problem,) = excinfo.value.problems
    assert problem.key == "accounts[0].settings.base_url_env"
    assert "both base_url and base_url_env" in problem.message


def test_disabled_account_does_not_read_its_variables(write_config: WriteConfig) -> None:
    path = write_config("""
        [[accounts]]
        id = "later"
        connector = "woocommerce"
        enabled = false
        [accounts.settings]
        base_url = "https://shop.example.com"
        consumer_secret_env = "NOT_SET_ANYWHERE"
    """)
    config = load_config(path, env={"NOT_SET_ANYWHERE": "present-but-unread"})
    (account,) = config.accounts
    assert account.settings == {"base_url": "https://shop.example.com"}
    assert config.enabled_accounts == ()
    assert load_config(path, env={}).accounts[0].id == "later"


# --- build_settings and check_config ---------------------------------------------------------


class ApiSettings(ConnectorSettings):
    region: str = "eu"
    api_key: SecretStr
    signing_material: SecretStr | None = None
    page_size: int = 50


def account_with(settings: dict[str, object], env_fields: set[str]) -> AccountConfig:
    return AccountConfig(
        id="api-shop",
        connector="apishop",
        enabled=True,
        interval=timedelta(minutes=5),
        settings=dict(settings),
        index=2,
        env_fields=frozenset(env_fields),
    )


def test_build_settings_validates_without_registering_secrets() -> None:
    account = account_with({"api_key": "key-from-env-123", "region": "na"}, {"api_key"})
    settings = build_settings(account, ApiSettings, "orderhub.toml")
    assert isinstance(settings, ApiSettings)
    assert settings.api_key.get_secret_value() == "key-from-env-123"
    assert settings.region == "na"
    assert get_redactor().scrub_text("sent key-from-env-123") == "sent key-from-env-123"


def test_build_settings_turns_validation_errors_into_problems() -> None:
    account = account_with(
        {"api_key": "key-from-env-456", "regoin": "na", "page_size": "key-from-env-456"},
        {"api_key", "page_size"},
    )
    with pytest.raises(ConfigError) as excinfo:
        build_settings(account, ApiSettings, "orderhub.toml")
    problems = problems_of(excinfo)
    assert set(problems) == {"accounts[2].settings.regoin", "accounts[2].settings.page_size"}
    assert 'Did you mean "region"?' in problems["accounts[2].settings.regoin"].fix
    assert "page_size_env" in problems["accounts[2].settings.page_size"].fix
    assert "key-from-env-456" not in str(excinfo.value)
    assert all(problem.file == "orderhub.toml" for problem in problems.values())


def test_build_settings_missing_secret_says_how_to_provide_it() -> None:
    with pytest.raises(ConfigError) as excinfo:
        build_settings(account_with({}, set()), ApiSettings, None)
    (problem,) = excinfo.value.problems
    assert problem.key == "accounts[2].settings.api_key"
    assert problem.message == "missing setting."
    assert 'set api_key_env = "VAR"' in problem.fix
    assert str(problem).startswith("accounts[2].settings.api_key: missing setting.")


def test_build_settings_refuses_a_secret_field_written_in_the_file() -> None:
    # "signing_material" does not look like a secret by name, but the model says it is.
    account = account_with(
        {"api_key": "from-env-789", "signing_material": "LITERAL-IN-FILE"}, {"api_key"}
    )
    with pytest.raises(ConfigError) as excinfo:
        build_settings(account, ApiSettings, "orderhub.toml")
    (problem,) = excinfo.value.problems
    assert problem.key == "accounts[2].settings.signing_material"
    assert "secrets are not read from the file" in problem.message
    assert "LITERAL-IN-FILE" not in str(excinfo.value)


def test_account_without_index_is_named_by_id() -> None:
    account = AccountConfig(
        id="loose", connector="apishop", enabled=True, interval=timedelta(minutes=1)
    )
    assert account.jitter == timedelta(seconds=6)
    with pytest.raises(ConfigError) as excinfo:
        build_settings(account, ApiSettings, None)
    assert excinfo.value.problems[0].key == 'accounts["loose"].settings.api_key'


def test_check_config_reports_unknown_and_broken_connectors(
    write_config: WriteConfig, test_connectors: str
) -> None:
    path = write_config("""
        [[accounts]]
        id = "typo"
        connector = "wocommerce"

        [[accounts]]
        id = "broken"
        connector = "broken"

        [[accounts]]
        id = "disabled-typo"
        connector = "amazn"
        enabled = false

        [[accounts]]
        id = "disabled-without-secrets"
        connector = "apishop"
        enabled = false
        [accounts.settings]
        api_key_env = "UNSET_VAR"

        [[accounts]]
        id = "bad-settings"
        connector = "apishop"
        [accounts.settings]
        region = 3
        api_key_env = "API_KEY"
    """)
    config = load_config(path, env={"API_KEY": "api-key-secret-value"})
    problems = {problem.key: problem for problem in check_config(config, group=test_connectors)}
    assert set(problems) == {
        "accounts[0].connector",
        "accounts[1].connector",
        "accounts[2].connector",
        "accounts[4].settings.region",
    }
    typo = problems["accounts[0].connector"]
    assert 'connector "wocommerce"' in typo.message
    assert "apishop, broken, woocommerce" in typo.message
    assert 'Did you mean "woocommerce"?' in typo.fix
    assert "pip install" in typo.fix
    assert "a dependency of this connector is missing" in problems["accounts[1].connector"].message
    assert problems["accounts[4].settings.region"].file == str(path)
    assert "api-key-secret-value" not in " ".join(str(p) for p in problems.values())


def test_check_config_on_an_empty_config_is_clean() -> None:
    config = AppConfig(
        path=None, database_url="sqlite://", log_level="info", log_format="auto", accounts=()
    )
    assert check_config(config) == []


# --- the database URL ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config_url", "env", "expected"),
    [
        (None, {}, "sqlite:///orderhub.db"),
        ("sqlite:////var/lib/orderhub/orderhub.db", {}, "sqlite:////var/lib/orderhub/orderhub.db"),
        ("sqlite:///file.db", {"ORDERHUB_DATABASE_URL": "sqlite:///env.db"}, "sqlite:///env.db"),
        (None, {"ORDERHUB_DATABASE_URL": ""}, "sqlite:///orderhub.db"),
        ("sqlite://", {}, "sqlite://"),
        ("sqlite+pysqlite:///x.db", {}, "sqlite+pysqlite:///x.db"),
        ("postgresql://oh@db:5432/orderhub", {}, "postgresql+psycopg://oh@db:5432/orderhub"),
        ("postgres://oh:pw@db/orderhub", {}, "postgresql+psycopg://oh:pw@db/orderhub"),
        ("postgresql+psycopg://oh@db/orderhub", {}, "postgresql+psycopg://oh@db/orderhub"),
        ("postgresql://oh:p%40ss%2Fw@db/oh", {}, "postgresql+psycopg://oh:p%40ss%2Fw@db/oh"),
    ],
)
def test_database_url_resolution(
    config_url: str | None, env: dict[str, str], expected: str
) -> None:
    assert resolve_database_url(config_url, env) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://oh:hunter2-db-pass@db/orderhub", 'database "mysql" is not supported'),
        ("postgresql+psycopg2://oh:hunter2-db-pass@db/oh", 'driver "psycopg2" is not supported'),
        ("sqlite+aiosqlite:///x.db", 'driver "aiosqlite" is not supported'),
        ("not a url hunter2-db-pass", "cannot be parsed"),
    ],
)
def test_bad_database_url_from_the_file(url: str, expected: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        resolve_database_url(url, {}, file="orderhub.toml")
    (problem,) = excinfo.value.problems
    assert (problem.file, problem.key) == ("orderhub.toml", "orderhub.database_url")
    assert expected in problem.message
    assert problem.fix
    assert "hunter2-db-pass" not in str(excinfo.value)


def test_bad_database_url_from_the_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError) as excinfo:
        resolve_database_url("sqlite:///fine.db", {"ORDERHUB_DATABASE_URL": "oracle://x/y"})
    (problem,) = excinfo.value.problems
    assert (problem.file, problem.key) == (None, "ORDERHUB_DATABASE_URL")
    assert str(problem).startswith("ORDERHUB_DATABASE_URL: ")


def test_bad_database_url_in_the_file_is_one_of_the_problems(write_config: WriteConfig) -> None:
    path = write_config("""
        [orderhub]
        database_url = "mssql://x/y"
        log_level = "loud"
    """)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, env={})
    assert set(problems_of(excinfo)) == {"orderhub.database_url", "orderhub.log_level"}


# --- durations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("90s", 90),
        ("5m", 300),
        ("1h", 3600),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("2d", 172800),
        ("1.5m", 90),
        ("10S", 10),
        ("120", 120),
        (45, 45),
        (2.5, 2.5),
        (0, 0),
    ],
)
def test_parse_duration(value: str | int | float, seconds: float) -> None:
    assert parse_duration(value) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "value",
    ["", "  ", "5 minutes", "m5", "5x", "1h30", "-5", "-5m", -1, True, "inf", float("nan"), 1e300],
)
def test_parse_duration_refuses(value: object) -> None:
    with pytest.raises(ValueError, match=r"(invalid|empty) duration") as excinfo:
        parse_duration(value)  # type: ignore[arg-type]
    assert any(hint in str(excinfo.value) for hint in ("90s", "negative", "too long"))


def test_config_error_with_one_problem_reads_as_that_problem() -> None:
    problem = ConfigProblem("orderhub.toml", "accounts[0].id", "missing account id.", "Add id.")
    assert str(ConfigError([problem])) == (
        "orderhub.toml: accounts[0].id: missing account id. Fix: Add id."
    )
