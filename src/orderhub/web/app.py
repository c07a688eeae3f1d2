"""The console's application factory: the pages, the probes and the metrics on one app."""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, make_asgi_app
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from orderhub.config import AppConfig
from orderhub.probes import Probe
from orderhub.registry import known_connectors
from orderhub.web import failures, health, login, mapping, orders, overview, shipments
from orderhub.web.context import Console, console
from orderhub.web.rendering import STATIC, Renderer
from orderhub.web.security import (
    AuthMiddleware,
    LoginLimiter,
    SecurityHeadersMiddleware,
    load_secrets,
)


class _AsgiEndpoint:
    """An ASGI app as a route's endpoint (Starlette calls functions as request handlers),
    so ``/metrics`` answers at that path, not through a redirect to ``/metrics/``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Errors as a page of the console (a plain line for scripts and htmx)."""
    assert isinstance(exc, HTTPException)
    titles = {404: "Not found", 405: "Not allowed"}
    title = titles.get(exc.status_code, "Error")
    if request.headers.get("hx-request") or "text/html" not in request.headers.get("accept", ""):
        return PlainTextResponse(f"{exc.detail}\n", exc.status_code)
    return console(request).renderer.page(
        request, "error.html", status_code=exc.status_code, title=title, detail=exc.detail
    )


def create_app(
    engine: Engine,
    config: AppConfig,
    *,
    metrics_registry: CollectorRegistry | None = None,
    liveness: Callable[[], Probe] | None = None,
    environ: MutableMapping[str, str] | None = None,
    limiter: LoginLimiter | None = None,
    wall_clock: Callable[[], float] = time.time,
) -> Starlette:
    """The console for ``engine``. Raises :class:`~orderhub.web.security.WebSetupError`
    when the password (or the signing key) is missing from the environment."""
    secrets = load_secrets(config.web, environ)
    limiter = limiter or LoginLimiter()
    timeout = config.web.session_timeout.total_seconds()
    routes = [
        *health.routes(),
        *login.routes(),
        *overview.routes(),
        *orders.routes(),
        *mapping.routes(),
        *failures.routes(),
        *shipments.routes(),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        Route(
            "/metrics",
            _AsgiEndpoint(make_asgi_app(registry=metrics_registry or CollectorRegistry())),
        ),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(
            SessionMiddleware,
            secret_key=secrets.session_key,
            session_cookie="orderhub_session",
            max_age=int(timeout),
            same_site="strict",
            https_only=config.web.secure_cookies,
        ),
        Middleware(
            AuthMiddleware,
            password=secrets.password,
            timeout=timeout,
            limiter=limiter,
            wall_clock=wall_clock,
        ),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: _http_error},
    )
    app.state.console = Console(
        engine=engine,
        config=config,
        liveness=liveness,
        renderer=Renderer(),
        password=secrets.password,
        limiter=limiter,
        now=lambda: datetime.fromtimestamp(wall_clock(), UTC),
        connectors=known_connectors(),
    )
    return app
