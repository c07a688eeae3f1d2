"""``orderhub catalog import|list|sync``: the seller's own SKUs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from orderhub.cli.common import console, fail, state, user_errors
from orderhub.cli.output import Format, FormatOption, Listing
from orderhub.cli.skus import matching_errors, open_store
from orderhub.matching import CATALOG_COLUMNS, CatalogCounts, import_catalog_csv, list_catalog
from orderhub.matching import sync_catalog as sync_shop_catalog
from orderhub.runtime import build_connector
from orderhub.sdk import ConnectorError, SystemClock

app = typer.Typer(
    help="The catalog: your own SKUs, that channel lines match.", no_args_is_help=True
)


def _print_counts(where: str, counts: CatalogCounts) -> None:
    console.print(
        f"{where}: {counts.created} SKUs added, {counts.updated} updated, "
        f"{counts.unchanged} unchanged; {counts.identifiers_added} identifiers added, "
        f"{counts.identifiers_moved} moved to another SKU.",
        highlight=False,
    )
    for warning in counts.warnings:
        console.print(f"Warning: {escape(warning)}.", highlight=False)
    resolved = counts.resolved
    if resolved.orders:
        console.print(
            f"Orders awaiting a mapping resolved again: {resolved.released} of "
            f"{resolved.orders} released.",
            highlight=False,
        )


@app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(help=f"CSV with the columns {','.join(CATALOG_COLUMNS)} (sku required)."),
    ],
) -> None:
    """Add or update catalog items from CSV (never deletes). A file with a bad row (a
    duplicate SKU, an invalid GTIN...) is refused whole, every bad row listed."""
    st = state(ctx)
    with user_errors(st), matching_errors():
        config = st.config(worker=True).matching
        with open_store(ctx, migrate=True).begin() as connection:
            counts = import_catalog_csv(connection, file, now=datetime.now(UTC), config=config)
        _print_counts(str(file), counts)


@app.command("list")
def list_command(
    ctx: typer.Context,
    search: Annotated[str | None, typer.Option(help="Only SKUs or titles with this text.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many items.")] = 100,
    fmt: FormatOption = Format.table,
) -> None:
    """List catalog items by SKU, with their identifiers and where they came from."""
    st = state(ctx)
    with user_errors(st), open_store(ctx).connect() as connection:
        entries, total = list_catalog(connection, search=search, limit=limit)
        if not entries and fmt is Format.table:
            console.print(
                "No catalog items"
                + (f" match {search!r}." if search else ": run `orderhub catalog import FILE`.")
            )
            return
        listing = Listing(
            f"Catalog ({len(entries)} of {total})",
            ("sku", "title", "gtin", "identifiers", "source", "updated"),
            keys=("sku", "gtin"),
        )
        for entry in entries:
            listing.add(
                entry.sku,
                entry.title or "",
                entry.gtin or "-",
                ", ".join(
                    f"{kind} {value}" + (f" ({account})" if account else "")
                    for kind, value, account in entry.identifiers
                    if kind != "gtin"
                )
                or "-",
                entry.source,
                entry.updated_at.strftime("%Y-%m-%d %H:%M"),
            )
        listing.emit(fmt, console)
        if total > len(entries) and fmt is Format.table:
            console.print(f"{total - len(entries)} more: raise --limit or use --search.")


@app.command("sync")
def sync_command(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="An account whose shop is the catalog source.")],
) -> None:
    """Read the products of the account's own shop (e.g. WooCommerce products and their
    variations) into the catalog now."""
    st = state(ctx)
    with user_errors(st), matching_errors():
        config = st.config(require_file=True)
        st.setup_logging()
        try:
            account_config = config.account(account)
        except KeyError as exc:
            fail(str(exc.args[0]), "Use an id from the configuration file.")
        engine = open_store(ctx, migrate=True)
        connector = build_connector(config, account_config, clock=SystemClock())
        try:
            result = sync_shop_catalog(engine, connector, datetime.now(UTC), config=config.matching)
        except ConnectorError as exc:
            fail(f"reading the products of {account} failed: {exc.message}", exc.fix)
        finally:
            connector.close()
        console.print(f"{account}: {result.products} products read.", highlight=False)
        _print_counts(account, result.counts)
        if result.skipped:
            console.print(f"Left out ({len(result.skipped)}):")
            for reason in result.skipped:
                console.print(f"  - {escape(reason)}", highlight=False)
