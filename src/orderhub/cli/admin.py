"""``orderhub connectors|config|db ...``: set-up and diagnostics."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from orderhub.cli.common import console, errors, fail, safe_url, state, user_errors
from orderhub.cli.online import ONLINE_TIMEOUT, check_store, credential_names, online_fix
from orderhub.cli.output import Format, FormatOption, Listing
from orderhub.config import ConfigError, check_config
from orderhub.logs import configure_logging
from orderhub.registry import discover
from orderhub.runtime import build_connector
from orderhub.sdk.clock import SystemClock
from orderhub.sdk.errors import ConnectorError
from orderhub.store.db import current_revision, head_revision, make_engine, upgrade
from orderhub.store.retention import purge
from orderhub.testing.scaffold import ScaffoldError, create_connector, default_directory

connectors_app = typer.Typer(help="Installed channel connectors.", no_args_is_help=True)
config_app = typer.Typer(help="Check the configuration.", no_args_is_help=True)
db_app = typer.Typer(help="The order store's schema.", no_args_is_help=True)


@connectors_app.command("list")
def connectors_list(fmt: FormatOption = Format.table) -> None:
    """Every installed connector, its version and capabilities, and any that failed to load."""
    configure_logging(level="warning", fmt="console")
    infos = discover()
    listing = Listing(
        "Connectors", ("name", "version", "capabilities", "package", "status"), keys=("name",)
    )
    for info in infos:
        listing.add(
            info.name,
            info.version or "-",
            ", ".join(sorted(c.value for c in info.capabilities)) or "-",
            info.distribution or "-",
            "ok" if info.ok else f"failed to load: {info.error}",
        )
    listing.emit(fmt, console)
    if not infos and fmt is Format.table:
        console.print("No connectors installed. Install orderhub with `pip install .`.")


@connectors_app.command("new")
def connectors_new(
    name: Annotated[
        str, typer.Argument(help="The new connector's name, a lowercase identifier (etsy).")
    ],
    directory: Annotated[
        Path | None,
        typer.Option(
            "--directory",
            "-d",
            help="Where to create NAME/ (default: ./connectors in a checkout of orderhub).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create a connector package (connector, settings, mapping, README, a simulated
    channel, fixtures and a conformance test class) that passes the test kit as it is."""
    with user_errors():
        target = directory if directory is not None else default_directory(Path.cwd())
        if target is None:
            fail(
                "There is no ./connectors folder of an orderhub checkout here.",
                "Run this at the top of a clone of orderhub, or pass --directory DIR.",
                code=2,
            )
        if not target.is_dir():
            fail(
                f"{target} is not a directory.",
                "Create it first, or pass another --directory.",
                code=2,
            )
        try:
            result = create_connector(name, target)
        except ScaffoldError as exc:
            fail(exc.message, exc.fix, code=2)
    where = _shown(result.package_dir)
    console.print(
        f"Created {where}/ ({len(result.files)} files): {result.class_name} in package "
        f"{result.package}.",
        highlight=False,
        markup=False,
    )
    if result.pyproject is not None:
        done = "Added" if result.pyproject_updated else "Already there"
        console.print(
            f"{done} in {_shown(result.pyproject)}: {result.entry_point}",
            highlight=False,
            markup=False,
        )
        steps = [
            "pip install -e .   (registers the entry point; `orderhub connectors list` shows it)",
            f"python -m pytest {where}   (the conformance suite: it passes as generated)",
        ]
    else:
        steps = [
            f"Register the entry point in your package's pyproject.toml under "
            f'[project.entry-points."orderhub.connectors"]: {result.entry_point}',
            f"PYTHONPATH={_shown(result.package_dir.parent)} python -m pytest {where}   "
            "(the conformance suite: it passes as generated)",
        ]
    steps.append(
        f"Record the real channel's answers into {where}/tests/recorded/ (one folder per "
        "scenario), then adapt connector.py, the fixtures, the channel rules in "
        "tests/test_conformance.py and the README (the walkthrough: 'Writing a connector' in "
        "CONTRIBUTING.md)."
    )
    console.print("Next steps:", highlight=False, markup=False)
    for number, step in enumerate(steps, start=1):
        console.print(f"  {number}. {step}", highlight=False, markup=False)


def _shown(path: Path) -> str:
    """``path`` relative to the current directory when below it, for shorter messages."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@config_app.command("check")
def config_check(
    ctx: typer.Context,
    online: Annotated[
        bool, typer.Option("--online", help="Also call each enabled account's API once.")
    ] = False,
) -> None:
    """Validate the configuration file, every account and its secrets (every problem at
    once, each with file, key and fix), then the store that will really be used (from
    --database-url, else ORDERHUB_DATABASE_URL, else the file): reachable, and whether
    `orderhub db upgrade` is needed. With --online, call each enabled account's API once.

    Exit codes: 0 all well; 2 the configuration is wrong; 1 the store or a channel cannot
    be used as configured."""
    st = state(ctx)
    with user_errors(st):
        config = st.config(require_file=True, deep=True)
        problems = check_config(config)
        if problems:
            raise ConfigError(problems)
        url = st.url()
        console.print(
            f"{config.file}: OK ({len(config.accounts)} accounts, "
            f"{len(config.enabled_accounts)} enabled)",
            highlight=False,
            markup=False,
        )
        store = check_store(url, st.url_source())
        if not store.ok:
            fail(store.message, store.fix)
        console.print(store.message, highlight=False, markup=False)
        if store.fix:
            console.print(f"  Next: {store.fix}", highlight=False, markup=False)
        if not online:
            return
        failed = False
        for account in config.enabled_accounts:
            connector = build_connector(config, account, clock=SystemClock())
            connector.http.limit_to_one_try(ONLINE_TIMEOUT)
            try:
                connector.check()
                console.print(f"  {account.id}: credentials work", highlight=False)
            except ConnectorError as exc:
                failed = True
                credentials = credential_names(config, account)
                fix = online_fix(exc, account, connector.http.base_url, credentials)
                errors.print(
                    f"  {account.id}: {exc.message}\n    Fix: {fix}",
                    highlight=False,
                    markup=False,
                )
            finally:
                connector.close()
        if failed:
            raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or migrate the store's schema to this version (safe to run again)."""
    st = state(ctx)
    with user_errors(st):
        url = st.url()
        engine = make_engine(url)
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
        if before == after:
            console.print(f"{safe_url(url)}: already at revision {after}.", highlight=False)
        else:
            console.print(
                f"{safe_url(url)}: upgraded from {before or 'empty'} to {after}.", highlight=False
            )


@db_app.command("purge")
def db_purge(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be erased; change nothing.")
    ] = False,
) -> None:
    """Erase buyer data past [retention] buyer_data and delete old history rows."""
    st = state(ctx)
    with user_errors(st):
        config = st.config()
        engine = st.engine()
        with engine.begin() as connection:
            result = purge(connection, config.retention, now=datetime.now(UTC), dry_run=dry_run)
        if not config.retention.enabled:
            console.print("Retention is off ([retention] enabled = false): nothing erased.")
            return
        verb = "would be" if dry_run else "were"
        channels = ", ".join(f"{name} {count}" for name, count in sorted(result.by_channel.items()))
        console.print(
            f"Buyer data of {result.orders_erased} shipped/cancelled/refunded order(s) {verb} "
            f"erased ({channels or 'no orders'}); {result.runs_deleted} sync run(s) and "
            f"{result.quarantine_deleted} resolved quarantine row(s) {verb} deleted.",
            highlight=False,
        )


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Show the schema revision of the store and the one this orderhub needs."""
    st = state(ctx)
    with user_errors(st):
        engine = make_engine(st.url())
        console.print(
            f"store: {current_revision(engine) or 'empty'}; this orderhub: {head_revision()}"
        )
