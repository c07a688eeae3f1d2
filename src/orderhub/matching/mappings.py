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

The checks live in :mod:`orderhub.matching.mapping_check`, the CSV format, the list and
the history in :mod:`orderhub.matching.mapping_files`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from orderhub.matching.errors import MatchingError
from orderhub.matching.index import (
    COMPONENTS,
    MAPPINGS,
    MappingSpec,
    describe_scope,
    index_for,
    scope_of,
)
from orderhub.matching.mapping_check import MappingChecker, MappingRequest, Node, refuse_mappings
from orderhub.matching.normalise import SkuRules, normalise_sku
from orderhub.matching.resolve import ResolveCounts, bump_revision, reresolve_keys
from orderhub.matching.settings import MatchingConfig
from orderhub.store.tables import MappingHistory, metadata

HISTORY = metadata.tables[MappingHistory.__tablename__]

_ACTOR_LIMIT = 300


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
    checker = MappingChecker(index, requests)
    checked = checker.run()
    if checker.problems:
        refuse_mappings(requests, checker.problems, what)
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


def _affected_keys(checker: MappingChecker, changed: set[Node]) -> set[str]:
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


__all__ = [
    "HISTORY",
    "MappingChange",
    "MappingRequest",
    "MappingResult",
    "delete_mapping",
    "describe_components",
    "set_mappings",
]
