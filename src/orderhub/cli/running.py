"""``orderhub run|sync|demo|health``: doing the work."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from orderhub.cli.common import console, errors, fail, parse_when, safe_url, state, user_errors
from orderhub.logs import logs_above
from orderhub.probes import readiness
from orderhub.runtime import build_connector
from orderhub.sdk.clock import SystemClock
from orderhub.store.heartbeats import all_instances
from orderhub.sync.pull import PullResult, PullRunner


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("sync")(sync)
    app.command("demo")(demo)
    app.command("health")(health)


def run(ctx: typer.Context) -> None:
    """Run the worker: pull every enabled account on its schedule until SIGTERM/SIGINT."""
    from orderhub.worker.scheduler import Worker

    st = state(ctx)
    with user_errors(st):
        config = st.config(require_file=True, worker=True)
        st.setup_logging(stdout=True)
        if not config.enabled_accounts:
            fail(
                f"{config.file} has no enabled account.",
                "Add an [[accounts]] entry with enabled = true (see config/orderhub.example.toml).",
            )
        engine = st.engine(migrate=True)
        worker = Worker(config, engine)
        server = None
        if config.web.enabled:
            from orderhub.cli.web import build_console
            from orderhub.web.server import BackgroundServer

            # One process, one port: the console, the worker's /metrics and the probes.
            server = BackgroundServer(
                build_console(config, engine, worker.metrics.registry, worker.healthz), config.web
            )
            server.start()
        try:
            worker.run_until_stopped()
        finally:
            if server is not None:
                server.stop()


def sync(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="The account id from the configuration.")],
    since: Annotated[
        str | None,
        typer.Option(help="Re-read orders modified since this date (ISO 8601), e.g. 2026-11-01."),
    ] = None,
) -> None:
    """Pull one account now, showing progress; exits non-zero if the run failed."""
    st = state(ctx)
    with user_errors(st):
        config = st.config(require_file=True)
        st.setup_logging()
        try:
            account_config = config.account(account)
        except KeyError as exc:
            fail(str(exc.args[0]), "Use an id from `orderhub status` or the configuration file.")
        start = parse_when(since) if since else None
        if start is not None and start > datetime.now(UTC):
            fail("--since is in the future.", "Give a past date.", code=2)
        engine = st.engine(migrate=True)
        connector = build_connector(config, account_config, clock=SystemClock())
        try:
            with (
                Progress(
                    SpinnerColumn(),
                    TextColumn("[bold]{task.description}"),
                    # Pulses while the total is unknown (Amazon, Shopify, a window's start).
                    BarColumn(bar_width=24),
                    TextColumn("{task.fields[detail]}"),
                    TimeElapsedColumn(),
                    console=errors,
                    transient=True,
                ) as progress,
                # Log lines print above the live progress line instead of through it.
                logs_above(progress.console),
            ):
                task = progress.add_task(f"sync {account}", detail="starting", total=None)

                def on_progress(result: PullResult) -> None:
                    known = result.window_total is not None
                    progress.update(
                        task,
                        total=result.window_total,
                        completed=min(result.window_read, result.window_total or 0) if known else 0,
                        detail=progress_detail(result),
                        # Drawn now, not at the next tick: a page is worth showing.
                        refresh=True,
                    )

                result = PullRunner(
                    engine, connector, trigger="cli", progress=on_progress, matching=config.matching
                ).run(since=start)
        finally:
            connector.close()
        counts = result.counts
        console.print(
            f"{account}: {result.outcome}. {result.fetched} fetched over {result.pages} pages: "
            f"{counts.created} new, {counts.updated} updated, {counts.unchanged} unchanged, "
            f"{counts.quarantined} quarantined.",
            highlight=False,
        )
        if counts.quarantined:
            console.print("Quarantined records: `orderhub failures`.")
        if not result.ok:
            fail(f"the run failed ({result.error_kind}): {result.error}", result.fix)


def progress_detail(result: PullResult) -> str:
    """The text beside the progress bar of ``orderhub sync``.

    A channel's total (WooCommerce's X-WP-Total, eBay's total) counts one window chunk, and
    the next chunk's total is only known once it is read. Summing the known totals would
    give a bar that fills, then jumps back with each new chunk, and a "total" that is never
    the run's. So the bar and the "read/total" figure speak of the chunk being read, and
    "window i/n" says how far the run is (shown only when there is more than one); the
    run's own counts follow. Without a total (Amazon, Shopify) the counts stand alone.
    """
    counts = result.counts
    where = (
        f"window {result.window_number}/{result.window_count}" if result.window_count > 1 else ""
    )
    if result.window_total is not None:
        this = f"{result.window_read}/{result.window_total} orders"
        where = f"{where}: {this}" if where else this
    done = (
        f"{result.fetched} fetched: {counts.created} new, {counts.updated} updated, "
        f"{counts.quarantined} quarantined"
    )
    return f"{where} · {done}" if where else done


def demo(
    ctx: typer.Context,
    duration: Annotated[
        float, typer.Option(min=5.0, help="Seconds to run the worker against the simulators.")
    ] = 40.0,
    orders: Annotated[int, typer.Option(min=1, help="Orders already in each simulated shop.")] = 60,
    seed: Annotated[int, typer.Option(help="Seed of the simulated order stream.")] = 7,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep",
            help="Afterwards keep the simulators serving (until Ctrl-C) and leave an "
            "orderhub.toml here pointing at them, to try sync, run and ship.",
        ),
    ] = False,
) -> None:
    """Run the whole loop against built-in simulated marketplaces (no credentials needed)."""
    from orderhub.demo import run_demo

    st = state(ctx)
    with user_errors(st):
        run_demo(st, duration=duration, initial_orders=orders, seed=seed, keep=keep)


def health(
    ctx: typer.Context,
    max_age: Annotated[
        float, typer.Option(help="Seconds after which a worker's heartbeat counts as stale.")
    ] = 90.0,
    this_host: Annotated[
        bool,
        typer.Option(
            "--this-host",
            help="Count only workers on this host (a container's own health check when "
            "several replicas share one store).",
        ),
    ] = False,
) -> None:
    """Exit 0 when the store answers, its migrations are current and a worker of this store
    beat within --max-age seconds (container and monitoring checks)."""
    st = state(ctx)
    with user_errors(st):
        engine = st.engine()
        ready = readiness(engine)
        if not ready.ok:
            fail(
                f"the store is not ready: {ready.checks}.",
                "Check ORDERHUB_DATABASE_URL and run `orderhub db upgrade`.",
            )
        now = datetime.now(UTC)
        with engine.connect() as connection:
            instances = all_instances(connection, now)
        if this_host:
            host = socket.gethostname()[:255]
            instances = [i for i in instances if i.host == host]
        where = safe_url(st.url())
        if not instances:
            fail(
                f"no worker is running for the store at {where}"
                + (" on this host." if this_host else "."),
                "Start one with `orderhub run` (with the same configuration and "
                "ORDERHUB_DATABASE_URL).",
            )
        fresh = [i for i in instances if i.age <= max_age]
        if not fresh:
            newest = min(i.age for i in instances)
            fail(
                f"the last heartbeat of a worker of the store at {where} is {int(newest)} s old.",
                "The worker is stuck or was killed; check its logs and restart it.",
            )
        console.print(
            f"healthy: {len(fresh)} worker{'s' * (len(fresh) != 1)} on this store "
            f"({', '.join(i.instance_id for i in fresh)})",
            highlight=False,
        )
