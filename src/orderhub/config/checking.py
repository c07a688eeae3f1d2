"""The deeper check behind ``orderhub config check``: each account's connector exists and
its settings validate against the connector's model (:func:`build_settings`)."""

from __future__ import annotations

from typing import cast

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from orderhub.config.fields import describe
from orderhub.config.problems import ConfigError, ConfigProblem, did_you_mean
from orderhub.config.secrets import secret_fields
from orderhub.config.values import AccountConfig, AppConfig
from orderhub.registry import CONNECTOR_GROUP, ConnectorLoadError, load_connector
from orderhub.sdk.connector import ConnectorSettings

__all__ = ["build_settings", "check_config", "connector_problem"]


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
        for found in exc.errors(include_url=False, include_input=True, include_context=True):
            error = found
            loc = ".".join(str(part) for part in error["loc"])
            field_name = str(error["loc"][0]) if error["loc"] else ""
            key = f"{prefix}.{loc}" if loc else prefix
            kind = error["type"]
            from_env = field_name in secrets or field_name in account.env_fields
            if from_env:
                # Never quote a value that came from a variable.
                error = cast(ErrorDetails, {k: v for k, v in found.items() if k != "input"})
            if kind == "missing" and field_name in account.unset_fields:
                continue  # its unset variable is already reported, with its fix
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
                    f"{did_you_mean(field_name, spellings)}Remove it or rename it; known "
                    f"settings: {', '.join(known) or 'none'}."
                )
            else:
                # Our own sentence for pydantic's error type; the connector's validator
                # messages as they are (without "Value error, ").
                _key, message, _fix = describe(settings_model, error, prefix)
                for value in env_values:
                    message = message.replace(value, "***")
                if from_env:
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
            problems.append(connector_problem(account, exc, config.file))
            continue
        if not account.enabled:
            continue
        try:
            build_settings(account, cls.settings_model, config.file)
        except ConfigError as exc:
            problems.extend(exc.problems)
    return problems


def connector_problem(
    account: AccountConfig, error: ConnectorLoadError, file: str | None
) -> ConfigProblem:
    """An account's connector that cannot be loaded, as a problem of its ``connector`` key."""
    return ConfigProblem(
        file,
        f"{account.key}.connector",
        f'connector "{account.connector}": {error.reason}.',
        error.fix,
    )
