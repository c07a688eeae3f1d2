"""Configuration: one TOML file for the shape, environment variables for the secrets.

The file (``./orderhub.toml``, or the path in ``$ORDERHUB_CONFIG``) holds the accounts and
their non-secret settings; every secret is named by ``<field>_env = "VAR"`` and read from the
environment, so the file can be committed and shared. ``config/orderhub.example.toml``
documents every key.

:func:`load_config` checks what it can without importing connectors and reports *all*
problems at once, each with the key at fault and a fix. :func:`check_config` goes further
(the connector exists, the settings validate against its model); ``orderhub config check``
runs both.

Disabled accounts (``enabled = false``) are parsed and shape-checked, but their ``*_env``
variables are not read (a disabled account may lack credentials on purpose) and their
settings are not validated; :func:`check_config` still checks their connector exists.
No message ever contains a secret value: problems name keys and variables, not values.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, get_args

from pydantic import SecretStr, ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from orderhub.alerts.settings import AlertsConfig, read_alerts_config
from orderhub.logs import LEVELS
from orderhub.matching.settings import MatchingConfig, read_matching_config
from orderhub.metrics import MetricsConfig, read_metrics_config
from orderhub.registry import CONNECTOR_GROUP, ConnectorLoadError, load_connector
from orderhub.sdk.connector import ConnectorSettings
from orderhub.sdk.secrets import looks_secret
from orderhub.shipping.settings import ShippingConfig, read_shipping_config
from orderhub.store.retention import RetentionConfig, read_retention_config
from orderhub.web.settings import WebConfig, read_web_config

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "DEFAULT_DATABASE_URL",
    "AccountConfig",
    "AppConfig",
    "ConfigError",
    "ConfigProblem",
    "build_settings",
    "check_config",
    "default_config_path",
    "load_config",
    "parse_duration",
    "resolve_database_url",
]

DEFAULT_CONFIG_FILE = "orderhub.toml"
DEFAULT_DATABASE_URL = "sqlite:///orderhub.db"
CONFIG_ENV = "ORDERHUB_CONFIG"
DATABASE_URL_ENV = "ORDERHUB_DATABASE_URL"
LOG_LEVEL_ENV = "ORDERHUB_LOG_LEVEL"
LOG_FORMAT_ENV = "ORDERHUB_LOG_FORMAT"

LOG_FORMATS = ("auto", "json", "console")
DEFAULT_INTERVAL = timedelta(minutes=5)
MIN_INTERVAL = timedelta(seconds=10)
MAX_DEFAULT_JITTER = timedelta(seconds=30)
# The default of AccountConfig.jitter: "10% of the interval, at most 30 s" (a real jitter is
# never negative, so a negative value can stand for "not given").
AUTO_JITTER = timedelta(seconds=-1)

ACCOUNT_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

TOP_LEVEL_KEYS = (
    "orderhub",
    "accounts",
    "shipments",
    "carriers",
    "metrics",
    "matching",
    "web",
    "alerts",
    "retention",
)
ORDERHUB_KEYS = ("database_url", "log_level", "log_format")
ACCOUNT_KEYS = ("id", "connector", "enabled", "interval", "jitter", "settings")

# --- problems --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with the configuration: where, what, and how to fix it.

    ``file`` is the configuration file as given (None for problems in the environment),
    ``key`` the dotted key at fault (``accounts[0].settings.consumer_secret``; empty for
    the file as a whole).
    """

    file: str | None
    key: str
    message: str
    fix: str

    def __post_init__(self) -> None:
        # A message may quote the value at fault; a value of 200 KB must not be printed
        # back whole (twice, with the fix).
        object.__setattr__(self, "message", shorten_words(self.message))
        object.__setattr__(self, "fix", shorten_words(self.fix))

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.key) if part)
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.message} Fix: {self.fix}"


class ConfigError(Exception):
    """The configuration cannot be used. ``problems`` holds every problem found, not just
    the first, so one ``orderhub config check`` shows them all."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} configuration problems:"]
        lines += [f"- {problem}" for problem in self.problems]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._render()


#: Longer runs of text without a space are cut when a problem quotes them.
_LONG_WORD = re.compile(r"\S{121,}")
#: No setting needs a longer text (names, URLs, paths, variable names all fit easily).
MAX_TEXT = 4096
#: The longest duration a setting takes: 100 years keeps every date computed from one
#: (now + interval, now - retention) within what a date can hold.
MAX_DURATION = timedelta(days=36500)


def shorten_words(text: str) -> str:
    """``text`` with each run of over 120 characters without a space cut to its first 60,
    and its length said."""
    return _LONG_WORD.sub(lambda m: f"{m.group()[:60]}…({len(m.group())} characters)", text)


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


def _plain(message: str) -> str:
    """A validation message without pydantic's wording ("Value error, ...")."""
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    return message


def _did_you_mean(key: str, allowed: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    return f'Did you mean "{close[0]}"? ' if close else ""


# --- values ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountConfig:
    """One ``[[accounts]]`` entry, checked for shape.

    ``settings`` is the raw settings table with every ``<field>_env`` replaced by
    ``<field>`` = the variable's value (plain strings; :func:`build_settings` validates them
    into the connector's ``settings_model``, where secrets become ``SecretStr``). It is
    left out of ``repr`` because it holds secrets. ``env_fields`` names the settings that
    came from the environment; ``index`` is the position in the file (for messages).
    ``jitter`` is the random delay added to each run: given, or (left at ``AUTO_JITTER``)
    10% of ``interval``, at most 30 seconds.
    """

    id: str
    connector: str
    enabled: bool
    interval: timedelta
    settings: dict[str, Any] = field(default_factory=dict, repr=False, hash=False)
    jitter: timedelta = AUTO_JITTER
    index: int | None = None
    env_fields: frozenset[str] = frozenset()
    problems: tuple[ConfigProblem, ...] = ()

    def __post_init__(self) -> None:
        if self.jitter < timedelta(0):  # AUTO_JITTER: derive it from the interval
            object.__setattr__(self, "jitter", default_jitter(self.interval))

    @property
    def key(self) -> str:
        """How problems name this account: ``accounts[2]`` (or ``accounts["id"]``)."""
        return f"accounts[{self.index}]" if self.index is not None else f'accounts["{self.id}"]'


@dataclass(frozen=True)
class AppConfig:
    """The whole configuration. ``path`` is None when no file was read."""

    path: Path | None
    database_url: str
    log_level: str
    log_format: str
    accounts: tuple[AccountConfig, ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, hash=False)
    shipping: ShippingConfig = field(default_factory=ShippingConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    web: WebConfig = field(default_factory=WebConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    #: Where ``database_url`` came from: the variable, "[orderhub] database_url", or None
    #: for the default.
    database_url_key: str | None = None

    @property
    def file(self) -> str | None:
        """The file as given, for messages."""
        return str(self.path) if self.path is not None else None

    @property
    def enabled_accounts(self) -> tuple[AccountConfig, ...]:
        """The accounts the worker schedules."""
        return tuple(account for account in self.accounts if account.enabled)

    def account(self, account_id: str) -> AccountConfig:
        """The account with this id. Raises KeyError naming the configured ids."""
        for account in self.accounts:
            if account.id == account_id:
                return account
        known = ", ".join(a.id for a in self.accounts) or "none"
        raise KeyError(f'no account "{account_id}" in the configuration (configured: {known})')


def default_jitter(interval: timedelta) -> timedelta:
    """10% of the interval, at most 30 seconds."""
    return min(interval * 0.1, MAX_DEFAULT_JITTER)


_DURATION_PART_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)", re.IGNORECASE)
_DURATION_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


def human_duration(delta: timedelta) -> str:
    """The largest whole unit of ``delta``, as durations are written in the configuration
    (``"3d"``, ``"5h"``, ``"2m"``, ``"40s"``; negative with a ``-``), for tables and pages."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{sign}{seconds // size}{unit}"
    return f"{sign}{seconds}s"


def parse_duration(value: str | int | float) -> timedelta:
    """Parse ``"90s"``, ``"5m"``, ``"1h30m"``, ``"2d"`` or a number of seconds.

    Raises ValueError with a message saying what is accepted, for anything else (including
    negative, infinite or boolean values).
    """
    accepted = 'use a number of seconds or a duration like "90s", "5m", "1h30m" or "2d"'
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"invalid duration {value!r}: {accepted}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = value.strip()
        if not text:
            raise ValueError(f"empty duration: {accepted}")
        try:
            seconds = float(text)
        except ValueError:
            seconds = 0.0
            position = 0
            compact = text.replace(" ", "")
            for match in _DURATION_PART_RE.finditer(compact):
                if match.start() != position:
                    break
                seconds += float(match.group(1)) * _DURATION_UNITS[match.group(2).lower()]
                position = match.end()
            if position != len(compact) or position == 0:
                raise ValueError(f"invalid duration {value!r}: {accepted}") from None
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError(f"invalid duration {value!r}: {accepted}")
    if seconds < 0:
        raise ValueError(f"invalid duration {value!r}: it must not be negative")
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"invalid duration {value!r}: it is too long: at most 100 years (36500d)")
    return timedelta(seconds=seconds)


# --- database URL ----------------------------------------------------------------------------


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

    Raises :class:`ConfigError` with every problem found.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    explicit = path is not None or bool(environ.get(CONFIG_ENV, "").strip())
    config_path = Path(path) if path is not None else default_config_path(environ)
    file = str(config_path)
    problems: list[ConfigProblem] = []

    data: dict[str, Any] = {}
    found = True
    try:
        text = config_path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        found = False
        if explicit or require_file:
            raise ConfigError(
                [
                    ConfigProblem(
                        file,
                        "",
                        "the configuration file does not exist.",
                        "Create it (start from config/orderhub.example.toml) or point "
                        f"{CONFIG_ENV} / --config at the right file.",
                    )
                ]
            ) from None
    except UnicodeDecodeError:
        raise ConfigError(
            [ConfigProblem(file, "", "the file is not UTF-8 text.", "Save it as UTF-8.")]
        ) from None
    except OSError as exc:
        raise ConfigError(
            [
                ConfigProblem(
                    file,
                    "",
                    f"the file cannot be read ({exc.strerror or type(exc).__name__}).",
                    "Check the path and its permissions.",
                )
            ]
        ) from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            # tomllib's message carries "(at line L, column C)".
            raise ConfigError(
                [
                    ConfigProblem(
                        file,
                        "",
                        f"invalid TOML: {exc}.",
                        "Correct the syntax at that line (strings need quotes, tables are "
                        "[name], accounts are [[accounts]]).",
                    )
                ]
            ) from None

    problem_file = file if found else None

    for key in data:
        if key not in TOP_LEVEL_KEYS:
            problems.append(
                ConfigProblem(
                    problem_file,
                    key,
                    "unknown top-level key.",
                    f"{_did_you_mean(key, TOP_LEVEL_KEYS)}Known keys: [orderhub], [[accounts]], "
                    "[shipments], [carriers.<channel>], [matching], [metrics], [web], [alerts] "
                    "and [retention].",
                )
            )

    for key, length in _long_texts(data):
        problems.append(
            ConfigProblem(
                problem_file,
                key,
                f"is {length} characters long; no setting takes more than {MAX_TEXT}.",
                "Write the value meant here (a name, URL, path or variable name); "
                "check the quotes around it are where you meant them.",
            )
        )

    database_url, log_level, log_format = _read_orderhub_table(
        data.get("orderhub", {}), environ, problem_file, problems
    )
    accounts = _read_accounts(
        data.get("accounts", []), environ, problem_file, problems, defer_missing_secrets
    )

    def add(key: str, message: str, fix: str) -> None:
        problems.append(ConfigProblem(problem_file, key, message, fix))

    metrics = read_metrics_config(
        data,
        add=add,
        did_you_mean=_did_you_mean,
    )
    shipping = read_shipping_config(
        data,
        add=add,
        parse_duration=parse_duration,
        did_you_mean=_did_you_mean,
    )
    web = read_web_config(
        data,
        add=add,
        parse_duration=parse_duration,
        did_you_mean=_did_you_mean,
    )
    matching = read_matching_config(
        data,
        add=add,
        did_you_mean=_did_you_mean,
        parse_duration=parse_duration,
    )

    alerts = read_alerts_config(
        data,
        environ,
        add=add,
        parse_duration=parse_duration,
        did_you_mean=_did_you_mean,
    )
    retention = read_retention_config(
        data,
        add=add,
        parse_duration=parse_duration,
    )

    if problems:
        if deep:
            # Every problem in one pass: the accounts that read cleanly are checked against
            # their connectors too, not only after the file's own problems are fixed.
            partial = AppConfig(
                path=config_path if found else None,
                database_url=DEFAULT_DATABASE_URL,
                log_level="info",
                log_format="auto",
                accounts=tuple(accounts),
                raw=data,
            )
            problems.extend(check_config(partial))
        raise ConfigError(problems)
    return AppConfig(
        path=config_path if found else None,
        database_url=database_url,
        log_level=log_level,
        log_format=log_format,
        accounts=tuple(accounts),
        raw=data,
        database_url_key=(
            DATABASE_URL_ENV
            if environ.get(DATABASE_URL_ENV, "").strip()
            else "[orderhub] database_url"
            if isinstance(data.get("orderhub", {}).get("database_url"), str)
            else None
        ),
        shipping=shipping,
        matching=matching,
        metrics=metrics,
        web=web,
        alerts=alerts,
        retention=retention,
    )


def _read_orderhub_table(
    table: Any, env: Mapping[str, str], file: str | None, problems: list[ConfigProblem]
) -> tuple[str, str, str]:
    if not isinstance(table, dict):
        problems.append(
            ConfigProblem(
                file,
                "orderhub",
                "must be a table.",
                'Write it as a [orderhub] section with keys like log_level = "info".',
            )
        )
        table = {}
    for key in table:
        if key not in ORDERHUB_KEYS:
            problems.append(
                ConfigProblem(
                    file,
                    f"orderhub.{key}",
                    "unknown key.",
                    f"{_did_you_mean(key, ORDERHUB_KEYS)}Known keys: {', '.join(ORDERHUB_KEYS)}.",
                )
            )

    database_url = DEFAULT_DATABASE_URL
    config_url = table.get("database_url")
    if config_url is not None and not isinstance(config_url, str):
        problems.append(
            ConfigProblem(
                file,
                "orderhub.database_url",
                "must be a string.",
                'Quote it: database_url = "sqlite:///orderhub.db".',
            )
        )
        config_url = None
    try:
        database_url = resolve_database_url(config_url, env, file=file)
    except ConfigError as exc:
        problems.extend(exc.problems)

    log_level = _choice(
        table,
        "log_level",
        default="info",
        allowed=tuple(LEVELS),
        env_value=env.get(LOG_LEVEL_ENV),
        file=file,
        problems=problems,
    )
    log_format = _choice(
        table,
        "log_format",
        default="auto",
        allowed=LOG_FORMATS,
        env_value=env.get(LOG_FORMAT_ENV),
        file=file,
        problems=problems,
    )
    return database_url, log_level, log_format


def _choice(
    table: dict[str, Any],
    key: str,
    *,
    default: str,
    allowed: tuple[str, ...],
    env_value: str | None,
    file: str | None,
    problems: list[ConfigProblem],
) -> str:
    """A string among ``allowed``; the environment variable, when set, wins over the file."""
    env_name = {"log_level": LOG_LEVEL_ENV, "log_format": LOG_FORMAT_ENV}[key]
    if env_value:
        value, where, where_file = env_value, env_name, None
    else:
        value, where, where_file = table.get(key, default), f"orderhub.{key}", file
    if isinstance(value, str) and value.lower() in allowed:
        return value.lower()
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    problems.append(
        ConfigProblem(
            where_file,
            where,
            f"{shown} is not one of {', '.join(allowed)}.",
            f"{_did_you_mean(str(value).lower(), allowed)}Use one of: {', '.join(allowed)}.",
        )
    )
    return default


def _read_accounts(
    entries: Any,
    env: Mapping[str, str],
    file: str | None,
    problems: list[ConfigProblem],
    defer_missing_secrets: bool = False,
) -> list[AccountConfig]:
    if not isinstance(entries, list):
        problems.append(
            ConfigProblem(
                file,
                "accounts",
                "must be a list of tables.",
                "Write each account as its own [[accounts]] section (double brackets).",
            )
        )
        return []
    accounts: list[AccountConfig] = []
    first_index: dict[str, int] = {}
    for index, entry in enumerate(entries):
        account = _read_account(
            index, entry, env, file, problems, defer_missing_secrets=defer_missing_secrets
        )
        # Duplicates are checked on the raw id, so they are reported even when one of the
        # two accounts has other problems.
        account_id = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(account_id, str):
            if account_id in first_index:
                first = first_index[account_id]
                problems.append(
                    ConfigProblem(
                        file,
                        f"accounts[{index}].id",
                        f'duplicate account id "{account_id}" (also accounts[{first}]).',
                        "Give every account a unique id; the id keys its orders and sync state.",
                    )
                )
                continue
            first_index[account_id] = index
        if account is not None:
            accounts.append(account)
    return accounts


def _read_account(
    index: int,
    entry: Any,
    env: Mapping[str, str],
    file: str | None,
    problems: list[ConfigProblem],
    *,
    defer_missing_secrets: bool = False,
) -> AccountConfig | None:
    """Check one account table; append its problems; return it when it has none (or only
    deferred ones: unset secret variables, in ``defer_missing_secrets`` mode)."""
    prefix = f"accounts[{index}]"
    before = len(problems)
    deferred: list[ConfigProblem] = []

    def add(key: str, message: str, fix: str) -> None:
        problems.append(ConfigProblem(file, f"{prefix}{key}", message, fix))

    def add_missing(key: str, message: str, fix: str) -> None:
        target = deferred if defer_missing_secrets else problems
        target.append(ConfigProblem(file, f"{prefix}{key}", message, fix))

    if not isinstance(entry, dict):
        add("", "must be a table.", "Write each account as an [[accounts]] section.")
        return None

    for key in entry:
        if key not in ACCOUNT_KEYS:
            add(
                f".{key}",
                "unknown account key.",
                f"{_did_you_mean(key, ACCOUNT_KEYS)}Account keys are {', '.join(ACCOUNT_KEYS)}; "
                "connector settings go under [accounts.settings].",
            )

    account_id = entry.get("id")
    if account_id is None:
        add(".id", "missing account id.", 'Add id = "my-shop" (lower case letters, digits, - _).')
    elif not isinstance(account_id, str) or not ACCOUNT_ID_RE.fullmatch(account_id):
        add(
            ".id",
            f"invalid account id {account_id!r}.",
            "Use 1 to 63 characters: lower case letters, digits, '-' and '_', starting with "
            'a letter or digit (e.g. "my-shop").',
        )

    connector = entry.get("connector")
    if connector is None:
        add(
            ".connector",
            "missing connector.",
            'Add connector = "woocommerce" (see `orderhub connectors list`).',
        )
    elif not isinstance(connector, str) or not connector.strip():
        add(".connector", "must be a connector name.", 'Write e.g. connector = "woocommerce".')

    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        add(".enabled", "must be true or false.", "Write enabled = true (without quotes).")

    interval = DEFAULT_INTERVAL
    if "interval" in entry:
        try:
            interval = parse_duration(entry["interval"])
        except ValueError as exc:
            add(".interval", f"{exc}.", 'Write e.g. interval = "5m".')
        else:
            if interval < MIN_INTERVAL:
                add(
                    ".interval",
                    f"the poll interval {entry['interval']!r} is below the minimum of 10 seconds.",
                    'Use at least "10s"; the channels rate-limit faster polling anyway.',
                )

    jitter = AUTO_JITTER
    if "jitter" in entry:
        try:
            jitter = parse_duration(entry["jitter"])
        except ValueError as exc:
            add(".jitter", f"{exc}.", 'Write e.g. jitter = "5s".')
        else:
            if jitter >= interval:
                add(
                    ".jitter",
                    "the jitter must be shorter than the poll interval.",
                    "Use a few seconds, or leave it out (default: 10% of the interval, at "
                    "most 30 s).",
                )

    settings_table = entry.get("settings", {})
    settings: dict[str, Any] = {}
    env_fields: set[str] = set()
    if not isinstance(settings_table, dict):
        add(
            ".settings",
            "must be a table.",
            "Write the connector's settings under an [accounts.settings] section.",
        )
    else:
        active = enabled is not False
        settings, env_fields = _resolve_settings(
            settings_table,
            env,
            active=active,
            add=add,
            add_missing=add_missing,
            prefix=".settings",
        )

    if len(problems) > before:
        return None
    return AccountConfig(
        id=str(account_id),
        connector=str(connector),
        enabled=bool(enabled),
        interval=interval,
        settings=settings,
        jitter=jitter,
        index=index,
        env_fields=frozenset(env_fields),
        problems=tuple(deferred),
    )


def _resolve_settings(
    table: dict[str, Any],
    env: Mapping[str, str],
    *,
    active: bool,
    add: Callable[[str, str, str], None],
    add_missing: Callable[[str, str, str], None],
    prefix: str,
) -> tuple[dict[str, Any], set[str]]:
    """Replace ``<field>_env = "VAR"`` with ``<field> = $VAR`` and refuse literal secrets."""
    settings: dict[str, Any] = {}
    env_fields: set[str] = set()
    for key, value in table.items():
        if key.endswith("_env") and len(key) > 4:
            target = key[: -len("_env")]
            if target in table:
                add(
                    f"{prefix}.{key}",
                    f"both {target} and {key} are set.",
                    f"Keep only {key} (the environment variable holding the value).",
                )
                continue
            if not isinstance(value, str) or not ENV_NAME_RE.fullmatch(value):
                add(
                    f"{prefix}.{key}",
                    "must be the name of an environment variable.",
                    f'Write {key} = "MY_VARIABLE" and export MY_VARIABLE=... before starting '
                    "orderhub.",
                )
                continue
            if not active:
                continue  # disabled accounts may lack credentials: not read, not reported
            resolved = env.get(value, "")
            if not resolved:
                state = "is empty" if value in env else "is not set"
                add_missing(
                    f"{prefix}.{key}",
                    f"the environment variable {value} (holding {target}) {state}.",
                    f"export {value}=... in the environment orderhub runs in (or fix the "
                    "variable name).",
                )
                continue
            settings[target] = resolved
            env_fields.add(target)
        elif looks_secret(key) and isinstance(value, str):
            # Never repeat the value: the message goes to terminals, logs and CI output.
            add(
                f"{prefix}.{key}",
                "secrets are not read from the file.",
                f'set {key}_env = "VAR" and export VAR (then remove {key} from the file, and '
                "rotate the secret if the file was shared).",
            )
        else:
            settings[key] = value
    return settings, env_fields


# --- building and checking -------------------------------------------------------------------


def _is_secret_annotation(annotation: Any) -> bool:
    # get_args unpacks Optional/Union/X | None/Annotated alike.
    if annotation is SecretStr:
        return True
    return any(_is_secret_annotation(arg) for arg in get_args(annotation))


def secret_fields(settings_model: type[ConnectorSettings]) -> frozenset[str]:
    """The fields of a settings model declared as ``SecretStr`` (or ``SecretStr | None``)."""
    return frozenset(
        name
        for name, info in settings_model.model_fields.items()
        if _is_secret_annotation(info.annotation)
    )


def build_settings(
    account: AccountConfig, settings_model: type[ConnectorSettings], file: str | None
) -> ConnectorSettings:
    """Validate an account's settings into the connector's ``settings_model``.

    Called by the worker and by :func:`check_config` for enabled accounts. The connector registers
    the secrets with the log redactor when it is built, not here. Raises
    :class:`ConfigError` whose problems name ``accounts[i].settings.<field>`` and a fix;
    a ``SecretStr`` field written literally in the file is refused too. Messages never
    contain the values.
    """
    prefix = f"{account.key}.settings"
    secrets = secret_fields(settings_model)
    problems: list[ConfigProblem] = []
    for name in sorted(secrets):
        if name in account.settings and name not in account.env_fields:
            problems.append(
                ConfigProblem(
                    file,
                    f"{prefix}.{name}",
                    "secrets are not read from the file.",
                    f'set {name}_env = "VAR" and export VAR.',
                )
            )
    if problems:
        raise ConfigError(problems)

    # Values that came from the environment, scrubbed from any validator message that
    # might quote its input.
    env_values = sorted(
        (str(account.settings[name]) for name in account.env_fields if account.settings.get(name)),
        key=len,
        reverse=True,
    )
    known = sorted(settings_model.model_fields)
    try:
        settings = settings_model.model_validate(account.settings)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False, include_context=False):
            loc = ".".join(str(part) for part in error["loc"])
            field_name = str(error["loc"][0]) if error["loc"] else ""
            key = f"{prefix}.{loc}" if loc else prefix
            kind = error["type"]
            if kind == "missing":
                message = "missing setting."
                if field_name in secrets:
                    fix = f'set {field_name}_env = "VAR" in {prefix} and export VAR.'
                else:
                    fix = f"add {field_name} = ... under [accounts.settings] of {account.key}."
            elif kind == "extra_forbidden":
                message = f'the connector "{account.connector}" has no setting "{field_name}".'
                # Suggest against the keys as the file spells them: a secret is only ever
                # written as <field>_env, any other setting as <field> or <field>_env.
                spellings = [
                    spelling
                    for name in known
                    for spelling in ((f"{name}_env",) if name in secrets else (name, f"{name}_env"))
                ]
                fix = (
                    f"{_did_you_mean(field_name, spellings)}Remove it or rename it; known "
                    f"settings: {', '.join(known) or 'none'}."
                )
            else:
                message = _plain(str(error["msg"]))
                for value in env_values:
                    message = message.replace(value, "***")
                message = message.rstrip(".") + "."
                if field_name in secrets or field_name in account.env_fields:
                    fix = f"correct the value of the environment variable behind {field_name}_env."
                else:
                    fix = f"correct {field_name} under [accounts.settings] of {account.key}."
            problems.append(ConfigProblem(file, key, message, fix))
        raise ConfigError(problems) from None
    return settings


def check_config(config: AppConfig, *, group: str | None = None) -> list[ConfigProblem]:
    """The deeper check behind ``orderhub config check``: every account's connector is
    installed and loads, and every enabled account's settings validate against it.

    Returns the problems (empty when all is well); never raises for a bad account.
    ``group`` overrides the entry-point group (tests).
    """
    problems: list[ConfigProblem] = []
    for account in config.accounts:
        try:
            cls = load_connector(account.connector, group=group or CONNECTOR_GROUP)
        except ConnectorLoadError as exc:
            problems.append(
                ConfigProblem(
                    config.file,
                    f"{account.key}.connector",
                    f'connector "{account.connector}": {exc.reason}.',
                    exc.fix,
                )
            )
            continue
        if not account.enabled:
            continue
        try:
            build_settings(account, cls.settings_model, config.file)
        except ConfigError as exc:
            problems.extend(exc.problems)
    return problems
