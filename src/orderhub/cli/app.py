"""The ``orderhub`` command: the root, its global options and the command groups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orderhub import __version__
from orderhub.cli import (
    admin,
    alerts,
    catalog,
    helptypes,
    ops,
    orders,
    running,
    shipping,
    skus,
    web,
)
from orderhub.cli.common import CliState, fit_consoles
from orderhub.config import DATABASE_URL_ENV
from orderhub.files import restrict_umask

helptypes.install()

app = typer.Typer(
    name="orderhub",
    help="Pull marketplace orders into one store, match SKUs, push tracking back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"orderhub {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            envvar="ORDERHUB_CONFIG",
            help="Configuration file (default: ./orderhub.toml).",
            show_default=False,
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="ORDERHUB_DATABASE_URL",
            help="Store URL (default: sqlite:///orderhub.db in the current directory).",
            show_default=False,
        ),
    ] = None,
    log_level: Annotated[
        str | None, typer.Option("--log-level", help="debug, info, warning or error.")
    ] = None,
    log_format: Annotated[
        str | None, typer.Option("--log-format", help="auto, json or console.")
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    fit_consoles()
    # The flag and the variable arrive in one parameter: remember which one it was, so a
    # problem with the URL names what the user actually set.
    source = ctx.get_parameter_source("database_url")
    ctx.obj = CliState(
        config_path=config,
        database_url=database_url,
        database_url_source=(
            DATABASE_URL_ENV if getattr(source, "name", "") == "ENVIRONMENT" else "--database-url"
        ),
        log_level=log_level,
        log_format=log_format,
    )
    ctx.call_on_close(ctx.obj.close)


running.register(app)
app.add_typer(orders.app, name="orders")
ops.register(app)
shipping.register(app)
web.register(app)
app.add_typer(admin.connectors_app, name="connectors")
app.add_typer(admin.config_app, name="config")
app.add_typer(admin.db_app, name="db")
app.add_typer(skus.app, name="skus")
app.add_typer(catalog.app, name="catalog")
app.add_typer(alerts.app, name="alerts")


def main() -> None:
    # Everything orderhub creates holds or describes buyer data: private from the start.
    restrict_umask()
    app()
