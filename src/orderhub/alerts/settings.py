"""The ``[alerts]`` table of the configuration file.

```toml
[alerts]
quiet_period = "6h"         # re-send a still-open alert after this long
check_interval = "30s"      # how often the worker evaluates the rules (also after each run)

[alerts.rules]              # thresholds of the health model; 0 or [] switches one off
failure_streak = 3
credentials_expiring_days = [30, 7]
stale_intervals = 3
push_backlog_after = "1h"
awaiting_mapping_after = "24h"
quarantined = true
pushes = true
mute = []                   # problem codes shown by `status` but never sent

[[alerts.destinations]]
name = "ops-webhook"
type = "webhook"
url_env = "ORDERHUB_ALERT_WEBHOOK_URL"   # a Slack or chat webhook URL is a secret
format = "json"                          # or "slack"

[[alerts.destinations]]
name = "ops-mail"
type = "email"
host = "smtp.example.com"
port = 587
starttls = true            # ssl = true for port 465; ca_file = "..." for a private CA
username_env = "SMTP_USER"
password_env = "SMTP_PASSWORD"
from = "orderhub@example.com"
to = ["ops@example.com"]
```
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from orderhub.health import STATES, HealthRules

ALERTS_KEYS = ("quiet_period", "check_interval", "rules", "destinations")
RULE_KEYS = (
    "failure_streak",
    "credentials_expiring_days",
    "stale_intervals",
    "push_backlog_after",
    "awaiting_mapping_after",
    "quarantined",
    "pushes",
    "mute",
)
WEBHOOK_KEYS = ("name", "type", "url", "url_env", "format", "timeout")
EMAIL_KEYS = (
    "name",
    "type",
    "host",
    "port",
    "starttls",
    "ssl",
    "username",
    "username_env",
    "password_env",
    "from",
    "to",
    "timeout",
    "ca_file",
)
#: Bounds of the rules' counts and the destinations' timeouts: beyond them a rule never
#: fires (or a date before it cannot be computed) and a send waits for ever.
MAX_COUNT = 100_000
MAX_WARNING_DAYS = 3650
MAX_TIMEOUT = 300
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_ADDRESS_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ENV_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class WebhookDestination:
    name: str
    url: str = field(repr=False)
    format: str = "json"  # json | slack
    timeout: float = 10.0
    kind: str = "webhook"


@dataclass(frozen=True)
class EmailDestination:
    name: str
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    starttls: bool = True
    ssl: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    #: extra certificate authority to trust (a relay with an internal certificate)
    ca_file: str | None = None
    kind: str = "email"


Destination = WebhookDestination | EmailDestination


@dataclass(frozen=True)
class AlertsConfig:
    """No destinations: nothing is sent (``status`` still shows every problem)."""

    rules: HealthRules = field(default_factory=HealthRules)
    mute: frozenset[str] = frozenset()
    quiet_period: timedelta = timedelta(hours=6)
    check_interval: timedelta = timedelta(seconds=30)
    destinations: tuple[Destination, ...] = ()

    @property
    def secrets(self) -> list[str]:
        """Values to scrub from every log line (webhook URLs carry their token)."""
        return [value for d in self.destinations for value in destination_secrets(d)]


def destination_secrets(destination: WebhookDestination | EmailDestination) -> list[str]:
    """The secret values a destination sends: a webhook's URL (it carries its token), an
    SMTP password."""
    if isinstance(destination, WebhookDestination):
        return [destination.url]
    return [destination.password] if destination.password else []


def read_alerts_config(
    data: Mapping[str, Any],
    env: Mapping[str, str],
    *,
    add: Callable[[str, str, str], None],
    parse_duration: Callable[[Any], timedelta],
    did_you_mean: Callable[[str, tuple[str, ...]], str],
) -> AlertsConfig:
    """Read ``[alerts]``; report each problem through ``add(key, message, fix)``."""
    table = data.get("alerts", {})
    if not isinstance(table, dict):
        add("alerts", "must be a table.", "Write [alerts] followed by its keys.")
        return AlertsConfig()
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in ALERTS_KEYS:
            add(
                f"alerts.{key}",
                "unknown key.",
                f"{did_you_mean(key, ALERTS_KEYS)}Keys: {', '.join(ALERTS_KEYS)}.",
            )
        elif key in ("quiet_period", "check_interval"):
            duration = _duration(f"alerts.{key}", value, add, parse_duration)
            if duration is not None:
                values[key] = duration
    rules, mute = _read_rules(table.get("rules", {}), add, parse_duration, did_you_mean)
    destinations = _read_destinations(table.get("destinations", []), env, add, did_you_mean)
    return AlertsConfig(rules=rules, mute=mute, destinations=destinations, **values)


def _duration(
    key: str,
    value: Any,
    add: Callable[[str, str, str], None],
    parse_duration: Callable[[Any], timedelta],
    *,
    zero_ok: bool = False,
) -> timedelta | None:
    if zero_ok and value in (0, "0", "off"):
        return timedelta(0)
    try:
        duration = parse_duration(value)
    except ValueError as exc:
        add(key, f"{exc}.", f'Write e.g. {key.rsplit(".", 1)[-1]} = "1h".')
        return None
    if duration <= timedelta(0) and not zero_ok:
        add(key, "must be positive.", f'Write e.g. {key.rsplit(".", 1)[-1]} = "1h".')
        return None
    return duration


def _read_rules(
    table: Any,
    add: Callable[[str, str, str], None],
    parse_duration: Callable[[Any], timedelta],
    did_you_mean: Callable[[str, tuple[str, ...]], str],
) -> tuple[HealthRules, frozenset[str]]:
    if not isinstance(table, dict):
        add("alerts.rules", "must be a table.", "Write [alerts.rules] followed by thresholds.")
        return HealthRules(), frozenset()
    values: dict[str, Any] = {}
    mute: set[str] = set()
    for key, value in table.items():
        where = f"alerts.rules.{key}"
        if key not in RULE_KEYS:
            add(
                where,
                "unknown rule.",
                f"{did_you_mean(key, RULE_KEYS)}Rules: {', '.join(RULE_KEYS)}.",
            )
        elif key in ("failure_streak", "stale_intervals"):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
                add(
                    where,
                    f"{value!r} is not a count from 0 to {MAX_COUNT}.",
                    f"Write {key} = 3 (0 switches it off).",
                )
            else:
                values[key] = value
        elif key == "credentials_expiring_days":
            if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_WARNING_DAYS
                for v in value
            ):
                add(
                    where,
                    f"must be a list of days from 1 to {MAX_WARNING_DAYS}.",
                    "Write credentials_expiring_days = [30, 7].",
                )
            else:
                values[key] = tuple(sorted(set(value), reverse=True))
        elif key in ("push_backlog_after", "awaiting_mapping_after"):
            duration = _duration(where, value, add, parse_duration, zero_ok=True)
            if duration is not None:
                values[key] = duration
        elif key in ("quarantined", "pushes"):
            if not isinstance(value, bool):
                add(where, "must be true or false.", f"Write {key} = true (without quotes).")
            else:
                values[key] = value
        else:  # mute
            codes = tuple(c for c, doc in STATES.items() if doc.severity)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                add(where, "must be a list of problem codes.", 'Write mute = ["quarantined"].')
                continue
            for code in value:
                if code not in codes:
                    add(
                        where,
                        f'"{code}" is not a problem code.',
                        f"{did_you_mean(code, codes)}Codes: {', '.join(codes)}.",
                    )
                else:
                    mute.add(code)
    return HealthRules(**values), frozenset(mute)


def _read_destinations(
    entries: Any,
    env: Mapping[str, str],
    add: Callable[[str, str, str], None],
    did_you_mean: Callable[[str, tuple[str, ...]], str],
) -> tuple[Destination, ...]:
    if not isinstance(entries, list):
        add(
            "alerts.destinations",
            "must be a list of tables.",
            "Write each destination as its own [[alerts.destinations]] section.",
        )
        return ()
    out: list[Destination] = []
    names: set[str] = set()
    for index, entry in enumerate(entries):
        prefix = f"alerts.destinations[{index}]"
        if not isinstance(entry, dict):
            add(prefix, "must be a table.", "Write [[alerts.destinations]] then its keys.")
            continue
        before: list[int] = [0]

        def problem(
            key: str, message: str, fix: str, _count: list[int] = before, _at: str = prefix
        ) -> None:
            _count[0] += 1
            add(f"{_at}{key}", message, fix)

        name = entry.get("name")
        if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
            problem(".name", "missing or invalid name.", 'Write name = "ops-webhook".')
        elif name in names:
            problem(".name", f'duplicate destination "{name}".', "Give each one its own name.")
        kind = entry.get("type")
        allowed = WEBHOOK_KEYS if kind == "webhook" else EMAIL_KEYS
        if kind not in ("webhook", "email"):
            problem(
                ".type",
                f"{kind!r} is not a destination type.",
                'Write type = "webhook" or "email".',
            )
            continue
        for key in entry:
            if key not in allowed:
                problem(
                    f".{key}",
                    f"unknown key for a {kind} destination.",
                    f"{did_you_mean(key, allowed)}Keys: {', '.join(allowed)}.",
                )
        timeout = entry.get("timeout", 10)
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not math.isfinite(timeout)
            or not 0 < timeout <= MAX_TIMEOUT
        ):
            problem(
                ".timeout",
                f"must be a number of seconds above 0 and at most {MAX_TIMEOUT}.",
                "Write timeout = 10.",
            )
            timeout = 10
        if kind == "webhook":
            url = _secret_or_value(entry, "url", env, problem)
            if url is not None:
                parts = urlsplit(url)
                if parts.scheme not in ("http", "https") or not parts.netloc:
                    # Never repeat the URL: it usually carries the hook's token.
                    problem(".url", "is not an http(s) URL.", "Give the webhook's full URL.")
            fmt = entry.get("format", "json")
            if fmt not in ("json", "slack"):
                problem(
                    ".format",
                    f"{fmt!r} is not a payload format.",
                    'Write format = "json" or "slack".',
                )
            if before[0] == 0 and url is not None:
                out.append(
                    WebhookDestination(str(name), url, format=str(fmt), timeout=float(timeout))
                )
        else:
            host = entry.get("host")
            if not isinstance(host, str) or not host.strip():
                problem(".host", "missing SMTP host.", 'Write host = "smtp.example.com".')
            port = entry.get("port", 587)
            if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
                problem(".port", f"{port!r} is not a port number.", "Write port = 587.")
            sender = entry.get("from")
            if not isinstance(sender, str) or not _ADDRESS_RE.fullmatch(sender):
                problem(
                    ".from",
                    "missing or invalid sender address.",
                    'Write from = "orderhub@example.com".',
                )
            to = entry.get("to")
            if isinstance(to, str):
                to = [to]
            if (
                not isinstance(to, list)
                or not to
                or not all(isinstance(a, str) and _ADDRESS_RE.fullmatch(a) for a in to)
            ):
                problem(".to", "must list recipient addresses.", 'Write to = ["ops@example.com"].')
            flags = {}
            for flag, default in (("starttls", True), ("ssl", False)):
                value = entry.get(flag, default)
                if not isinstance(value, bool):
                    problem(
                        f".{flag}",
                        "must be true or false.",
                        f"Write {flag} = {str(default).lower()}.",
                    )
                flags[flag] = bool(value)
            username = _secret_or_value(entry, "username", env, problem, required=False)
            password = None
            if "password" in entry:
                problem(
                    ".password",
                    "secrets are not read from the file.",
                    'Write password_env = "VAR" and export VAR.',
                )
            elif "password_env" in entry:
                password = _env_value(entry["password_env"], ".password_env", env, problem)
            ca_file = entry.get("ca_file")
            if ca_file is not None and (not isinstance(ca_file, str) or not ca_file.strip()):
                problem(".ca_file", "must be a file path.", 'Write ca_file = "/etc/ssl/relay.pem".')
            if before[0] == 0:
                out.append(
                    EmailDestination(
                        str(name),
                        str(host).strip(),
                        int(port),
                        str(sender),
                        tuple(str(a) for a in to or ()),
                        starttls=flags["starttls"],
                        ssl=flags["ssl"],
                        username=username,
                        password=password,
                        timeout=float(timeout),
                        ca_file=ca_file,
                    )
                )
        if isinstance(name, str):
            names.add(name)
    return tuple(out)


def _env_value(
    var: Any, key: str, env: Mapping[str, str], problem: Callable[[str, str, str], None]
) -> str | None:
    if not isinstance(var, str) or not _ENV_RE.fullmatch(var):
        problem(
            key, "must be the name of an environment variable.", f'Write {key[1:]} = "MY_VARIABLE".'
        )
        return None
    value = env.get(var, "")
    if not value:
        state = "is empty" if var in env else "is not set"
        problem(
            key,
            f"the environment variable {var} {state}.",
            f"export {var}=... where orderhub runs.",
        )
        return None
    return value


def _secret_or_value(
    entry: Mapping[str, Any],
    key: str,
    env: Mapping[str, str],
    problem: Callable[[str, str, str], None],
    *,
    required: bool = True,
) -> str | None:
    if key in entry and f"{key}_env" in entry:
        problem(f".{key}_env", f"both {key} and {key}_env are set.", f"Keep only {key}_env.")
        return None
    if f"{key}_env" in entry:
        return _env_value(entry[f"{key}_env"], f".{key}_env", env, problem)
    value = entry.get(key)
    if value is None:
        if required:
            problem(f".{key}", f"missing {key}.", f'Write {key}_env = "VAR" and export VAR.')
        return None
    if not isinstance(value, str) or not value.strip():
        problem(f".{key}", "must be text.", f'Write {key}_env = "VAR" and export VAR.')
        return None
    return value.strip()
