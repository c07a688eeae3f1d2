"""Checking a batch of mapping changes before anything is written: every component must
be a catalog SKU or a mapped SKU (in the mapping's scope, then globally), quantities at
least 1, SKUs within the store's limits, and no bundle may (through others) contain itself.
Problems name the request (or the file row) and the fix; names are canonicalised to the
catalog's spelling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

from rapidfuzz import fuzz, process

from orderhub.matching.errors import InputRejected, MatchingError, RowProblem
from orderhub.matching.index import (
    MatchingIndex,
    component_scopes,
    describe_scope,
    scope_of,
)
from orderhub.matching.normalise import normalise_sku

_SKU_LIMIT = 128
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


class MappingChecker:
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


def refuse_mappings(
    requests: Sequence[MappingRequest], problems: list[_Problem], what: str
) -> NoReturn:
    """Raise the refusal of ``requests`` for ``problems``: :class:`MatchingError` for one
    problem of one request, else :class:`InputRejected` listing every row."""
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
