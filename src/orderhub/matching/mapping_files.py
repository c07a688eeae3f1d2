"""Mapping files and reading mappings back: the CSV format (``config/skus.example.csv``),
its import (checked whole, then applied as one change), the mapping list and its history.

Mapping CSV columns::

    ext_sku,internal_sku,quantity,account,channel

One row per component: rows with the same ``ext_sku`` and scope form one bundle, and the
file's components replace the mapping's. ``quantity`` defaults to 1; ``account`` or
``channel`` (at most one) scope the row, both empty means global.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from orderhub.matching.csvfile import read_csv
from orderhub.matching.errors import InputRejected, MatchingError, RowProblem
from orderhub.matching.index import COMPONENTS, MAPPINGS, scope_of
from orderhub.matching.mapping_check import MappingRequest, Node
from orderhub.matching.mappings import HISTORY, MappingResult, set_mappings
from orderhub.matching.normalise import normalise_sku
from orderhub.matching.settings import MatchingConfig

MAPPING_COLUMNS = ("ext_sku", "internal_sku", "quantity", "account", "channel")


# -- CSV --------------------------------------------------------------------------------------


def parse_mapping_csv(path: Path) -> list[MappingRequest]:
    """Read a mapping file into requests (rows of one SKU and scope form one bundle).
    Raises :class:`InputRejected` with every malformed row, or :class:`MatchingError` for
    a file that cannot be read."""
    rows = read_csv(
        path, required=("ext_sku", "internal_sku"), known=MAPPING_COLUMNS, what="a mapping file"
    )
    problems: list[RowProblem] = []
    groups: dict[Node, dict[str, Any]] = {}
    for row in rows:
        bad = len(problems)
        if row.extra:
            problems.append(
                RowProblem(
                    row.number,
                    "more cells than the header has columns (a comma inside a value needs quotes)",
                )
            )
        ext, internal = row.get("ext_sku"), row.get("internal_sku")
        account, channel = row.get("account") or None, row.get("channel") or None
        if not ext:
            problems.append(RowProblem(row.number, "ext_sku is empty"))
        if not internal:
            problems.append(RowProblem(row.number, "internal_sku is empty"))
        quantity_text = row.get("quantity") or "1"
        try:
            quantity = int(quantity_text)
        except ValueError:
            problems.append(
                RowProblem(row.number, f"quantity {quantity_text!r} is not a whole number")
            )
            quantity = 0
        else:
            if quantity < 1:
                problems.append(
                    RowProblem(row.number, f"quantity {quantity}: it must be at least 1")
                )
        if account and channel:
            problems.append(
                RowProblem(row.number, "both account and channel are given: give at most one")
            )
        if len(problems) > bad or not ext:
            continue
        node = (scope_of(account, channel), normalise_sku(ext))
        group = groups.setdefault(
            node,
            {"ext": ext, "account": account, "channel": channel, "parts": [], "rows": []},
        )
        group["parts"].append((internal, quantity))
        group["rows"].append(row.number)
    if problems:
        raise InputRejected(
            f"The mapping file {path}",
            problems,
            "Correct those rows (the header is row 1) and import the file again.",
        )
    return [
        MappingRequest(
            external_sku=group["ext"],
            components=tuple(group["parts"]),
            account_id=group["account"],
            channel=group["channel"],
            rows=tuple(group["rows"]),
        )
        for group in groups.values()
    ]


def import_mappings_csv(
    connection: Connection,
    path: Path,
    *,
    now: datetime,
    config: MatchingConfig | None = None,
    actor: str | None = None,
) -> MappingResult:
    """Check the whole file (format, components, cycles), then apply it in the caller's
    transaction with ``import:FILE`` as the author. Raises :class:`InputRejected` listing
    every bad row; nothing is applied then."""
    requests = parse_mapping_csv(path)
    if not requests:
        raise MatchingError(f"{path} has no mapping rows.", "Add rows below the header.")
    return set_mappings(
        connection,
        requests,
        actor=actor or f"import:{path}",
        now=now,
        config=config,
        what=f"The mapping file {path}",
    )


# -- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MappingView:
    id: int
    scope: str
    external_sku: str
    components: tuple[tuple[str, int], ...]
    updated_at: datetime
    updated_by: str


def list_mappings(connection: Connection, *, search: str | None = None) -> list[MappingView]:
    """Every mapping (``search``: the channel SKU contains this text, any spelling)."""
    parts: dict[int, list[tuple[str, int]]] = {}
    for row in connection.execute(
        select(COMPONENTS).order_by(COMPONENTS.c.mapping_id, COMPONENTS.c.position)
    ):
        parts.setdefault(row.mapping_id, []).append((row.component_sku, row.quantity))
    query = select(MAPPINGS).order_by(MAPPINGS.c.external_key, MAPPINGS.c.scope)
    if search:
        query = query.where(MAPPINGS.c.external_key.contains(normalise_sku(search)))
    return [
        MappingView(
            id=row.id,
            scope=row.scope,
            external_sku=row.external_sku,
            components=tuple(parts.get(row.id, ())),
            updated_at=row.updated_at,
            updated_by=row.updated_by,
        )
        for row in connection.execute(query)
    ]


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    action: str
    scope: str
    external_sku: str
    old: tuple[tuple[str, int], ...] | None
    new: tuple[tuple[str, int], ...] | None
    actor: str


def _parts(value: Any) -> tuple[tuple[str, int], ...] | None:
    if value is None:
        return None
    return tuple((str(item["sku"]), int(item["quantity"])) for item in value)


def mapping_history(
    connection: Connection, *, external_sku: str | None = None, limit: int = 50
) -> list[HistoryEntry]:
    """The newest changes first (``external_sku``: only that SKU's, any spelling)."""
    query = select(HISTORY).order_by(HISTORY.c.id.desc()).limit(limit)
    if external_sku:
        query = query.where(HISTORY.c.external_key == normalise_sku(external_sku))
    return [
        HistoryEntry(
            at=row.at,
            action=row.action,
            scope=row.scope,
            external_sku=row.external_sku,
            old=_parts(row.old_components),
            new=_parts(row.new_components),
            actor=row.actor,
        )
        for row in connection.execute(query)
    ]
