"""Explicit mappings: a channel SKU to catalog components, with history.

A mapping has a scope (an account, a channel, or global) and one or more components, each
a catalog SKU or another mapped SKU (a nested bundle) with a quantity per unit of the
channel SKU: ``PACK3-BLUE`` -> 3 x ``BLUE-TEE`` is a multipack, ``GIFTSET`` -> 1 x ``MUG`` +
2 x ``COASTER`` a bundle. A component name is a catalog SKU first; only a name that is no
catalog SKU refers to a mapping, looked up in the mapping's own scope, then globally.

Every change is checked whole before anything is written: a component that is neither in
the catalog nor mapped, a quantity below 1, a bundle that (through others) contains itself,
are refused with the reason and the fix. Applied changes are recorded in
``mapping_history`` with who made them, and the orders with lines of the changed SKUs are
resolved again at once (shipped, cancelled and refunded orders keep their resolved lines).

Mapping CSV columns (``config/skus.example.csv``)::

    ext_sku,internal_sku,quantity,account,channel

One row per component: rows with the same ``ext_sku`` and scope form one bundle, and the
file's components replace the mapping's. ``quantity`` defaults to 1; ``account`` or
``channel`` (at most one) scope the row, both empty means global.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from rapidfuzz import fuzz, process
from sqlalchemy import Connection, delete, select, update

from orderhub.matching.csvfile import read_csv
from orderhub.matching.errors import InputRejected, MatchingError, RowProblem
from orderhub.matching.index import (
    COMPONENTS,
    GLOBAL,
    MAPPINGS,
    MappingSpec,
    MatchingIndex,
    component_scopes,
    describe_scope,
    index_for,
    scope_of,
)
from orderhub.matching.normalise import SkuRules, normalise_sku
from orderhub.matching.resolve import ResolveCounts, bump_revision, reresolve_keys
from orderhub.matching.settings import MatchingConfig
from orderhub.store.tables import MappingHistory, metadata

HISTORY = metadata.tables[MappingHistory.__tablename__]

MAPPING_COLUMNS = ("ext_sku", "internal_sku", "quantity", "account", "channel")
_SKU_LIMIT = 128
_ACTOR_LIMIT = 300
_UNKNOWN_FIX = (
    "Add it to the catalog first (`orderhub catalog import FILE.csv`) or correct the SKU "
    "(`orderhub catalog list --search TEXT` finds it)."
)

Node = tuple[str, str]  # (scope, normalised external SKU)


@dataclass(frozen=True)
class MappingRequest:
    """A mapping to create or replace. ``rows`` (CSV imports) gives the file row of each
    component, so problems name the row."""

    external_sku: str
    components: tuple[tuple[str, int], ...]
    account_id: str | None = None
    channel: str | None = None
    rows: tuple[int, ...] = ()

    def row(self, component: int | None = None) -> int:
        if not self.rows:
            return 0
        return self.rows[component] if component is not None else self.rows[0]


@dataclass(frozen=True)
class MappingChange:
    """What happened to one mapping: ``created``, ``changed``, ``unchanged`` or
    ``deleted``, with the components before and after."""

    mapping_id: int
    scope: str
    external_sku: str
    action: str
    old: tuple[tuple[str, int], ...] | None
    new: tuple[tuple[str, int], ...] | None


@dataclass
class MappingResult:
    changes: list[MappingChange] = field(default_factory=list)
    resolved: ResolveCounts = field(default_factory=ResolveCounts)
    notes: list[str] = field(default_factory=list)


def _components_json(components: Sequence[tuple[str, int]] | None) -> list[Any] | None:
    if components is None:
        return None
    return [{"sku": sku, "quantity": quantity} for sku, quantity in components]


def describe_components(components: Sequence[tuple[str, int]]) -> str:
    """``3 x BLUE-TEE`` or ``1 x MUG + 2 x COASTER``."""
    return " + ".join(f"{quantity} x {sku}" for sku, quantity in components)


def _did_you_mean(name: str, catalog: frozenset[str]) -> str:
    if not catalog:
        return " The catalog is empty."
    best = process.extractOne(
        normalise_sku(name), {sku: normalise_sku(sku) for sku in catalog}, scorer=fuzz.WRatio
    )
    if best is None or best[1] < 70:
        return ""
    return f" Did you mean {best[2]!r}?"


@dataclass
class _Problem:
    request: int
    component: int | None
    message: str
    fix: str | None = None


class _Checker:
    """Checks a batch of requests against the catalog and the mappings (stored and in the
    batch) and canonicalises component names."""

    def __init__(self, index: MatchingIndex, requests: Sequence[MappingRequest]) -> None:
        self.index = index
        self.requests = requests
        self.problems: list[_Problem] = []
        self.specs: dict[Node, tuple[tuple[str, int], ...]] = {
            node: spec.components for node, spec in index.mappings.items()
        }
        self.names: dict[Node, str] = {
            node: spec.external_sku for node, spec in index.mappings.items()
        }
        self.first: dict[Node, int] = {}

    def run(self) -> dict[Node, tuple[tuple[str, int], ...]]:
        """Check every request; returns the canonical components of each good one (all of
        them when ``problems`` stays empty)."""
        for number, request in enumerate(self.requests):
            node = self._node(number, request)
            if node is not None and node in self.first:
                self.problems.append(
                    _Problem(
                        number,
                        None,
                        f"{request.external_sku!r} ({describe_scope(node[0])}) is given twice",
                        "Give each SKU and scope once, with all its components.",
                    )
                )
                node = None
            if node is None:
                continue
            self.first[node] = number
            self.names[node] = request.external_sku.strip()
            # Known before any component is checked: a bundle may use a mapping defined
            # further down the same file. Empty until its components are checked, so a
            # request with bad components takes part in no cycle.
            self.specs[node] = ()
        checked: dict[Node, tuple[tuple[str, int], ...]] = {}
        for node, number in self.first.items():
            components = self._components(number, self.requests[number], node[0])
            if components is not None:
                self.specs[node] = components
                checked[node] = components
        self._cycles(list(checked))
        return checked

    def _node(self, number: int, request: MappingRequest) -> Node | None:
        ok = True
        if request.account_id and request.channel:
            ok = False
            self.problems.append(
                _Problem(
                    number,
                    None,
                    "both an account and a channel are given",
                    "Give one: an account belongs to one channel (or neither, for a global "
                    "mapping).",
                )
            )
        sku = request.external_sku.strip()
        if not sku:
            self.problems.append(
                _Problem(number, None, "the channel SKU is empty", "Give the SKU to map.")
            )
            return None
        if len(sku) > _SKU_LIMIT:
            self.problems.append(
                _Problem(number, None, f"the channel SKU is longer than {_SKU_LIMIT} characters")
            )
            return None
        key = normalise_sku(sku)
        if not key:
            self.problems.append(
                _Problem(number, None, f"the channel SKU {sku!r} has nothing but separators")
            )
            return None
        return (scope_of(request.account_id, request.channel), key) if ok else None

    def _components(
        self, number: int, request: MappingRequest, scope: str
    ) -> tuple[tuple[str, int], ...] | None:
        if not request.components:
            self.problems.append(
                _Problem(number, None, "no component", "Name the catalog SKU to map it to.")
            )
            return None
        out: list[tuple[str, int]] = []
        seen: dict[str, int] = {}
        ok = True
        for position, (given, quantity) in enumerate(request.components):
            name = given.strip()
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
                ok = False
                self.problems.append(
                    _Problem(
                        number,
                        position,
                        f"quantity {quantity} for {name or 'the component'}: a quantity must "
                        "be a whole number of at least 1",
                        "Use 1 or more (3 for a pack of three).",
                    )
                )
            if not name:
                ok = False
                self.problems.append(
                    _Problem(number, position, "the catalog SKU is empty", "Give the catalog SKU.")
                )
                continue
            target = self._canonical(scope, name)
            if target is None:
                ok = False
                self.problems.append(
                    _Problem(
                        number,
                        position,
                        f"{name!r} is not in the catalog (nor a mapped SKU)."
                        f"{_did_you_mean(name, self.index.catalog)}",
                        _UNKNOWN_FIX,
                    )
                )
                continue
            if target in seen:
                ok = False
                self.problems.append(
                    _Problem(
                        number,
                        position,
                        f"{target!r} is listed twice for {request.external_sku!r}",
                        "Give each component once, with its total quantity.",
                    )
                )
                continue
            seen[target] = position
            out.append((target, quantity))
        return tuple(out) if ok else None

    def _canonical(self, scope: str, name: str) -> str | None:
        """The stored name of a component: the catalog SKU as written, a mapped SKU, or a
        catalog SKU spelled differently (only when exactly one catalog SKU matches)."""
        if name in self.index.catalog:
            return name
        key = normalise_sku(name)
        for where in component_scopes(scope):
            if (where, key) in self.specs:
                return self.names.get((where, key), name)
        return self.index.by_key.get(key)

    def _target(self, scope: str, name: str) -> Node | None:
        if name in self.index.catalog:
            return None
        key = normalise_sku(name)
        for where in component_scopes(scope):
            if (where, key) in self.specs:
                return (where, key)
        return None

    def _cycles(self, starts: list[Node]) -> None:
        done: set[Node] = set()
        reported: set[frozenset[Node]] = set()

        def visit(node: Node, path: list[Node]) -> list[Node] | None:
            if node in path:
                return [*path[path.index(node) :], node]
            if node in done:
                return None
            for name, _ in self.specs.get(node, ()):
                target = self._target(node[0], name)
                if target is not None:
                    cycle = visit(target, [*path, node])
                    if cycle is not None:
                        return cycle
            done.add(node)
            return None

        for start in starts:
            cycle = visit(start, [])
            if cycle is None:
                continue
            members = frozenset(cycle)
            if members in reported:
                continue
            reported.add(members)
            shown = " -> ".join(self.names.get(node, node[1]) for node in cycle)
            self.problems.append(
                _Problem(
                    self.first[start],
                    None,
                    f"bundle cycle: {shown} (a bundle cannot contain itself)",
                    "Map one of these SKUs to catalog SKUs instead of to the others.",
                )
            )


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _refuse(requests: Sequence[MappingRequest], problems: list[_Problem], what: str) -> NoReturn:
    rows = [RowProblem(requests[p.request].row(p.component), p.message, p.fix) for p in problems]
    if len(requests) == 1 and not requests[0].rows and len(rows) == 1:
        raise MatchingError(_sentence(rows[0].message), rows[0].fix)
    raise InputRejected(
        what,
        rows,
        "Correct those rows (the header is row 1) and import the file again."
        if any(r.rows for r in requests)
        else "Correct the mapping and run the command again.",
    )


def set_mappings(
    connection: Connection,
    requests: Sequence[MappingRequest],
    *,
    actor: str,
    now: datetime,
    config: MatchingConfig | None = None,
    what: str = "The mapping",
) -> MappingResult:
    """Create or replace mappings, all or none, in the caller's transaction; record the
    history with ``actor`` (``cli``, ``import:FILE``) and resolve the affected orders
    again. Raises :class:`MatchingError` (one request, one problem) or
    :class:`InputRejected` (every problem) and changes nothing when any request is bad."""
    index = index_for(connection, SkuRules.from_config(config))
    checker = _Checker(index, requests)
    checked = checker.run()
    if checker.problems:
        _refuse(requests, checker.problems, what)
    actor = actor[:_ACTOR_LIMIT]
    result = MappingResult()
    changed: set[Node] = set()
    for node, components in checked.items():
        request = requests[checker.first[node]]
        change = _write(
            connection,
            node,
            request=request,
            spec=index.mappings.get(node),
            components=components,
            actor=actor,
            now=now,
        )
        result.changes.append(change)
        if change.action != "unchanged":
            changed.add(node)
        result.notes.extend(
            f"{given.strip()!r} is stored as {stored!r}"
            for (given, _), (stored, _q) in zip(request.components, components, strict=True)
            if given.strip() != stored
        )
    if changed:
        bump_revision(connection, now)
        keys = _affected_keys(checker, changed)
        result.resolved = reresolve_keys(connection, keys, now=now, config=config)
    return result


def _affected_keys(checker: _Checker, changed: set[Node]) -> set[str]:
    """The changed SKUs and every mapped SKU whose bundle (transitively) contains one."""
    users: dict[Node, set[Node]] = {}
    for node, components in checker.specs.items():
        for name, _ in components:
            target = checker._target(node[0], name)
            if target is not None:
                users.setdefault(target, set()).add(node)
    affected = set(changed)
    todo = list(changed)
    while todo:
        for user in users.get(todo.pop(), ()):
            if user not in affected:
                affected.add(user)
                todo.append(user)
    return {key for _, key in affected}


def _write(
    connection: Connection,
    node: Node,
    *,
    request: MappingRequest,
    spec: MappingSpec | None,
    components: tuple[tuple[str, int], ...],
    actor: str,
    now: datetime,
) -> MappingChange:
    scope, key = node
    sku = request.external_sku.strip()
    account_id, channel = request.account_id or None, request.channel or None
    if spec is not None and spec.components == components:
        return MappingChange(spec.id, scope, sku, "unchanged", spec.components, components)
    if spec is None:
        connection.execute(
            MAPPINGS.insert().values(
                scope=scope,
                account_id=account_id,
                channel=channel,
                external_sku=sku,
                external_key=key,
                created_at=now,
                updated_at=now,
                created_by=actor,
                updated_by=actor,
            )
        )
        mapping_id = int(
            connection.execute(
                select(MAPPINGS.c.id).where(
                    MAPPINGS.c.scope == scope, MAPPINGS.c.external_key == key
                )
            ).scalar_one()
        )
        action, old = "created", None
    else:
        mapping_id, action, old = spec.id, "changed", spec.components
        connection.execute(
            update(MAPPINGS)
            .where(MAPPINGS.c.id == mapping_id)
            .values(external_sku=sku, updated_at=now, updated_by=actor)
        )
        connection.execute(delete(COMPONENTS).where(COMPONENTS.c.mapping_id == mapping_id))
    connection.execute(
        COMPONENTS.insert(),
        [
            {"mapping_id": mapping_id, "position": position, "component_sku": name, "quantity": q}
            for position, (name, q) in enumerate(components, start=1)
        ],
    )
    connection.execute(
        HISTORY.insert().values(
            mapping_id=mapping_id,
            scope=scope,
            external_sku=sku,
            external_key=key,
            action=action,
            old_components=_components_json(old),
            new_components=_components_json(components),
            actor=actor,
            at=now,
        )
    )
    return MappingChange(mapping_id, scope, sku, action, old, components)


def delete_mapping(
    connection: Connection,
    external_sku: str,
    *,
    account_id: str | None = None,
    channel: str | None = None,
    actor: str,
    now: datetime,
    config: MatchingConfig | None = None,
) -> MappingResult:
    """Remove a mapping (its lines in open orders are resolved again without it). Refused
    when another mapping uses it as a component."""
    if account_id and channel:
        raise MatchingError(
            "both an account and a channel are given.", "Give the scope the mapping has."
        )
    index = index_for(connection, SkuRules.from_config(config))
    node = (scope_of(account_id, channel), normalise_sku(external_sku))
    spec = index.mappings.get(node)
    if spec is None:
        raise MatchingError(
            f"there is no {describe_scope(node[0])} mapping of {external_sku!r}.",
            "List the mappings with `orderhub skus list`.",
        )
    users = sorted(
        f"{other.external_sku!r} ({describe_scope(other.scope)})"
        for other in index.mappings.values()
        if other.id != spec.id
        and any(index.component_target(other.scope, name) == spec for name, _ in other.components)
    )
    if users:
        raise MatchingError(
            f"{spec.external_sku!r} is a component of {', '.join(users)}.",
            "Change or remove those mappings first.",
        )
    connection.execute(delete(COMPONENTS).where(COMPONENTS.c.mapping_id == spec.id))
    connection.execute(delete(MAPPINGS).where(MAPPINGS.c.id == spec.id))
    connection.execute(
        HISTORY.insert().values(
            mapping_id=spec.id,
            scope=spec.scope,
            external_sku=spec.external_sku,
            external_key=spec.external_key,
            action="deleted",
            old_components=_components_json(spec.components),
            new_components=None,
            actor=actor[:_ACTOR_LIMIT],
            at=now,
        )
    )
    bump_revision(connection, now)
    result = MappingResult(
        changes=[
            MappingChange(spec.id, spec.scope, spec.external_sku, "deleted", spec.components, None)
        ]
    )
    result.resolved = reresolve_keys(connection, {spec.external_key}, now=now, config=config)
    return result


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


__all__ = [
    "GLOBAL",
    "MAPPING_COLUMNS",
    "HistoryEntry",
    "MappingChange",
    "MappingRequest",
    "MappingResult",
    "MappingView",
    "delete_mapping",
    "describe_components",
    "import_mappings_csv",
    "list_mappings",
    "mapping_history",
    "parse_mapping_csv",
    "set_mappings",
]
