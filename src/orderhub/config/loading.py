"""Reading the file: TOML, then the models of :mod:`orderhub.config.models`, then the
environment (secrets, the store's URL, the log settings), every problem in one pass."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from orderhub.alerts.settings import AlertsConfig, Destination
from orderhub.config.alerts import AlertsTable, read_destinations
from orderhub.config.checking import check_config
from orderhub.config.models import DEFAULT_INTERVAL, AccountTable, ConfigFile
from orderhub.config.problems import ConfigError, ConfigProblem, Problems, did_you_mean
from orderhub.config.secrets import resolve_settings
from orderhub.config.sections import carrier_codes
from orderhub.config.values import AUTO_JITTER, AccountConfig, AppConfig
from orderhub.logs import LEVELS

__all__ = ["default_config_path", "load_config", "resolve_database_url"]

DEFAULT_CONFIG_FILE = "orderhub.toml"
DEFAULT_DATABASE_URL = "sqlite:///orderhub.db"
CONFIG_ENV = "ORDERHUB_CONFIG"
DATABASE_URL_ENV = "ORDERHUB_DATABASE_URL"
LOG_LEVEL_ENV = "ORDERHUB_LOG_LEVEL"
LOG_FORMAT_ENV = "ORDERHUB_LOG_FORMAT"
LOG_FORMATS = ("auto", "json", "console")
#: No setting needs a longer text (names, URLs, paths, variable names all fit easily).
MAX_TEXT = 4096


def _long_texts(value: Any, key: str = "") -> Iterator[tuple[str, int]]:
    """(dotted key, length) of every text in the parsed file longer than :data:`MAX_TEXT`."""
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            yield key, len(value)
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _long_texts(item, f"{key}.{name}" if key else str(name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _long_texts(item, f"{key}[{index}]")


def resolve_database_url(
    config_url: str | None,
    env: Mapping[str, str],
    *,
    file: str | None = None,
    env_name: str = DATABASE_URL_ENV,
) -> str:
    """The database URL to use: ``$ORDERHUB_DATABASE_URL`` > the file's ``database_url`` >
    ``sqlite:///orderhub.db`` (a file in the current directory).

    Only SQLite and PostgreSQL are supported. ``postgresql://`` and ``postgres://`` are
    rewritten to ``postgresql+psycopg://`` so psycopg 3 is used. Raises :class:`ConfigError`
    naming the key (or variable) and the fix; the URL's password is never echoed.
    ``env_name`` is how problems name the environment value (``--database-url`` when the
    command-line flag supplied it).
    """
    from_env = env.get(DATABASE_URL_ENV, "").strip()
    if from_env:
        url_text, problem_file, key = from_env, None, env_name
    elif config_url:
        url_text, problem_file, key = config_url.strip(), file, "orderhub.database_url"
    else:
        return DEFAULT_DATABASE_URL

    examples = '"sqlite:///orderhub.db" or "postgresql://user@host:5432/orderhub"'

    def problem(message: str, fix: str) -> ConfigError:
        return ConfigError([ConfigProblem(problem_file, key, message, fix)])

    if "://" not in url_text and re.fullmatch(r"[\w./~\\:-]+", url_text):
        # A bare path ("orderhub.db") is the most common slip: say what URL it means.
        raise problem(
            f"{url_text!r} is not a database URL (it has no scheme).",
            f'For a SQLite file write "sqlite:///{url_text}"; otherwise use a URL such as '
            f"{examples}.",
        )
    try:
        url = make_url(url_text)
    except (ArgumentError, ValueError):
        raise problem(
            "the database URL cannot be parsed.", f"Use a SQLAlchemy URL such as {examples}."
        ) from None
    shown = url.render_as_string(hide_password=True)
    backend, _, driver = url.drivername.partition("+")
    if backend in ("postgres", "postgresql"):
        if driver not in ("", "psycopg"):
            raise problem(
                f'the PostgreSQL driver "{driver}" is not supported ({shown}).',
                'Use "postgresql://..." (orderhub uses psycopg 3: postgresql+psycopg).',
            )
        if url.drivername == "postgresql+psycopg":
            return url_text
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise problem(
                f'the SQLite driver "{driver}" is not supported ({shown}).',
                'Use "sqlite:///path/to/orderhub.db".',
            )
        return url_text
    raise problem(
        f'the database "{backend}" is not supported ({shown}); orderhub runs on SQLite and '
        "PostgreSQL.",
        f"Use {examples}.",
    )


# --- loading ---------------------------------------------------------------------------------


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$ORDERHUB_CONFIG`` if set, else ``./orderhub.toml``."""
    environ = os.environ if env is None else env
    value = environ.get(CONFIG_ENV, "").strip()
    return Path(value) if value else Path(DEFAULT_CONFIG_FILE)


def _read_file(config_path: Path, *, explicit: bool) -> tuple[dict[str, Any], bool]:
    """The parsed TOML and whether the file exists; a file that cannot be read or parsed
    is a :class:`ConfigError` of its own (nothing else can be checked then)."""
    file = str(config_path)

    def refuse(message: str, fix: str) -> ConfigError:
        return ConfigError([ConfigProblem(file, "", message, fix)])

    try:
        text = config_path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        if explicit:
            raise refuse(
                "the configuration file does not exist.",
                "Create it (start from config/orderhub.example.toml) or point "
                f"{CONFIG_ENV} / --config at the right file.",
            ) from None
        return {}, False
    except UnicodeDecodeError:
        raise refuse("the file is not UTF-8 text.", "Save it as UTF-8.") from None
    except OSError as exc:
        raise refuse(
            f"the file cannot be read ({exc.strerror or type(exc).__name__}).",
            "Check the path and its permissions.",
        ) from None
    try:
        return tomllib.loads(text), True
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message carries "(at line L, column C)".
        raise refuse(
            f"invalid TOML: {exc}.",
            "Correct the syntax at that line (strings need quotes, tables are [name], "
            "accounts are [[accounts]]).",
        ) from None


def load_config(
    path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    require_file: bool = False,
    defer_missing_secrets: bool = False,
    deep: bool = False,
) -> AppConfig:
    """Read and check the configuration file, resolving secrets from ``env``.

    ``path`` None means the default (:func:`default_config_path`). A missing file is fine
    only at ``./orderhub.toml`` chosen by default and without ``require_file``: the result
    has no accounts, so commands that need no account work without a configuration. A file
    named explicitly (``path`` or ``$ORDERHUB_CONFIG``) must exist. ``env`` defaults to
    ``os.environ``.

    ``defer_missing_secrets`` (the worker's mode) keeps an enabled account whose secret's
    environment variable is unset: the problem goes into that account's ``problems`` instead
    of failing the whole file, so one account missing its credentials never stops the others.
    ``deep`` also checks the accounts that read cleanly against their connectors when the
    file has problems, so ``config check`` shows everything in one pass.

    Raises :class:`ConfigError` with every problem found.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    explicit = path is not None or bool(environ.get(CONFIG_ENV, "").strip())
    config_path = Path(path) if path is not None else default_config_path(environ)
    data, found = _read_file(config_path, explicit=explicit or require_file)
    problems = Problems(str(config_path) if found else None)

    for key, length in _long_texts(data):
        problems.add(
            key,
            f"is {length} characters long; no setting takes more than {MAX_TEXT}.",
            "Write the value meant here (a name, URL, path or variable name); check the "
            "quotes around it are where you meant them.",
        )
    shape: ConfigFile | None
    try:
        shape = ConfigFile.model_validate(data, context={"env": environ})
    except ValidationError as exc:
        problems.from_validation(exc, ConfigFile)
        shape = None

    orderhub = data.get("orderhub")
    orderhub_table = orderhub if isinstance(orderhub, dict) else {}
    database_url, database_url_key = _database_url(orderhub_table, environ, problems)
    log_level = _choice(
        orderhub_table, "log_level", "info", allowed=tuple(LEVELS), env=environ, problems=problems
    )
    log_format = _choice(
        orderhub_table, "log_format", "auto", allowed=LOG_FORMATS, env=environ, problems=problems
    )
    accounts, checkable = _read_accounts(
        data.get("accounts"), environ, problems, defer_missing_secrets
    )
    # The destinations and carriers are read even when another table failed, so their
    # problems show in the same pass.
    destinations = read_destinations(_tables_at(data, "alerts", "destinations"), environ, problems)
    carriers = data.get("carriers")
    codes = carrier_codes(shape.carriers if shape is not None else _carriers(carriers), problems)

    path_read = config_path if found else None
    if problems or shape is None:
        if deep:
            partial = AppConfig(
                path=path_read,
                database_url=DEFAULT_DATABASE_URL,
                log_level="info",
                log_format="auto",
                accounts=(*accounts, *checkable),
                raw=data,
            )
            problems.extend(check_config(partial))
        raise ConfigError(problems)
    return AppConfig(
        path=path_read,
        database_url=database_url,
        log_level=log_level,
        log_format=log_format,
        accounts=tuple(accounts),
        raw=data,
        database_url_key=database_url_key,
        shipping=shape.shipments.to_config(codes),
        matching=shape.matching.to_config(),
        metrics=shape.metrics.to_config(),
        web=shape.web.to_config(),
        alerts=_alerts(shape.alerts, destinations),
        retention=shape.retention.to_config(),
    )


def _alerts(table: AlertsTable, destinations: tuple[Destination, ...]) -> AlertsConfig:
    return table.to_config(destinations)


def _tables_at(data: Mapping[str, Any], *keys: str) -> list[dict[str, Any]]:
    """The tables in the list at ``data[keys...]``, or none when it is not a list (the
    model reports that)."""
    value: Any = data
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _carriers(value: Any) -> dict[str, dict[str, str]]:
    if not isinstance(value, dict):
        return {}
    return {
        str(channel): {str(k): v for k, v in mapping.items() if isinstance(v, str) and v.strip()}
        for channel, mapping in value.items()
        if isinstance(mapping, dict)
    }


def _database_url(
    table: Mapping[str, Any], env: Mapping[str, str], problems: Problems
) -> tuple[str, str | None]:
    """The store's URL and where it came from (the variable, the file's key, or None for
    the default)."""
    config_url = table.get("database_url")
    if not isinstance(config_url, str):
        config_url = None  # a wrong type is the model's problem
    try:
        url = resolve_database_url(config_url, env, file=problems.file)
    except ConfigError as exc:
        problems.extend(exc.problems)
        url = DEFAULT_DATABASE_URL
    if env.get(DATABASE_URL_ENV, "").strip():
        return url, DATABASE_URL_ENV
    return url, "[orderhub] database_url" if config_url is not None else None


def _choice(
    table: Mapping[str, Any],
    key: str,
    default: str,
    *,
    allowed: tuple[str, ...],
    env: Mapping[str, str],
    problems: Problems,
) -> str:
    """A string among ``allowed``; the environment variable, when set, wins over the file."""
    env_name = {"log_level": LOG_LEVEL_ENV, "log_format": LOG_FORMAT_ENV}[key]
    env_value = env.get(env_name)
    if env_value:
        value, where, where_file = env_value, env_name, None
    else:
        value, where, where_file = table.get(key, default), f"orderhub.{key}", problems.file
        if not isinstance(value, str):
            return default  # the model reports the wrong type
    if value.lower() in allowed:
        return value.lower()
    problems.extend(
        [
            ConfigProblem(
                where_file,
                where,
                f'"{value}" is not one of {", ".join(allowed)}.',
                f"{did_you_mean(value.lower(), allowed)}Use one of: {', '.join(allowed)}.",
            )
        ]
    )
    return default


def _read_accounts(
    entries: Any, env: Mapping[str, str], problems: Problems, defer_missing_secrets: bool
) -> tuple[list[AccountConfig], list[AccountConfig]]:
    """Each ``[[accounts]]`` entry on its own (the model reports a non-list or a non-table
    entry): the accounts that read cleanly, and those whose only problems are in their own
    keys (their connector settings can still be checked, for one pass). A duplicate id is
    found on the raw ids, even when one of the two has other problems."""
    if not isinstance(entries, list):
        return [], []
    accounts: list[AccountConfig] = []
    checkable: list[AccountConfig] = []
    first_index: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        account, settings_ok = _read_account(index, entry, env, problems, defer_missing_secrets)
        account_id = entry.get("id")
        if isinstance(account_id, str):
            if account_id in first_index:
                first = first_index[account_id]
                problems.add(
                    f"accounts[{index}].id",
                    f'duplicate account id "{account_id}" (also accounts[{first}]).',
                    "Give every account a unique id; the id keys its orders and sync state.",
                )
                continue
            first_index[account_id] = index
        if account is not None:
            (accounts if not settings_ok else checkable).append(account)
    return accounts, checkable


def _read_account(
    index: int,
    entry: dict[str, Any],
    env: Mapping[str, str],
    problems: Problems,
    defer_missing_secrets: bool,
) -> tuple[AccountConfig | None, bool]:
    """One account and False when it reads cleanly (unset secret variables, in
    ``defer_missing_secrets`` mode, go into the account's ``problems``); the account made
    of what can be read and True when only its own keys are wrong (so its settings can be
    checked against the connector too); or None."""
    prefix = f"accounts[{index}]"
    before = len(problems)
    # Unset variables are kept apart from the account's other problems: they are the
    # environment's, not the file's, so the settings can still be checked in this pass.
    missing = Problems(problems.file)
    table: AccountTable | None
    try:
        table = AccountTable.model_validate(entry)
    except ValidationError as exc:
        problems.from_validation(exc, AccountTable, prefix)
        table = None
    shape_problems = len(problems)
    raw_settings = entry.get("settings", {})
    settings: dict[str, Any] = {}
    env_fields: set[str] = set()
    enabled = entry.get("enabled", True)
    if isinstance(raw_settings, dict):
        settings, env_fields = resolve_settings(
            raw_settings,
            env,
            active=enabled is not False,
            problems=problems,
            missing=missing,
            prefix=f"{prefix}.settings",
        )
    unset_fields = frozenset(_env_targets(raw_settings) - env_fields)
    if not defer_missing_secrets:
        problems.extend(missing)
    file_problems = len(problems) - (0 if defer_missing_secrets else len(missing))
    if table is not None and len(problems) == before:
        return AccountConfig(
            id=table.id,
            connector=table.connector,
            enabled=table.enabled,
            interval=table.interval,
            settings=settings,
            jitter=table.jitter if table.jitter is not None else AUTO_JITTER,
            index=index,
            env_fields=frozenset(env_fields),
            unset_fields=unset_fields,
            problems=tuple(missing) if defer_missing_secrets else (),
        ), False
    connector = entry.get("connector")
    if (
        file_problems == shape_problems
        and isinstance(connector, str)
        and connector.strip()
        and isinstance(raw_settings, dict)
    ):
        account_id = entry.get("id")
        return AccountConfig(
            id=account_id if isinstance(account_id, str) else f"accounts[{index}]",
            connector=connector,
            enabled=enabled is not False,
            interval=DEFAULT_INTERVAL,
            settings=settings,
            index=index,
            env_fields=frozenset(env_fields),
            unset_fields=unset_fields,
        ), True
    return None, False


def _env_targets(settings: Any) -> set[str]:
    """The settings a table names by ``<field>_env``."""
    if not isinstance(settings, dict):
        return set()
    return {key[: -len("_env")] for key in settings if key.endswith("_env") and len(key) > 4}
