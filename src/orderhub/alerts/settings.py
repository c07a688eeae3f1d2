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

The file's shape is checked by :mod:`orderhub.config.alerts`, which makes the dataclasses
below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from orderhub.health import HealthRules

#: Bounds of the rules' counts and the destinations' timeouts: beyond them a rule never
#: fires (or a date before it cannot be computed) and a send waits for ever.
MAX_COUNT = 100_000
MAX_WARNING_DAYS = 3650
MAX_TIMEOUT = 300


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
