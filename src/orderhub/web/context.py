"""What every page needs, reached from the request: the store, the configuration, the
templates, the login limiter and the time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from starlette.requests import Request

from orderhub.config import AppConfig
from orderhub.probes import Probe
from orderhub.web.rendering import Renderer
from orderhub.web.security import LoginLimiter


@dataclass
class Console:
    engine: Engine
    config: AppConfig
    renderer: Renderer
    password: str
    limiter: LoginLimiter
    now: Callable[[], datetime]
    #: the installed connectors' names, read once (entry points are slow to scan)
    connectors: list[str] = field(default_factory=list)
    #: the worker's liveness when the console runs inside ``orderhub run``
    liveness: Callable[[], Probe] | None = None


def console(request: Request) -> Console:
    value = request.app.state.console
    if not isinstance(value, Console):  # pragma: no cover - set by create_app
        raise RuntimeError("the console's state is missing")
    return value
