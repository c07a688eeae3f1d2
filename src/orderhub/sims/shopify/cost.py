"""Shopify's calculated query cost and its leaky bucket, as documented for the GraphQL Admin
API (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits):

- a field returning a scalar or an enum costs 0, one returning an object costs 1;
- a connection costs 2 plus, for each object it may return (``first`` or ``last``), the cost
  of that object's selection; nested connections multiply;
- a mutation costs 10;
- the *requested* cost is computed before the query runs, from the arguments; the *actual*
  cost after it ran, from what came back (fewer nodes than ``first``, null objects);
- a query whose requested cost exceeds 1,000 is refused (``MAX_COST_EXCEEDED``);
- the bucket must hold the requested cost before the query runs; afterwards the difference
  between requested and actual cost is refunded; it refills at the plan's restore rate.

What the documentation leaves open and this module assumes (listed as unverified in the
connector's README): edge objects cost nothing beyond their node; a plain list of objects
with a ``first`` argument (``Order.fulfillments``, ``Fulfillment.trackingInfo``) costs
``first`` times its object; a list without it costs one object; the bucket sizes
(``maximumAvailable``) are 20 times the restore rate.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import get_argument_values

from orderhub.sdk.clock import Clock

__all__ = ["MAX_SINGLE_QUERY_COST", "MUTATION_COST", "PLANS", "CostBucket", "Plan", "query_cost"]

MAX_SINGLE_QUERY_COST = 1000
MUTATION_COST = 10


@dataclass(frozen=True)
class Plan:
    """A store plan's GraphQL limits: the bucket size and points restored per second."""

    maximum: float
    restore_rate: float


#: Restore rates as published (Standard 100/s, Advanced 200/s, Plus 1000/s, enterprise
#: 2000/s); bucket sizes assumed at 20 seconds of restore (unverified).
PLANS: dict[str, Plan] = {
    "standard": Plan(2000.0, 100.0),
    "advanced": Plan(4000.0, 200.0),
    "plus": Plan(20000.0, 1000.0),
    "enterprise": Plan(40000.0, 2000.0),
}


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    actual: bool


def query_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    data: Any = None,
) -> int:
    """The requested cost of ``operation`` (``data`` None) or its actual cost (``data``: the
    executed result's ``data``). Variables must already be coerced."""
    if operation.operation is OperationType.MUTATION:
        return MUTATION_COST * sum(
            1 for s in operation.selection_set.selections if isinstance(s, FieldNode)
        )
    walk = _Walk(schema, fragments, variables, actual=data is not None)
    root = schema.query_type
    assert root is not None
    return _selections(walk, operation.selection_set, root, data, 1)


def _selections(
    walk: _Walk,
    selection_set: SelectionSetNode | None,
    parent: GraphQLObjectType | GraphQLInterfaceType,
    data: Any,
    size: int,
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += _field(walk, selection, parent, data, size)
        elif isinstance(selection, InlineFragmentNode | FragmentSpreadNode):
            if isinstance(selection, FragmentSpreadNode):
                fragment: Any = walk.fragments.get(selection.name.value)
                if fragment is None:
                    continue
            else:
                fragment = selection
            condition = fragment.type_condition
            target = walk.schema.get_type(condition.name.value) if condition else parent
            if isinstance(target, GraphQLObjectType | GraphQLInterfaceType):
                total += _selections(walk, fragment.selection_set, target, data, size)
    return total


def _is_list(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def _field(
    walk: _Walk,
    node: FieldNode,
    parent: GraphQLObjectType | GraphQLInterfaceType,
    data: Any,
    size: int,
) -> int:
    name = node.name.value
    field = parent.fields.get(name)
    if field is None:
        return 0
    named = get_named_type(field.type)
    if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        return 0  # scalars and enums are free
    args = get_argument_values(field, node, walk.variables)
    key = node.alias.value if node.alias else name
    own = 0 if named.name.endswith("Edge") else 1
    if walk.actual:
        value = data.get(key) if isinstance(data, dict) else None
        if value is None:
            return 0
        if named.name.endswith("Connection"):
            return 2 + _selections(walk, node.selection_set, named, value, 1)
        items = value if isinstance(value, list) else [value]
        return sum(own + _selections(walk, node.selection_set, named, item, 1) for item in items)
    if named.name.endswith("Connection"):
        count = int(args.get("first") or args.get("last") or 0)
        return 2 + _selections(walk, node.selection_set, named, None, count)
    if _is_list(field.type):
        # Inside a connection, nodes and edges come once per object it may return.
        count = size if parent.name.endswith("Connection") else int(args.get("first") or 1)
    else:
        count = 1
    return count * (own + _selections(walk, node.selection_set, named, None, 1))


class CostBucket:
    """One app-and-store bucket of cost points on the simulator's clock. Starts full."""

    def __init__(self, plan: Plan, clock: Clock) -> None:
        self.plan = plan
        self._clock = clock
        self._available = plan.maximum
        self._stamp = clock.monotonic()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock.monotonic()
        gained = max(0.0, now - self._stamp) * self.plan.restore_rate
        self._available = min(self.plan.maximum, self._available + gained)
        self._stamp = now

    def spend(self, requested: int) -> bool:
        """Take ``requested`` points if the bucket holds them; False (nothing taken) if not."""
        with self._lock:
            self._refill()
            if self._available + 1e-9 < requested:
                return False
            self._available -= requested
            return True

    def refund(self, points: int) -> None:
        with self._lock:
            self._available = min(self.plan.maximum, self._available + max(0, points))

    def status(self) -> dict[str, float]:
        """``throttleStatus`` as Shopify reports it."""
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": self.plan.maximum,
                "currentlyAvailable": float(int(self._available)),
                "restoreRate": self.plan.restore_rate,
            }
