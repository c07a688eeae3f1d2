"""The ``[alerts]`` table: thresholds, quiet period and destinations (the shape is
documented in :mod:`orderhub.alerts.settings`, whose dataclasses these models produce)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, model_validator

from orderhub.alerts.settings import (
    MAX_COUNT,
    MAX_TIMEOUT,
    MAX_WARNING_DAYS,
    AlertsConfig,
    Destination,
    EmailDestination,
    WebhookDestination,
)
from orderhub.config.durations import Duration, duration
from orderhub.config.fields import Table, setting
from orderhub.config.problems import Problems, did_you_mean, invalid
from orderhub.config.secrets import SecretFromEnv, SecretRef, looks_secret
from orderhub.health import STATES, HealthRules

__all__ = ["AlertsTable", "read_destinations"]

_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_ADDRESS_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MUTABLE_CODES = tuple(code for code, doc in STATES.items() if doc.severity)
_DEFAULT = HealthRules()


def _mute_code(value: str) -> str:
    if value not in MUTABLE_CODES:
        raise invalid(
            f'"{value}" is not a problem code.',
            f"{did_you_mean(value, MUTABLE_CODES)}Codes: {', '.join(MUTABLE_CODES)}.",
        )
    return value


Rules_Off = Annotated[timedelta, duration(zero_ok=True)]


class RulesTable(Table):
    unknown_key = "unknown rule."
    keys_hint = "Rules: {keys}."

    failure_streak: int = setting(
        _DEFAULT.failure_streak,
        example="3",
        what=f"a count from 0 to {MAX_COUNT}",
        fix="Write failure_streak = 3 (0 switches it off).",
        ge=0,
        le=MAX_COUNT,
    )
    credentials_expiring_days: list[Annotated[int, Field(gt=0, le=MAX_WARNING_DAYS)]] = setting(
        list(_DEFAULT.credentials_expiring_days),
        example="[30, 7]",
        what=f"a list of days from 1 to {MAX_WARNING_DAYS}",
        fix="Write credentials_expiring_days = [30, 7].",
    )
    stale_intervals: int = setting(
        _DEFAULT.stale_intervals,
        example="3",
        what=f"a count from 0 to {MAX_COUNT}",
        fix="Write stale_intervals = 3 (0 switches it off).",
        ge=0,
        le=MAX_COUNT,
    )
    push_backlog_after: Rules_Off = setting(_DEFAULT.push_backlog_after, example='"1h"')
    awaiting_mapping_after: Rules_Off = setting(_DEFAULT.awaiting_mapping_after, example='"24h"')
    quarantined: bool = setting(_DEFAULT.quarantined, example="true")
    pushes: bool = setting(_DEFAULT.pushes, example="true")
    mute: list[Annotated[str, AfterValidator(_mute_code)]] = setting(
        [], example='["quarantined"]', what="a list of problem codes"
    )

    def rules(self) -> HealthRules:
        given = self.model_fields_set - {"mute"}
        values: dict[str, Any] = {name: getattr(self, name) for name in given}
        if "credentials_expiring_days" in values:
            values["credentials_expiring_days"] = tuple(
                sorted(set(self.credentials_expiring_days), reverse=True)
            )
        return HealthRules(**values)


class AlertsTable(Table):
    keys_hint = "Keys: {keys}."

    quiet_period: Duration = setting(timedelta(hours=6), example='"6h"')
    check_interval: Duration = setting(timedelta(seconds=30), example='"30s"')
    rules: RulesTable = setting(
        RulesTable(), example="3", fix="Write [alerts.rules] followed by thresholds."
    )
    #: Each destination is checked against the model of its type by
    #: :func:`read_destinations`.
    destinations: list[dict[str, Any]] = setting(
        [],
        example="[]",
        what="a list of tables",
        fix="Write each destination as its own [[alerts.destinations]] section.",
    )

    def to_config(self, destinations: tuple[Destination, ...]) -> AlertsConfig:
        return AlertsConfig(
            rules=self.rules.rules(),
            mute=frozenset(self.rules.mute),
            quiet_period=self.quiet_period,
            check_interval=self.check_interval,
            destinations=destinations,
        )


def _name(value: str) -> str:
    if not _NAME_RE.fullmatch(value):
        raise invalid("invalid name.", 'Write name = "ops-webhook".')
    return value


def _address(value: str) -> str:
    if not _ADDRESS_RE.fullmatch(value):
        raise invalid("is not an e-mail address.")
    return value


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Name = Annotated[str, AfterValidator(_name)]
Address = Annotated[str, AfterValidator(_address)]
Timeout = Annotated[float, Field(gt=0, le=MAX_TIMEOUT)]
_TIMEOUT_WHAT = f"a number of seconds above 0 and at most {MAX_TIMEOUT}"


class _DestinationTable(Table):
    keys_hint = "Keys: {keys}."

    name: Name = setting(example='"ops-webhook"')
    timeout: Timeout = setting(10.0, example="10", what=_TIMEOUT_WHAT)


class WebhookTable(_DestinationTable):
    unknown_key = "unknown key for a webhook destination."

    type: Literal["webhook"] = setting(example='"webhook"')
    url: str | None = setting(None, example='"https://..."', secret=True)
    url_env: SecretFromEnv | None = setting(None, example='"ORDERHUB_ALERT_WEBHOOK_URL"')
    format: Literal["json", "slack"] = setting("json", example='"json"')

    @model_validator(mode="after")
    def _one_url(self) -> WebhookTable:
        if self.url is not None and self.url_env is not None:
            raise invalid("both url and url_env are set.", "Keep only url_env.", key="url_env")
        url = self.address
        if url is None:
            raise invalid("missing url.", 'Write url_env = "VAR" and export VAR.', key="url")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            # Never repeat the URL: it usually carries the hook's token.
            raise invalid("is not an http(s) URL.", "Give the webhook's full URL.", key="url")
        return self

    @property
    def address(self) -> str | None:
        if self.url_env is not None:
            return self.url_env.get()
        return self.url.strip() if self.url is not None else None

    def destination(self) -> WebhookDestination:
        return WebhookDestination(
            self.name, str(self.address), format=self.format, timeout=self.timeout
        )


class EmailTable(_DestinationTable):
    unknown_key = "unknown key for an email destination."

    type: Literal["email"] = setting(example='"email"')
    host: str = setting(example='"smtp.example.com"', fix='Write host = "smtp.example.com".')
    port: int = setting(587, example="587", what="a port number", ge=1, le=65535)
    starttls: bool = setting(True, example="true")
    ssl: bool = setting(False, example="false")
    username: str | None = setting(None, example='"orderhub"')
    username_env: SecretFromEnv | None = setting(None, example='"SMTP_USER"')
    password_env: SecretFromEnv | None = setting(None, example='"SMTP_PASSWORD"')
    sender: Address = setting(
        example='"orderhub@example.com"', alias="from", what="an e-mail address"
    )
    to: Annotated[list[Address], BeforeValidator(_one_or_many), Field(min_length=1)] = setting(
        example='["ops@example.com"]', what="a list of recipient addresses"
    )
    ca_file: str | None = setting(None, example='"/etc/ssl/relay.pem"', what="a file path")

    @model_validator(mode="after")
    def _checks(self) -> EmailTable:
        if not self.host.strip():
            raise invalid("missing SMTP host.", 'Write host = "smtp.example.com".', key="host")
        if self.username is not None and self.username_env is not None:
            raise invalid(
                "both username and username_env are set.",
                "Keep only username_env.",
                key="username_env",
            )
        if self.ca_file is not None and not self.ca_file.strip():
            raise invalid(
                "must be a file path.", 'Write ca_file = "/etc/ssl/relay.pem".', key="ca_file"
            )
        return self

    def destination(self) -> EmailDestination:
        username = self.username_env.get() if self.username_env is not None else self.username
        password = self.password_env.get() if self.password_env is not None else None
        return EmailDestination(
            self.name,
            self.host.strip(),
            self.port,
            self.sender,
            tuple(self.to),
            starttls=self.starttls,
            ssl=self.ssl,
            username=username.strip() if username else None,
            password=password,
            timeout=self.timeout,
            ca_file=self.ca_file,
        )


_KINDS: dict[str, type[WebhookTable] | type[EmailTable]] = {
    "webhook": WebhookTable,
    "email": EmailTable,
}


def read_destinations(
    entries: list[dict[str, Any]], env: Mapping[str, str], problems: Problems
) -> tuple[Destination, ...]:
    """Each ``[[alerts.destinations]]`` checked against the model of its ``type``; names
    must be unique; a secret written in the file is refused without repeating it."""
    out: list[Destination] = []
    names: set[str] = set()
    for index, entry in enumerate(entries):
        prefix = f"alerts.destinations[{index}]"
        name = entry.get("name")
        if isinstance(name, str) and name in names:
            problems.add(
                f"{prefix}.name", f'duplicate destination "{name}".', "Give each one its own name."
            )
        if isinstance(name, str):
            names.add(name)
        kind = entry.get("type")
        model = _KINDS.get(kind) if isinstance(kind, str) else None
        if model is None:
            shown = f'"{kind}"' if isinstance(kind, str) else repr(kind)
            problems.add(
                f"{prefix}.type",
                f"{shown} is not a destination type.",
                'Write type = "webhook" or "email".',
            )
            continue
        table = dict(entry)
        for key in list(table):
            if not key.endswith("_env") and looks_secret(key) and isinstance(table[key], str):
                del table[key]
                problems.add(
                    f"{prefix}.{key}",
                    "secrets are not read from the file.",
                    f'Write {key}_env = "VAR" and export VAR.',
                )
        try:
            validated = model.model_validate(table, context={"env": env})
        except ValidationError as exc:
            problems.from_validation(exc, model, prefix)
            continue
        out.append(validated.destination())
    return tuple(out)


__all__ += ["EmailTable", "RulesTable", "SecretRef", "WebhookTable"]
