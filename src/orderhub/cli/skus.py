"""``orderhub skus unmapped|map|unmap|import|explain|list|history|resolve``: the
awaiting-mapping queue and the explicit mappings."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine

from orderhub.cli.common import CliState, console, fail, state, user_errors
from orderhub.cli.output import Format, FormatOption, Listing
from orderhub.matching import (
    InputRejected,
    LineExplanation,
    MappingRequest,
    MappingResult,
    MatchingConfig,
    MatchingError,
    ResolveCounts,
    delete_mapping,
    describe_components,
    describe_scope,
    explain,
    import_mappings_csv,
    list_mappings,
    mapping_history,
    reresolve_waiting,
    resolve_all,
    unmapped,
)
from orderhub.matching.release import map_sku
from orderhub.store import queries

app = typer.Typer(
    help="Channel SKUs: what waits for a mapping, the mappings, and how lines matched.",
    no_args_is_help=True,
)

_ACCOUNT_HELP = "Only for this account (an account mapping wins over channel and global)."
_CHANNEL_HELP = "Only for this channel, e.g. amazon (wins over a global mapping)."


@contextmanager
def matching_errors() -> Iterator[None]:
    """Refusals of the matching layer as CLI errors with exit status 2."""
    try:
        yield
    except InputRejected as exc:
        lines = [exc.message + ":"]
        for problem in exc.problems:
            text = f"  - {problem}"
            if problem.fix:
                text += f" ({problem.fix.rstrip('.')})"
            lines.append(text)
        fail("\n".join(lines), exc.fix, code=2)
    except MatchingError as exc:
        fail(exc.message, exc.fix, code=2)


def open_store(ctx: typer.Context, *, migrate: bool = False) -> Engine:
    """The store's engine, disposed when the command ends (pooled PostgreSQL connections
    would otherwise outlive the command)."""
    engine = state(ctx).engine(migrate=migrate)
    ctx.find_root().call_on_close(engine.dispose)
    return engine


def _config(st: CliState) -> MatchingConfig:
    return st.config(worker=True).matching


def _quote(text: str) -> str:
    return shlex.quote(text)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _print_resolved(counts: ResolveCounts) -> None:
    if not counts.orders:
        return
    waiting = f"; {counts.awaiting} still awaiting a mapping" if counts.awaiting else ""
    kept = (
        f" {_n(counts.kept, 'line')} of shipped, cancelled or refunded orders kept as resolved "
        "before."
        if counts.kept
        else ""
    )
    console.print(
        f"Resolved again: {_n(counts.lines, 'line')} of {_n(counts.orders, 'order')}; "
        f"{counts.released} released{waiting}.{kept}",
        highlight=False,
    )


# Where a channel id of a line goes in the catalog file, so the line matches next time.
_CATALOG_COLUMN = {
    ("woocommerce", "variation_id"): "woo_variation_id",
    ("woocommerce", "product_id"): "woo_product_id",
    ("amazon", "asin"): "asin",
    ("ebay", "ebay_item_id"): "ebay_item_id",
}


def _no_sku_hint(channel: str, identifiers: dict[str, str]) -> str:
    for (where, key), column in _CATALOG_COLUMN.items():
        value = identifiers.get(key)
        if where == channel and value and value != "0":
            return f"no SKU: put {column} {value} on its catalog row"
    return "no SKU: record its channel id in the catalog"


def _print_mapping_result(result: MappingResult) -> None:
    for change in result.changes:
        scope = describe_scope(change.scope)
        if change.action == "unchanged":
            console.print(
                f"{escape(change.external_sku)!s} ({scope}) already maps to "
                f"{escape(describe_components(change.new or ()))}.",
                highlight=False,
            )
            continue
        if change.action == "deleted":
            text = f"Removed the mapping of {change.external_sku} ({scope})."
        else:
            before = (
                f" (was {describe_components(change.old)})"
                if change.action == "changed" and change.old
                else ""
            )
            text = (
                f"Mapped {change.external_sku} ({scope}) to "
                f"{describe_components(change.new or ())}{before}."
            )
        console.print(escape(text), highlight=False)
    for note in result.notes:
        console.print(f"Note: {escape(note)}.", highlight=False)
    _print_resolved(result.resolved)


# -- unmapped ---------------------------------------------------------------------------------


@app.command("unmapped")
def unmapped_command(
    ctx: typer.Context,
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
    suggestions: Annotated[
        int, typer.Option(min=0, max=10, help="Catalog suggestions per SKU.")
    ] = 3,
    limit: Annotated[int, typer.Option(min=1, help="At most this many SKUs.")] = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """List the channel SKUs no catalog SKU matched, with their orders and the closest
    catalog items. Their orders are stored and flagged "awaiting mapping"."""
    st = state(ctx)
    with user_errors(st), open_store(ctx).connect() as connection:
        groups = unmapped(connection, account=account, channel=channel, suggestions=suggestions)
        if not groups and fmt is Format.table:
            console.print("Nothing awaits a mapping: every stored line matched the catalog.")
            return
        shown = groups[:limit]
        listing = Listing(
            f"Unmapped channel SKUs ({len(groups)})",
            (
                "channel",
                "account",
                "channel SKU",
                "title",
                "lines",
                "units",
                "orders (open)",
                "sample orders",
                "suggestions (score): why",
            ),
            keys=("channel SKU",),
        )
        for group in shown:
            if group.sku is None:
                hint = _no_sku_hint(group.channel, group.identifiers)
            else:
                hint = "\n".join(
                    f"{s.sku} ({s.score:.0f}{', strong' if s.strong else ''}): {s.reason}"
                    for s in group.suggestions
                ) or ("-" if suggestions else "")
            listing.add(
                group.channel,
                group.account_id,
                group.label,
                group.title or "",
                str(group.lines),
                str(group.units),
                f"{group.orders} ({group.open_orders})",
                ", ".join(group.sample_orders),
                hint,
            )
        listing.emit(fmt, console)
        if fmt is not Format.table:
            return
        if len(groups) > limit:
            console.print(f"{len(groups) - limit} more: raise --limit to see them.")
        # A ready command only for a strong suggestion: a weak one is a lead to check.
        first = next(
            (g for g in shown if g.sku and g.suggestions and g.suggestions[0].strong), None
        )
        if first is None and any(g.suggestions for g in shown):
            console.print(
                "No suggestion is strong enough to map without a look: check the catalog "
                "(`orderhub catalog list`), then `orderhub skus map CHANNEL_SKU CATALOG_SKU`.",
                highlight=False,
            )
        if first is not None and first.sku is not None:
            console.print(
                "Map one (its waiting orders are released at once):\n  orderhub skus map "
                f"{escape(_quote(first.sku))} {escape(_quote(first.suggestions[0].sku))} "
                f"--account {escape(first.account_id)}",
                highlight=False,
            )


# -- map / unmap / import ---------------------------------------------------------------------


def _parse_component(text: str) -> tuple[str, int]:
    sku, sep, quantity = text.rpartition("=")
    if not sep:
        return text.strip(), 1
    try:
        return sku.strip(), int(quantity.strip())
    except ValueError:
        fail(
            f"--component {text!r}: {quantity.strip()!r} is not a whole number.",
            "Write --component SKU=QUANTITY, e.g. --component COASTER=2.",
            code=2,
        )


@app.command("map")
def map_command(
    ctx: typer.Context,
    ext: Annotated[str, typer.Argument(help="The channel SKU, as the orders show it.")],
    internal: Annotated[
        str | None, typer.Argument(help="The catalog SKU (or give --component).")
    ] = None,
    qty: Annotated[
        int | None,
        typer.Option("--qty", help="Units of INTERNAL in one unit of EXT (3 for a 3-pack)."),
    ] = None,
    component: Annotated[
        list[str] | None,
        typer.Option(
            "--component",
            help="A bundle component as SKU=QTY; repeat for each (instead of INTERNAL).",
        ),
    ] = None,
    account: Annotated[str | None, typer.Option(help=_ACCOUNT_HELP)] = None,
    channel: Annotated[str | None, typer.Option(help=_CHANNEL_HELP)] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show the orders it would release; change nothing."),
    ] = False,
) -> None:
    """Map a channel SKU to a catalog SKU, a multipack (--qty) or a bundle (--component,
    repeated). Lines waiting for it are resolved at once and their orders released;
    shipped, cancelled and refunded orders keep their resolved lines."""
    st = state(ctx)
    with user_errors(st), matching_errors():
        if internal and component:
            fail(
                "give the catalog SKU or --component, not both.",
                "For a bundle, list every component with --component SKU=QTY.",
                code=2,
            )
        if component and qty is not None:
            fail("--qty goes with INTERNAL; a --component carries its own quantity.", code=2)
        if internal:
            components: tuple[tuple[str, int], ...] = ((internal, 1 if qty is None else qty),)
        elif component:
            components = tuple(_parse_component(text) for text in component)
        else:
            fail(
                "no catalog SKU given.",
                "Write `orderhub skus map EXT INTERNAL` (or --component SKU=QTY for a "
                "bundle); `orderhub skus unmapped` suggests catalog SKUs.",
                code=2,
            )
        request = MappingRequest(
            external_sku=ext, components=components, account_id=account, channel=channel
        )
        config = _config(st)
        with open_store(ctx, migrate=True).begin() as connection:
            outcome = map_sku(
                connection,
                request,
                actor="cli",
                now=datetime.now(UTC),
                config=config,
                dry_run=dry_run,
            )
        if dry_run:
            console.print("Dry run: nothing was saved.", highlight=False)
        _print_mapping_result(outcome.result)
        if outcome.released:
            verb = "Would release" if dry_run else "Released"
            listed = ", ".join(
                f"{order.reference} ({order.account_id})" for order in outcome.released[:20]
            )
            more = f" and {len(outcome.released) - 20} more" if len(outcome.released) > 20 else ""
            console.print(f"{verb}: {escape(listed)}{more}.", highlight=False)


@app.command("unmap")
def unmap_command(
    ctx: typer.Context,
    ext: Annotated[str, typer.Argument(help="The mapped channel SKU.")],
    account: Annotated[str | None, typer.Option(help="The mapping's account.")] = None,
    channel: Annotated[str | None, typer.Option(help="The mapping's channel.")] = None,
) -> None:
    """Remove a mapping; lines of open orders that used it are resolved again without it."""
    st = state(ctx)
    with user_errors(st), matching_errors():
        config = _config(st)
        with open_store(ctx, migrate=True).begin() as connection:
            result = delete_mapping(
                connection,
                ext,
                account_id=account,
                channel=channel,
                actor="cli",
                now=datetime.now(UTC),
                config=config,
            )
        _print_mapping_result(result)


@app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="CSV with ext_sku,internal_sku,quantity,account,channel.")
    ],
) -> None:
    """Import mappings from CSV, one row per component (rows with the same ext_sku and
    scope form a bundle). A file with a bad row is refused whole, every bad row listed."""
    st = state(ctx)
    with user_errors(st), matching_errors():
        config = _config(st)
        with open_store(ctx, migrate=True).begin() as connection:
            result = import_mappings_csv(connection, file, now=datetime.now(UTC), config=config)
        actions = [change.action for change in result.changes]
        console.print(
            f"{file}: {actions.count('created')} mappings created, {actions.count('changed')} "
            f"changed, {actions.count('unchanged')} unchanged.",
            highlight=False,
        )
        for note in result.notes:
            console.print(f"Note: {escape(note)}.", highlight=False)
        _print_resolved(result.resolved)


# -- explain ----------------------------------------------------------------------------------


@app.command("explain")
def explain_command(
    ctx: typer.Context,
    order: Annotated[str, typer.Argument(help="orderhub id, channel order id or number.")],
    line: Annotated[
        str | None, typer.Argument(help="Only this line: its position (1, 2...) or line id.")
    ] = None,
    account: Annotated[str | None, typer.Option(help="Account, when the id is ambiguous.")] = None,
) -> None:
    """Say how each line of an order was matched: the method, what matched (or why
    nothing did), the mapping and its scope, and the catalog SKUs it stands for."""
    st = state(ctx)
    with user_errors(st), open_store(ctx).connect() as connection:
        matches = queries.find_orders(connection, order, account)
        if not matches:
            fail(f"no order {order!r}.", "List orders with `orderhub orders list`.")
        if len(matches) > 1:
            accounts = ", ".join(f"{m.account_id} (id {m.id})" for m in matches)
            fail(f"{order!r} matches several orders: {accounts}.", "Add --account or use the id.")
        detail = explain(connection, matches[0].id)
        assert detail is not None
        lines = detail.lines
        if line is not None:
            lines = tuple(item for item in lines if line in (str(item.position), item.external_id))
            if not lines:
                fail(
                    f"order {detail.reference} has no line {line!r}.",
                    "Give the line's position (1, 2, ...) or its line id "
                    f"(`orderhub skus explain {detail.order_id}` lists them).",
                )
        console.print(
            f"[bold]Order {escape(detail.reference)}[/] (orderhub id {detail.order_id}, "
            f"{detail.channel} account {detail.account_id}), status {detail.status}"
            + (", [bold yellow]awaiting mapping[/]" if detail.awaiting_mapping else ""),
            highlight=False,
        )
        if detail.status in ("shipped", "partially_shipped", "cancelled", "refunded"):
            console.print(
                f"  {detail.status}: its resolved lines stay as they are when mappings change.",
                highlight=False,
            )
        table = Table(title="How each line matched")
        for column in ("#", "line id", "channel SKU", "qty", "method", "why", "catalog SKUs"):
            table.add_column(column)
        waiting: list[str] = []
        for item in lines:
            table.add_row(
                str(item.position),
                escape(item.external_id),
                escape(item.sku or "-"),
                str(item.quantity),
                item.method or "not resolved yet",
                escape(_why(item)),
                escape(
                    "\n".join(
                        f"{qty} x {sku}" + (f" (via {via})" if via else "")
                        for sku, qty, via in item.components
                    )
                    or "-"
                ),
            )
            if item.method == "unresolved" and item.sku:
                waiting.append(item.sku)
        console.print(table)
        for sku in waiting:
            console.print(
                f"Line {escape(sku)!s} waits for a mapping: `orderhub skus map "
                f"{escape(_quote(sku))} CATALOG-SKU --account {detail.account_id}` "
                "(`orderhub skus unmapped` suggests one).",
                highlight=False,
            )
        if any(item.method is None for item in lines):
            console.print("Lines never resolved: run `orderhub skus resolve --all`.")


def _why(item: LineExplanation) -> str:
    method = item.method
    if method is None:
        return "stored before SKU matching ran"
    if method == "mapping":
        gone = "" if item.mapping_exists else ", since removed"
        scope = describe_scope(item.scope) if item.scope else "?"
        return f"mapping #{item.mapping_id} ({scope}{gone}) of {item.matched}"
    if method == "exact":
        return f"the catalog SKU {item.matched}"
    if method == "normalised":
        return f"normalised SKU {item.matched!r}"
    if method == "identifier":
        return f"catalog identifier {item.matched}"
    return item.matched or "no match"


# -- list / history / resolve -----------------------------------------------------------------


@app.command("list")
def list_command(
    ctx: typer.Context,
    search: Annotated[
        str | None, typer.Option(help="Only channel SKUs containing this text.")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List the mappings: scope, channel SKU, components, last change and by whom."""
    st = state(ctx)
    with user_errors(st), open_store(ctx).connect() as connection:
        views = list_mappings(connection, search=search)
        if not views and fmt is Format.table:
            console.print("No mappings. Add one with `orderhub skus map EXT INTERNAL`.")
            return
        listing = Listing(
            f"SKU mappings ({len(views)})",
            ("id", "scope", "channel SKU", "catalog components", "changed", "by"),
            keys=("id", "channel SKU"),
        )
        for view in views:
            listing.add(
                str(view.id),
                describe_scope(view.scope),
                view.external_sku,
                describe_components(view.components),
                view.updated_at.strftime("%Y-%m-%d %H:%M"),
                view.updated_by,
            )
        listing.emit(fmt, console)


@app.command("history")
def history_command(
    ctx: typer.Context,
    ext: Annotated[str | None, typer.Argument(help="Only this channel SKU.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many changes.")] = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """Show the changes to mappings, newest first: what changed, from what, by whom."""
    st = state(ctx)
    with user_errors(st), open_store(ctx).connect() as connection:
        entries = mapping_history(connection, external_sku=ext, limit=limit)
        if not entries and fmt is Format.table:
            console.print("No mapping changes recorded.")
            return
        listing = Listing(
            "Mapping history",
            ("when", "change", "scope", "channel SKU", "before", "after", "by"),
            keys=("channel SKU",),
        )
        for entry in entries:
            listing.add(
                entry.at.strftime("%Y-%m-%d %H:%M:%S"),
                entry.action,
                describe_scope(entry.scope),
                entry.external_sku,
                describe_components(entry.old) if entry.old else "-",
                describe_components(entry.new) if entry.new else "-",
                entry.actor,
            )
        listing.emit(fmt, console)


@app.command("resolve")
def resolve_command(
    ctx: typer.Context,
    all_orders: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every stored order (e.g. after changing [matching] strip rules, or for "
            "orders stored before SKU matching), not only those awaiting a mapping.",
        ),
    ] = False,
) -> None:
    """Resolve stored orders again now (the orders awaiting a mapping, or --all).
    Shipped, cancelled and refunded orders keep their resolved lines."""
    st = state(ctx)
    with user_errors(st), matching_errors():
        config = _config(st)
        now = datetime.now(UTC)
        with open_store(ctx, migrate=True).begin() as connection:
            if all_orders:
                counts = resolve_all(connection, now=now, config=config)
            else:
                counts = reresolve_waiting(connection, now=now, config=config)
        if not counts.orders:
            console.print("No order to resolve.")
            return
        console.print(
            f"{_n(counts.orders, 'order')}, {_n(counts.lines, 'line')}: {counts.resolved} "
            f"resolved, {counts.unresolved} unresolved ({counts.written} changed, "
            f"{counts.kept} kept as resolved before). {counts.awaiting} awaiting a mapping, "
            f"{counts.released} released.",
            highlight=False,
        )
