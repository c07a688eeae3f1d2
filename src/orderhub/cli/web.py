"""``orderhub web``: the console alone; and the console beside the worker for ``run``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated

import typer
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine
from starlette.applications import Starlette

from orderhub.cli.common import console, fail, state, user_errors
from orderhub.config import AppConfig
from orderhub.probes import Probe


def register(app: typer.Typer) -> None:
    app.command("web")(web)


def build_console(
    config: AppConfig,
    engine: Engine,
    registry: CollectorRegistry | None = None,
    liveness: Callable[[], Probe] | None = None,
) -> Starlette:
    """The console's app, or a CLI error naming what is missing (the password...).
    ``registry`` and ``liveness`` are the worker's when it runs inside ``orderhub run``."""
    from orderhub.web.app import create_app
    from orderhub.web.security import WebSetupError

    try:
        return create_app(engine, config, metrics_registry=registry, liveness=liveness)
    except WebSetupError as exc:
        fail(exc.message, exc.fix, code=2)


def web(
    ctx: typer.Context,
    port: Annotated[int | None, typer.Option(help="Port (default: [web] port).")] = None,
    address: Annotated[
        str | None, typer.Option(help="Address to listen on (default: [web] address, 127.0.0.1).")
    ] = None,
) -> None:
    """Serve the web console (with /metrics, /healthz and /readyz) until Ctrl-C."""
    from orderhub.web.server import serve_forever

    st = state(ctx)
    with user_errors(st):
        config = st.config(worker=True)
        st.setup_logging(stdout=True)
        settings = config.web
        if port is not None:
            settings = replace(settings, port=port)
        if address is not None:
            settings = replace(settings, address=address)
        if settings.port is None or settings.password_env is None:
            fail(
                "the web console is not configured.",
                'Add [web] with port = 8080 and password_env = "ORDERHUB_WEB_PASSWORD" to the '
                "configuration and export that variable with a password.",
                code=2,
            )
        config = replace(config, web=settings)
        engine = st.engine(migrate=True)
        app = build_console(config, engine)

        def started(port: int) -> None:
            console.print(
                f"orderhub console on http://{settings.address}:{port}/ (Ctrl-C stops it)",
                highlight=False,
            )

        serve_forever(app, settings, on_started=started)
