"""The resolver's in-memory core: the catalog, its identifiers and the mappings, indexed
for dictionary lookups, and the resolution of one line in the documented order:

1. an explicit mapping of the line's SKU (normalised), scoped to the account, then to the
   channel, then global;
2. the exact catalog SKU;
3. the normalised SKU (case, spaces and separators ignored; then the configured prefixes
   and suffixes removed);
4. the line's channel ids (ASIN, eBay item and variation, the shop's product or variation
   id, a GTIN) against the catalog's identifiers;
5. unresolved: the line waits for a mapping.

Mappings are expanded once, when the index is built: nested bundles are flattened to
catalog SKUs with multiplied quantities, so resolving a line is a few dictionary lookups.
A worker keeps the index between pages and rebuilds it only when the store's matching
revision (changed with every catalog or mapping change) or the rules differ.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import Connection, Engine, Table, select

from orderhub.matching.normalise import SkuRules, line_identifier_keys, normalise_sku
from orderhub.store import statements
from orderhub.store.tables import (
    CatalogIdentifier,
    CatalogItem,
    MatchingRevision,
    SkuMapping,
    SkuMappingComponent,
    metadata,
)

ITEMS: Table = metadata.tables[CatalogItem.__tablename__]
IDENTIFIERS: Table = metadata.tables[CatalogIdentifier.__tablename__]
MAPPINGS: Table = metadata.tables[SkuMapping.__tablename__]
COMPONENTS: Table = metadata.tables[SkuMappingComponent.__tablename__]
REVISION: Table = metadata.tables[MatchingRevision.__tablename__]

GLOBAL = "global"
#: Entries an index's per-SKU memo holds at most (about 200 bytes each).
MEMO_LIMIT = 100_000


class Method(StrEnum):
    """How a line was resolved (stored in ``line_resolutions.method``)."""

    MAPPING = "mapping"
    EXACT = "exact"
    NORMALISED = "normalised"
    IDENTIFIER = "identifier"
    UNRESOLVED = "unresolved"


def account_scope(account_id: str) -> str:
    return f"account:{account_id}"


def channel_scope(channel: str) -> str:
    return f"channel:{channel}"


def scope_of(account_id: str | None, channel: str | None) -> str:
    """The scope of a mapping for ``--account`` / ``--channel`` (at most one is given)."""
    if account_id:
        return account_scope(account_id)
    if channel:
        return channel_scope(channel)
    return GLOBAL


def describe_scope(scope: str) -> str:
    """``account shop``, ``channel amazon`` or ``global``, for people."""
    kind, _, name = scope.partition(":")
    return f"{kind} {name}" if name else kind


def component_scopes(scope: str) -> tuple[str, ...]:
    """Where the components of a mapping in ``scope`` are looked up when they are not
    catalog SKUs: its own scope, then the global one."""
    return (scope,) if scope == GLOBAL else (scope, GLOBAL)


@dataclass(frozen=True, slots=True)
class Component:
    """``quantity`` units of catalog SKU ``sku`` per unit of the line; ``via`` names the
    bundles it came through (``GIFTSET > MUG-SET``), None for a direct component."""

    sku: str
    quantity: int
    via: str | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome for one line: the method, the catalog components per unit of the line,
    what matched (or why nothing did) and, for mappings, which one."""

    method: Method
    components: tuple[Component, ...]
    matched: str
    mapping_id: int | None = None
    scope: str | None = None

    @property
    def resolved(self) -> bool:
        return self.method is not Method.UNRESOLVED


@dataclass(frozen=True, slots=True)
class MappingSpec:
    """A mapping as stored: its components name catalog SKUs or other mapped SKUs."""

    id: int
    scope: str
    external_sku: str
    external_key: str
    components: tuple[tuple[str, int], ...]


class _Miss:
    """Why a line's SKU matched nothing, with the line's answers built once each, when
    first asked for (the miss is remembered per SKU, and a SKU's lines mostly need only
    one of them): ``alone`` for a line without channel ids, ``with_ids`` for one whose ids
    match nothing either."""

    __slots__ = ("_alone", "_with_ids", "reason")

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self._alone: Resolution | None = None
        self._with_ids: Resolution | None = None

    @property
    def alone(self) -> Resolution:
        answer = self._alone
        if answer is None:
            answer = self._alone = Resolution(Method.UNRESOLVED, (), self.reason)
        return answer

    @property
    def with_ids(self) -> Resolution:
        answer = self._with_ids
        if answer is None:
            reason = f"{self.reason}; no catalog identifier matches its channel ids"
            answer = self._with_ids = Resolution(Method.UNRESOLVED, (), reason)
        return answer


_NO_SKU = _Miss("the line has no SKU")


@dataclass
class MatchingIndex:
    """Everything resolution needs, in memory. Build with :meth:`build` (or
    :func:`index_for` from a store). It never changes once built, so threads may share it.

    Resolving costs a normalisation and a few dictionary lookups per line the first time a
    SKU is seen in an account and channel; after that, one lookup in a per-SKU memo. The
    memo lives as long as the index, i.e. until the catalog, the mappings or the rules
    change (a new index is built then), and stops growing at :data:`MEMO_LIMIT` entries,
    so memory stays bounded whatever the order history."""

    catalog: frozenset[str]
    by_key: dict[str, str]
    ambiguous: dict[str, tuple[str, ...]]
    identifiers: dict[tuple[str, str, str], str]
    mappings: dict[tuple[str, str], MappingSpec]
    expanded: dict[int, Resolution]
    rules: SkuRules = field(default_factory=SkuRules)
    # Lookups the hot path uses: mappings by normalised SKU then scope, and the answers
    # for exact and normalised hits built once (most lines end there).
    _by_external: dict[str, dict[str, MappingSpec]] = field(default_factory=dict)
    _exact: dict[str, Resolution] = field(default_factory=dict)
    _normalised: dict[str, Resolution] = field(default_factory=dict)
    # Per-SKU memos: the SKU-step outcome by account, channel and SKU (nested: no key to
    # build per line), and SKU keys by SKU. Once full they stop growing (a history with
    # more distinct SKUs than the limit keeps its first ones; emptying and refilling would
    # cost more than it saves).
    # Filled by the threads that share the index (single dict operations, safe under the
    # GIL); an entry is a pure function of the index's contents, so a race only repeats work.
    _memo: dict[str, dict[str, dict[str, Resolution | _Miss]]] = field(default_factory=dict)
    _memo_size: int = 0
    _keys: dict[str, str] = field(default_factory=dict)
    # The answers for catalog identifiers found, by identifier (bounded like the rest).
    _identified: dict[tuple[str, str, str], Resolution] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        catalog: Iterable[str],
        identifiers: Iterable[tuple[str, str, str, str]] = (),
        mappings: Iterable[MappingSpec] = (),
        rules: SkuRules | None = None,
    ) -> MatchingIndex:
        """``identifiers`` are (kind, value, account or "", catalog sku) rows."""
        skus = frozenset(catalog)
        groups: dict[str, list[str]] = {}
        for sku in skus:
            groups.setdefault(normalise_sku(sku), []).append(sku)
        by_key = {key: group[0] for key, group in groups.items() if len(group) == 1}
        ambiguous = {key: tuple(sorted(group)) for key, group in groups.items() if len(group) > 1}
        index = cls(
            catalog=skus,
            by_key=by_key,
            ambiguous=ambiguous,
            identifiers={(kind, value, account): sku for kind, value, account, sku in identifiers},
            mappings={(m.scope, m.external_key): m for m in mappings},
            expanded={},
            rules=rules or SkuRules(),
        )
        for spec in index.mappings.values():
            index.expanded[spec.id] = index._expand_mapping(spec)
            index._by_external.setdefault(spec.external_key, {})[spec.scope] = spec
        index._exact = {sku: Resolution(Method.EXACT, (Component(sku, 1),), sku) for sku in skus}
        index._normalised = {
            key: Resolution(Method.NORMALISED, (Component(sku, 1),), key)
            for key, sku in by_key.items()
        }
        return index

    # -- mappings ------------------------------------------------------------------------------

    def component_target(self, scope: str, name: str) -> str | MappingSpec | None:
        """What a component name stands for in a mapping of ``scope``: a catalog SKU (which
        wins), a mapping (a nested bundle), or None when it is neither."""
        if name in self.catalog:
            return name
        key = normalise_sku(name)
        for where in component_scopes(scope):
            spec = self.mappings.get((where, key))
            if spec is not None:
                return spec
        return None

    def _expand_mapping(self, spec: MappingSpec) -> Resolution:
        try:
            components = self._flatten(spec, 1, None, ())
        except _BrokenMappingError as exc:
            return Resolution(
                Method.UNRESOLVED,
                (),
                f"mapping #{spec.id} of {spec.external_sku!r} is broken: {exc}",
                mapping_id=spec.id,
                scope=spec.scope,
            )
        return Resolution(
            Method.MAPPING,
            tuple(components),
            spec.external_sku,
            mapping_id=spec.id,
            scope=spec.scope,
        )

    def _flatten(
        self, spec: MappingSpec, factor: int, via: str | None, stack: tuple[int, ...]
    ) -> list[Component]:
        if spec.id in stack:
            raise _BrokenMappingError(f"its bundles form a cycle through {spec.external_sku!r}")
        out: list[Component] = []
        for name, quantity in spec.components:
            target = self.component_target(spec.scope, name)
            if target is None:
                raise _BrokenMappingError(f"component {name!r} is not in the catalog")
            if isinstance(target, str):
                out.append(Component(target, quantity * factor, via))
            else:
                path = target.external_sku if via is None else f"{via} > {target.external_sku}"
                out.extend(self._flatten(target, quantity * factor, path, (*stack, spec.id)))
        return out

    # -- lines ---------------------------------------------------------------------------------

    def resolve(
        self,
        account_id: str,
        channel: str,
        sku: str | None,
        identifiers: Mapping[str, str] | None = None,
    ) -> Resolution:
        """Resolve one line (per unit of the line) in the documented order."""
        miss = _NO_SKU
        if sku:
            by_channel = self._memo.get(account_id)
            if by_channel is None:
                by_channel = self._memo[account_id] = {}
            memo = by_channel.get(channel)
            if memo is None:
                memo = by_channel[channel] = {}
            hit = memo.get(sku)
            if hit is None:
                hit = self._by_sku(account_id, channel, sku)
                if self._memo_size < MEMO_LIMIT:
                    memo[sku] = hit
                    self._memo_size += 1
            if isinstance(hit, Resolution):
                return hit
            miss = hit
        if identifiers:
            found = self._by_identifiers(account_id, channel, identifiers)
            if found is not None:
                return found
            return miss.with_ids
        return miss.alone

    def sku_key(self, sku: str) -> str:
        """``normalise_sku(sku)``, remembered (bounded like the resolution memo)."""
        key = self._keys.get(sku)
        if key is None:
            key = normalise_sku(sku)
            if len(self._keys) < MEMO_LIMIT:
                self._keys[sku] = key
        return key

    def _by_sku(self, account_id: str, channel: str, sku: str) -> Resolution | _Miss:
        key = self.sku_key(sku)
        scoped = self._by_external.get(key)
        if scoped is not None:
            for scope in (account_scope(account_id), channel_scope(channel), GLOBAL):
                spec = scoped.get(scope)
                if spec is not None:
                    return self.expanded[spec.id]
        exact = self._exact.get(sku)
        if exact is not None:
            return exact
        for candidate in self.rules.candidates(key):
            hit = self._normalised.get(candidate)
            if hit is not None:
                if candidate == key:
                    return hit
                how = f"{candidate} (after the strip rules)"
                return Resolution(Method.NORMALISED, hit.components, how)
            several = self.ambiguous.get(candidate)
            if several is not None:
                return _Miss(
                    f"the normalised SKU {candidate!r} matches several catalog SKUs "
                    f"({', '.join(several)}): map it explicitly"
                )
        return _Miss(f"no catalog SKU matches {sku!r}")

    def _by_identifiers(
        self, account_id: str, channel: str, identifiers: Mapping[str, str]
    ) -> Resolution | None:
        table = self.identifiers
        if not table:  # a catalog without identifiers: no line's ids can match
            return None
        for kind, value in line_identifier_keys(channel, identifiers):
            key = (kind, value, account_id)
            sku = table.get(key)
            if sku is None:
                key = (kind, value, "")
                sku = table.get(key)
            if sku is not None:
                found = self._identified.get(key)
                if found is None:
                    found = Resolution(Method.IDENTIFIER, (Component(sku, 1),), f"{kind} {value}")
                    if len(self._identified) < MEMO_LIMIT:
                        self._identified[key] = found
                return found
        return None


class _BrokenMappingError(Exception):
    pass


# -- loading from the store, with a cache per engine ------------------------------------------


def read_revision(connection: Connection) -> str | None:
    """The store's matching revision token (None before the first catalog or mapping)."""
    # Plain SQL: the sync engine reads it once per page, and compiling the select
    # cost more than running it.
    sql = statements.for_connection(connection)
    token: str | None = statements.execute(connection, sql.revision()).scalar_one_or_none()
    return token


def load_mapping_specs(connection: Connection) -> list[MappingSpec]:
    components: dict[int, list[tuple[str, int]]] = {}
    for row in connection.execute(
        select(COMPONENTS.c.mapping_id, COMPONENTS.c.component_sku, COMPONENTS.c.quantity).order_by(
            COMPONENTS.c.mapping_id, COMPONENTS.c.position
        )
    ):
        components.setdefault(row.mapping_id, []).append((row.component_sku, row.quantity))
    return [
        MappingSpec(
            id=row.id,
            scope=row.scope,
            external_sku=row.external_sku,
            external_key=row.external_key,
            components=tuple(components.get(row.id, ())),
        )
        for row in connection.execute(
            select(
                MAPPINGS.c.id, MAPPINGS.c.scope, MAPPINGS.c.external_sku, MAPPINGS.c.external_key
            )
        )
    ]


def load_index(connection: Connection, rules: SkuRules) -> MatchingIndex:
    """Build the index from the store (one query per table)."""
    skus = connection.execute(select(ITEMS.c.sku)).scalars().all()
    identifiers = [
        (row.kind, row.value, row.account_id, row.sku)
        for row in connection.execute(
            select(
                IDENTIFIERS.c.kind, IDENTIFIERS.c.value, IDENTIFIERS.c.account_id, ITEMS.c.sku
            ).join(ITEMS, ITEMS.c.id == IDENTIFIERS.c.item_id)
        )
    ]
    return MatchingIndex.build(
        catalog=skus, identifiers=identifiers, mappings=load_mapping_specs(connection), rules=rules
    )


@dataclass(frozen=True)
class _Cached:
    token: str | None
    rules: SkuRules
    index: MatchingIndex


_cache: weakref.WeakKeyDictionary[Engine, _Cached] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def index_for(connection: Connection, rules: SkuRules) -> MatchingIndex:
    """The matching index of the store behind ``connection``, rebuilt only when the
    store's revision token or the rules changed since the last call for this engine.

    The token is read before the tables, so an index can only be newer than its token,
    never older: a change committed in between makes the next call rebuild again.
    """
    token = read_revision(connection)
    engine = connection.engine
    with _cache_lock:
        cached = _cache.get(engine)
    if cached is not None and cached.token == token and cached.rules == rules:
        return cached.index
    index = load_index(connection, rules)
    with _cache_lock:
        _cache[engine] = _Cached(token, rules, index)
    return index
