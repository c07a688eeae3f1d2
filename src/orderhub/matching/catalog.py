"""The catalog: the seller's own SKUs, imported from CSV or read from the seller's shop.

CSV columns (``config/catalog.example.csv``; only ``sku`` is required, names are
case-insensitive, comma or semicolon separated)::

    sku,title,gtin,ean,upc,asin,ebay_item_id,ebay_variation_id,woo_product_id,woo_variation_id,account

- ``gtin``/``ean``/``upc``: GTIN-8, UPC-A, EAN-13 or GTIN-14 (check digit verified); stored
  as 14 digits, so a line's UPC finds an item recorded by its EAN.
- ``asin``: the Amazon ASIN.
- ``ebay_item_id`` (+ ``ebay_variation_id`` for a listing with variations).
- ``woo_product_id`` / ``woo_variation_id``: the shop's ids (a variation row needs only the
  variation id; its parent's product id stands for every variation, so it is not recorded).
- ``account``: the account the eBay and shop ids belong to (empty: any account).

An import adds and updates, it never deletes: a SKU missing from the file stays (orders may
refer to it), an empty cell leaves the stored value alone, and an identifier recorded for
another SKU moves to the SKU of the file. A file with a bad row (a duplicate SKU, an
invalid GTIN, an identifier given twice) is refused whole, with every bad row, and nothing
is applied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, bindparam, func, or_, select, update

from orderhub.matching.csvfile import CsvRow, read_csv
from orderhub.matching.errors import InputRejected, MatchingError, RowProblem
from orderhub.matching.index import IDENTIFIERS, ITEMS
from orderhub.matching.normalise import (
    ACCOUNT_LOCAL_KINDS,
    ASIN,
    EBAY_ITEM,
    EBAY_VARIATION,
    GTIN,
    IDENTIFIER_KINDS,
    WOO_PRODUCT,
    WOO_VARIATION,
    ebay_variation_value,
    normalise_asin,
    normalise_gtin,
    normalise_sku,
)
from orderhub.matching.resolve import (
    ResolveCounts,
    bump_revision,
    reresolve_waiting_that_match,
)
from orderhub.matching.settings import MatchingConfig
from orderhub.sdk.connector import Capability, Connector
from orderhub.store.db import hold_store_lock
from orderhub.store.ingest import dialect_insert

CATALOG_COLUMNS = (
    "sku",
    "title",
    "gtin",
    "ean",
    "upc",
    "asin",
    "ebay_item_id",
    "ebay_variation_id",
    "woo_product_id",
    "woo_variation_id",
    "account",
)
_SKU_LIMIT = 128
_ID_RE = re.compile(r"^[0-9]{1,20}$")
_ACCOUNT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_BATCH = 500


@dataclass(frozen=True)
class CatalogRecord:
    """One catalog item to store: ``identifiers`` are (kind, value, account or "")."""

    sku: str
    title: str | None = None
    gtin: str | None = None
    identifiers: tuple[tuple[str, str, str], ...] = ()


@dataclass
class CatalogCounts:
    """What an import or a shop sync changed, and what it resolved as a consequence."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    identifiers_added: int = 0
    identifiers_moved: int = 0
    warnings: list[str] = field(default_factory=list)
    resolved: ResolveCounts = field(default_factory=ResolveCounts)

    @property
    def changed(self) -> bool:
        return bool(
            self.created or self.updated or self.identifiers_added or self.identifiers_moved
        )


# -- CSV --------------------------------------------------------------------------------------


def parse_catalog_csv(path: Path) -> list[CatalogRecord]:
    """Read and check a catalog file. Raises :class:`InputRejected` with every bad row
    (duplicate SKUs with the row they repeat), or :class:`MatchingError` for a file that
    cannot be read at all."""
    rows = read_csv(path, required=("sku",), known=CATALOG_COLUMNS, what="a catalog file")
    problems: list[RowProblem] = []
    records: list[CatalogRecord] = []
    first_row: dict[str, int] = {}
    identifier_rows: dict[tuple[str, str, str], tuple[int, str]] = {}
    for row in rows:
        record, row_problems = _catalog_row(row)
        problems.extend(row_problems)
        if record is None:
            continue
        earlier = first_row.get(record.sku)
        if earlier is not None:
            problems.append(
                RowProblem(
                    row.number,
                    f"duplicate SKU {record.sku!r} (also on row {earlier}); "
                    "each SKU may appear once",
                )
            )
            continue
        first_row[record.sku] = row.number
        clash = False
        for ident in record.identifiers:
            seen = identifier_rows.get(ident)
            if seen is not None and seen[1] != record.sku:
                clash = True
                problems.append(
                    RowProblem(
                        row.number,
                        f"{_describe_identifier(ident)} is also given on row {seen[0]} "
                        f"(SKU {seen[1]!r}); an identifier names one SKU",
                    )
                )
            identifier_rows.setdefault(ident, (row.number, record.sku))
        if not clash:
            records.append(record)
    if problems:
        raise InputRejected(
            f"The catalog file {path}",
            problems,
            "Correct those rows (the header is row 1) and import the file again.",
        )
    return records


def _describe_identifier(ident: tuple[str, str, str]) -> str:
    kind, value, account = ident
    return f"{kind} {value}" + (f" of account {account}" if account else "")


def _catalog_row(row: CsvRow) -> tuple[CatalogRecord | None, list[RowProblem]]:
    problems: list[RowProblem] = []

    def bad(message: str) -> None:
        problems.append(RowProblem(row.number, message))

    if row.extra:
        bad("more cells than the header has columns (a comma inside a value needs quotes)")
    sku = row.get("sku")
    if not sku:
        bad("the sku is empty")
    elif len(sku) > _SKU_LIMIT:
        bad(f"the sku is longer than {_SKU_LIMIT} characters")
    account = row.get("account")
    if account and not _ACCOUNT_RE.match(account):
        bad(f"account {account!r} is not an account id (lower case letters, digits, - and _)")
    identifiers: list[tuple[str, str, str]] = []
    gtin: str | None = None
    for column in ("gtin", "ean", "upc"):
        value = row.get(column)
        if not value:
            continue
        code = normalise_gtin(value)
        if code is None:
            bad(
                f"{column} {value!r} is not a valid GTIN/EAN/UPC (8, 12, 13 or 14 digits "
                "with a correct check digit)"
            )
            continue
        gtin = gtin or code
        if (GTIN, code, "") not in identifiers:
            identifiers.append((GTIN, code, ""))
    asin_text = row.get("asin")
    if asin_text:
        asin = normalise_asin(asin_text)
        if asin is None:
            bad(f"asin {asin_text!r} is not an ASIN (10 letters and digits)")
        else:
            identifiers.append((ASIN, asin, ""))
    item, variation = row.get("ebay_item_id"), row.get("ebay_variation_id")
    for column, value in (("ebay_item_id", item), ("ebay_variation_id", variation)):
        if value and not _ID_RE.match(value):
            bad(f"{column} {value!r} is not a number")
    if variation and not item:
        bad("ebay_variation_id needs the ebay_item_id of its listing")
    elif item and variation:
        identifiers.append((EBAY_VARIATION, ebay_variation_value(item, variation), account))
    elif item:
        identifiers.append((EBAY_ITEM, item, account))
    product, variant = row.get("woo_product_id"), row.get("woo_variation_id")
    for column, value in (("woo_product_id", product), ("woo_variation_id", variant)):
        if value and not _ID_RE.match(value):
            bad(f"{column} {value!r} is not a number")
    if variant:
        identifiers.append((WOO_VARIATION, variant, account))
    elif product:
        identifiers.append((WOO_PRODUCT, product, account))
    if problems or not sku:
        return None, problems
    title = row.get("title") or None
    return CatalogRecord(sku, title, gtin, tuple(identifiers)), problems


def import_catalog_csv(
    connection: Connection,
    path: Path,
    *,
    now: datetime,
    config: MatchingConfig | None = None,
) -> CatalogCounts:
    """Check ``path`` whole, then upsert its items in the caller's transaction and resolve
    the orders awaiting a mapping again. Raises :class:`InputRejected` (nothing applied)."""
    records = parse_catalog_csv(path)
    return apply_catalog(connection, records, source=f"csv:{path.name}", now=now, config=config)


def apply_catalog(
    connection: Connection,
    records: Sequence[CatalogRecord],
    *,
    source: str,
    now: datetime,
    config: MatchingConfig | None = None,
) -> CatalogCounts:
    """Upsert checked records; when anything changed, mark the matching revision and
    resolve again the waiting orders a new SKU or identifier releases. Catalog changes
    take turns (on PostgreSQL, a lock held to the end of the caller's transaction): two
    shops syncing their catalogs at once often share SKUs, and each would insert what the
    other had not committed yet."""
    hold_store_lock(connection, "catalog")
    counts = upsert_catalog(connection, records, source=source, now=now)
    if counts.changed:
        bump_revision(connection, now)
        counts.resolved = reresolve_waiting_that_match(connection, now=now, config=config)
    counts.warnings.extend(_collisions(connection, {r.sku for r in records}))
    return counts


def upsert_catalog(
    connection: Connection, records: Sequence[CatalogRecord], *, source: str, now: datetime
) -> CatalogCounts:
    """Insert new SKUs, update changed titles/GTINs (None leaves a value alone), add
    identifiers and move those recorded for another SKU. Never deletes."""
    counts = CatalogCounts()
    existing: dict[str, Any] = {}
    skus = [record.sku for record in records]
    for start in range(0, len(skus), _BATCH):
        chunk = skus[start : start + _BATCH]
        existing.update(
            (row.sku, row)
            for row in connection.execute(
                select(ITEMS.c.id, ITEMS.c.sku, ITEMS.c.title, ITEMS.c.gtin).where(
                    ITEMS.c.sku.in_(chunk)
                )
            )
        )
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for record in records:
        row = existing.get(record.sku)
        if row is None:
            inserts.append(
                {
                    "sku": record.sku,
                    "title": record.title,
                    "gtin": record.gtin,
                    "source": source,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            continue
        title = record.title if record.title is not None else row.title
        gtin = record.gtin if record.gtin is not None else row.gtin
        if (title, gtin) == (row.title, row.gtin):
            counts.unchanged += 1
            continue
        updates.append({"i": row.id, "t": title, "g": gtin, "s": source, "u": now})
    if inserts:
        connection.execute(ITEMS.insert(), inserts)
        counts.created = len(inserts)
    if updates:
        connection.execute(
            update(ITEMS)
            .where(ITEMS.c.id == bindparam("i"))
            .values(
                title=bindparam("t"),
                gtin=bindparam("g"),
                source=bindparam("s"),
                updated_at=bindparam("u"),
            ),
            updates,
        )
        counts.updated = len(updates)

    wanted = {ident: record.sku for record in records for ident in record.identifiers}
    if not wanted:
        return counts
    ids: dict[str, int] = {sku: row.id for sku, row in existing.items()}
    new_skus = [item["sku"] for item in inserts]
    for start in range(0, len(new_skus), _BATCH):
        chunk = new_skus[start : start + _BATCH]
        ids.update(
            (row.sku, row.id)
            for row in connection.execute(
                select(ITEMS.c.sku, ITEMS.c.id).where(ITEMS.c.sku.in_(chunk))
            )
        )
    current: dict[tuple[str, str, str], int] = {}
    values = sorted({value for _, value, _ in wanted})
    for start in range(0, len(values), _BATCH):
        chunk = values[start : start + _BATCH]
        current.update(
            ((row.kind, row.value, row.account_id), row.item_id)
            for row in connection.execute(
                select(
                    IDENTIFIERS.c.kind,
                    IDENTIFIERS.c.value,
                    IDENTIFIERS.c.account_id,
                    IDENTIFIERS.c.item_id,
                ).where(IDENTIFIERS.c.value.in_(chunk))
            )
        )
    rows: list[dict[str, Any]] = []
    for ident, sku in wanted.items():
        item_id = ids[sku]
        before = current.get(ident)
        if before == item_id:
            continue
        if before is None:
            counts.identifiers_added += 1
        else:
            counts.identifiers_moved += 1
        kind, value, account = ident
        rows.append({"item_id": item_id, "kind": kind, "value": value, "account_id": account})
    if rows:
        stmt = dialect_insert(connection, IDENTIFIERS)
        stmt = stmt.on_conflict_do_update(
            index_elements=[IDENTIFIERS.c.kind, IDENTIFIERS.c.value, IDENTIFIERS.c.account_id],
            set_={"item_id": stmt.excluded.item_id},
        )
        connection.execute(stmt, rows)
    return counts


def _collisions(connection: Connection, touched: set[str]) -> list[str]:
    """Catalog SKUs of this import that normalise alike: normalised matching cannot choose
    between them, so lines spelled differently wait for an explicit mapping."""
    if not touched:
        return []
    keys = {normalise_sku(sku) for sku in touched}
    groups: dict[str, list[str]] = {}
    for sku in connection.execute(select(ITEMS.c.sku)).scalars():
        key = normalise_sku(sku)
        if key in keys:
            groups.setdefault(key, []).append(sku)
    return [
        f"the SKUs {', '.join(sorted(group))} differ only in case or separators: a line "
        f"spelled otherwise (e.g. {key!r}) cannot be matched to one of them without a mapping"
        for key, group in sorted(groups.items())
        if len(group) > 1
    ]


# -- the seller's shop as the source ----------------------------------------------------------


@dataclass
class CatalogSyncResult:
    """One read of a shop's products: the counts, and the products left out with why."""

    account_id: str
    products: int = 0
    counts: CatalogCounts = field(default_factory=CatalogCounts)
    skipped: list[str] = field(default_factory=list)


def records_from_products(
    products: Iterable[Mapping[str, Any]], account_id: str
) -> tuple[list[CatalogRecord], list[str], int]:
    """Turn a connector's catalog records (see ``Capability.CATALOG``) into checked
    records. Returns the records, the reasons products were left out (no SKU, a SKU used
    twice), and how many products were read."""
    records: list[CatalogRecord] = []
    skipped: list[str] = []
    owner: dict[str, str] = {}
    total = 0
    for product in products:
        total += 1
        ref = str(product.get("ref") or "a product")
        title = product.get("title")
        title_text = str(title).strip() if title else None
        sku_value = product.get("sku")
        sku = str(sku_value).strip() if sku_value else ""
        label = f"{ref} ({title_text})" if title_text else ref
        if not sku:
            skipped.append(f"{label}: no SKU of its own; give it one in the shop")
            continue
        if len(sku) > _SKU_LIMIT:
            skipped.append(f"{label}: its SKU is longer than {_SKU_LIMIT} characters")
            continue
        if sku in owner:
            skipped.append(f"{label}: SKU {sku!r} is also used by {owner[sku]}")
            continue
        owner[sku] = ref
        gtin_value = product.get("gtin")
        gtin = normalise_gtin(str(gtin_value)) if gtin_value else None
        identifiers: list[tuple[str, str, str]] = []
        raw_ids = product.get("identifiers") or {}
        for kind, value in raw_ids.items() if isinstance(raw_ids, Mapping) else ():
            if kind not in IDENTIFIER_KINDS or value in (None, "", 0, "0"):
                continue
            scope = account_id if kind in ACCOUNT_LOCAL_KINDS else ""
            identifiers.append((str(kind), str(value).strip(), scope))
        if gtin:
            identifiers.append((GTIN, gtin, ""))
        records.append(CatalogRecord(sku, title_text, gtin, tuple(identifiers)))
    return records, skipped, total


def sync_catalog(
    engine: Engine,
    connector: Connector[Any],
    now: datetime,
    *,
    config: MatchingConfig | None = None,
) -> CatalogSyncResult:
    """Read the seller's shop's products through ``connector`` (which declares
    ``Capability.CATALOG`` and has ``fetch_products()``), upsert them into the catalog with
    the shop's product and variation ids scoped to the account, and resolve the orders
    awaiting a mapping again. One transaction, after the whole catalog was read, so a
    failed read changes nothing. Raises :class:`MatchingError` for a connector without a
    catalog, and the connector's errors as they come."""
    fetch = getattr(connector, "fetch_products", None)
    if Capability.CATALOG not in connector.capabilities or fetch is None:
        raise MatchingError(
            f"the {connector.name} connector cannot read a product catalog.",
            "Import the catalog from a CSV file: `orderhub catalog import FILE.csv`.",
        )
    records, skipped, total = records_from_products(fetch(), connector.account_id)
    result = CatalogSyncResult(account_id=connector.account_id, products=total, skipped=skipped)
    with engine.begin() as connection:
        result.counts = apply_catalog(
            connection,
            records,
            source=f"{connector.name}:{connector.account_id}",
            now=now,
            config=config,
        )
    counts = result.counts
    structlog.get_logger().info(
        "catalog.synced",
        account=connector.account_id,
        channel=connector.name,
        products=total,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        skipped=len(skipped),
        released=counts.resolved.released,
    )
    return result


# -- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogEntry:
    sku: str
    title: str | None
    gtin: str | None
    source: str
    updated_at: datetime
    identifiers: tuple[tuple[str, str, str], ...]


def list_catalog(
    connection: Connection, *, search: str | None = None, limit: int = 100
) -> tuple[list[CatalogEntry], int]:
    """Catalog items by SKU (``search``: a text in the SKU or title, case-insensitive),
    and how many items match in all."""
    query = select(ITEMS)
    count = select(func.count()).select_from(ITEMS)
    if search:
        pattern = f"%{search.lower()}%"
        condition = or_(
            func.lower(ITEMS.c.sku).like(pattern), func.lower(ITEMS.c.title).like(pattern)
        )
        query = query.where(condition)
        count = count.where(condition)
    total = int(connection.execute(count).scalar_one())
    items = list(connection.execute(query.order_by(ITEMS.c.sku).limit(limit)))
    idents: dict[int, list[tuple[str, str, str]]] = {}
    if items:
        for row in connection.execute(
            select(IDENTIFIERS)
            .where(IDENTIFIERS.c.item_id.in_([item.id for item in items]))
            .order_by(IDENTIFIERS.c.kind, IDENTIFIERS.c.value)
        ):
            idents.setdefault(row.item_id, []).append((row.kind, row.value, row.account_id))
    return [
        CatalogEntry(
            sku=item.sku,
            title=item.title,
            gtin=item.gtin,
            source=item.source,
            updated_at=item.updated_at,
            identifiers=tuple(idents.get(item.id, ())),
        )
        for item in items
    ], total
