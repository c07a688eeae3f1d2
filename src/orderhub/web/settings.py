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

from dataclasses import dataclass
from datetime import timedelta

DEFAULT_ADDRESS = "127.0.0.1"


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
