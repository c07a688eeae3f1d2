"""The ``[web]`` table of the configuration file: the console is off unless it is set.

```toml
[web]
port = 8080                       # serve the console (and /metrics, /healthz, /readyz)
address = "127.0.0.1"             # the default; "0.0.0.0" in a container
password_env = "ORDERHUB_WEB_PASSWORD"   # the variable holding the console's password
secret_env = "ORDERHUB_WEB_SECRET"       # optional: key signing session cookies
session_timeout = "8h"            # idle time after which a session must log in again
secure_cookies = false            # true when the console is served over HTTPS
```

The password and the signing key never go in the file: the file names the environment
variables that hold them. Without ``secret_env`` each process draws a random key at start
(sessions then end when the process restarts, and several processes behind one address
would not share them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

WEB_KEYS = ("port", "address", "password_env", "secret_env", "session_timeout", "secure_cookies")
DEFAULT_ADDRESS = "127.0.0.1"
_EXAMPLE_VARIABLE = {"password_env": "ORDERHUB_WEB_PASSWORD", "secret_env": "ORDERHUB_WEB_SECRET"}


@dataclass(frozen=True)
class WebConfig:
    """``port`` None: no console."""

    port: int | None = None
    address: str = DEFAULT_ADDRESS
    password_env: str | None = None
    secret_env: str | None = None
    session_timeout: timedelta = timedelta(hours=8)
    secure_cookies: bool = False

    @property
    def enabled(self) -> bool:
        return self.port is not None


def read_web_config(
    data: Mapping[str, Any],
    *,
    add: Callable[[str, str, str], None],
    parse_duration: Callable[[Any], timedelta],
    did_you_mean: Callable[[str, tuple[str, ...]], str],
) -> WebConfig:
    table = data.get("web", {})
    if not isinstance(table, dict):
        add("web", "must be a table.", 'Write [web] then port = 8080 and password_env = "...".')
        return WebConfig()
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in WEB_KEYS:
            add(
                f"web.{key}",
                "unknown key.",
                f"{did_you_mean(key, WEB_KEYS)}Keys: {', '.join(WEB_KEYS)}.",
            )
        elif key == "port":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
                add("web.port", f"{value!r} is not a port number.", "Write port = 8080.")
            else:
                values["port"] = value
        elif key == "address":
            if not isinstance(value, str) or not value.strip():
                add(
                    "web.address",
                    "must be an address to listen on.",
                    'Write address = "127.0.0.1" (this machine only) or "0.0.0.0".',
                )
            else:
                values["address"] = value.strip()
        elif key in ("password_env", "secret_env"):
            if not isinstance(value, str) or not value.strip() or not value.strip().isidentifier():
                add(
                    f"web.{key}",
                    "must name an environment variable.",
                    f'Write {key} = "{_EXAMPLE_VARIABLE[key]}" and export that variable.',
                )
            else:
                values[key] = value.strip()
        elif key == "session_timeout":
            try:
                timeout = parse_duration(value)
            except ValueError as exc:
                add("web.session_timeout", f"{exc}.", 'Write e.g. session_timeout = "8h".')
                continue
            if timeout < timedelta(minutes=1):
                add(
                    "web.session_timeout",
                    "must be at least a minute.",
                    'Write e.g. session_timeout = "8h".',
                )
            else:
                values["session_timeout"] = timeout
        elif not isinstance(value, bool):
            add("web.secure_cookies", "must be true or false.", "Write secure_cookies = true.")
        else:
            values["secure_cookies"] = value
    config = WebConfig(**values)
    if config.port is not None and config.password_env is None:
        add(
            "web.password_env",
            "the console needs a password.",
            'Write password_env = "ORDERHUB_WEB_PASSWORD" under [web] and export that '
            "variable with the password.",
        )
    return config
