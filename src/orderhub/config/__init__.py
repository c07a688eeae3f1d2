"""Configuration: one TOML file for the shape, environment variables for the secrets.

The file (``./orderhub.toml``, or the path in ``$ORDERHUB_CONFIG``) holds the accounts and
their non-secret settings; every secret is named by ``<field>_env = "VAR"`` and read from the
environment, so the file can be committed and shared. ``config/orderhub.example.toml`` (at
the top of the repository) documents every key.

The file's shape is a set of pydantic models (:mod:`.models`, :mod:`.sections`,
:mod:`.alerts`): every table refuses unknown keys, durations are read by :mod:`.durations`,
secrets by reference by :mod:`.secrets`. :func:`load_config` checks what it can without
importing connectors and reports *all* problems at once, each with the key at fault and a
fix in orderhub's own words (:mod:`.problems`, :mod:`.fields`). :func:`check_config` goes
further (the connector exists, the settings validate against its model); ``orderhub config
check`` runs both.

Disabled accounts (``enabled = false``) are parsed and shape-checked, but their ``*_env``
variables are not read (a disabled account may lack credentials on purpose) and their
settings are not validated; :func:`check_config` still checks their connector exists.
No message ever contains a secret value: problems name keys and variables, not values.
"""

from orderhub.config.checking import build_settings, check_config
from orderhub.config.durations import MAX_DURATION, Duration, human_duration, parse_duration
from orderhub.config.loading import (
    CONFIG_ENV,
    DATABASE_URL_ENV,
    DEFAULT_CONFIG_FILE,
    DEFAULT_DATABASE_URL,
    LOG_FORMAT_ENV,
    LOG_FORMATS,
    LOG_LEVEL_ENV,
    MAX_TEXT,
    default_config_path,
    load_config,
    resolve_database_url,
)
from orderhub.config.models import ACCOUNT_ID_RE, DEFAULT_INTERVAL, MIN_INTERVAL
from orderhub.config.problems import ConfigError, ConfigProblem, did_you_mean, shorten_words
from orderhub.config.secrets import ENV_NAME_RE, SecretRef, looks_secret, secret_fields
from orderhub.config.values import AUTO_JITTER, AccountConfig, AppConfig, default_jitter

__all__ = [
    "ACCOUNT_ID_RE",
    "AUTO_JITTER",
    "CONFIG_ENV",
    "DATABASE_URL_ENV",
    "DEFAULT_CONFIG_FILE",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_INTERVAL",
    "ENV_NAME_RE",
    "LOG_FORMATS",
    "LOG_FORMAT_ENV",
    "LOG_LEVEL_ENV",
    "MAX_DURATION",
    "MAX_TEXT",
    "MIN_INTERVAL",
    "AccountConfig",
    "AppConfig",
    "ConfigError",
    "ConfigProblem",
    "Duration",
    "SecretRef",
    "build_settings",
    "check_config",
    "default_config_path",
    "default_jitter",
    "did_you_mean",
    "human_duration",
    "load_config",
    "looks_secret",
    "parse_duration",
    "resolve_database_url",
    "secret_fields",
    "shorten_words",
]
