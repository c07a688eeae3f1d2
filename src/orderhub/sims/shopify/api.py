"""The simulated Shopify store's HTTP side: the GraphQL Admin API endpoint and the
client-credentials token endpoint, below ``/admin``.

- ``POST /admin/oauth/access_token`` (form ``grant_type=client_credentials``, ``client_id``,
  ``client_secret``): ``{"access_token", "scope", "expires_in": 86399}``; tokens expire on
  the simulator's clock.
- ``POST /admin/api/{version}/graphql.json`` (JSON ``{"query", "variables",
  "operationName"}``, header ``X-Shopify-Access-Token``): the query is parsed, validated
  against the schema subset and executed by graphql-core, so a malformed query fails here
  as it fails on Shopify (HTTP 200 with ``errors``; the messages are graphql-core's, not
  Shopify's). Every executed answer carries ``extensions.cost``; a query whose requested
  cost the bucket cannot cover is answered ``THROTTLED`` (HTTP ``throttle_status``, 200 by
  default) without running; one above 1,000 points ``MAX_COST_EXCEEDED``. A version the
  store does not serve falls back to the oldest one it does, and the served version is in
  ``X-Shopify-API-Version``; a deprecated one carries ``X-Shopify-API-Deprecated-Reason``.
  Bad tokens get 401 ``{"errors": "[API] Invalid API key or access token ..."}``.
"""

from __future__ import annotations

import hmac
import json
import secrets
from datetime import timedelta
from typing import Any

from graphql import (
    GraphQLError,
    OperationDefinitionNode,
    execute,
    get_operation_ast,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.language import DocumentNode, FragmentDefinitionNode

from orderhub.sims.shopify.cost import MAX_SINGLE_QUERY_COST, query_cost
from orderhub.sims.shopify.helpers import ShopifyHelpers
from orderhub.sims.shopify.resolvers import schema
from orderhub.testing.sim import Route, SimRequest, SimResponse, route

_BAD_TOKEN = (  # an error message, not a secret
    "[API] Invalid API key or access token (unrecognized login or wrong password)"  # noqa: S105
)


_DOCS = "https://shopify.dev/api/usage/rate-limits"


class SimulatedShopify(ShopifyHelpers):
    """A Shopify store ``{shop}.myshopify.com`` on ``clock``.

    Credentials: ``client_id``/``client_secret`` for the client-credentials grant, and/or
    ``access_token`` (a legacy custom app's never-expiring ``shpat_`` token). ``scopes`` are
    the app's granted access scopes (add ``read_all_orders`` to see orders older than 60
    days). ``plan`` picks the cost bucket (:data:`~.cost.PLANS`). ``versions`` are the API
    versions served (oldest first), ``deprecated`` those answered with a deprecation header.

    Test helpers: :meth:`add_order`, :meth:`generate`, :meth:`add_malformed_order`,
    :meth:`cancel`, :meth:`refund_line`, :meth:`remove_line`, :meth:`fulfill`,
    :meth:`set_fulfillment_order_status`, :meth:`fulfillments`, :meth:`fulfillment_orders`,
    :meth:`start_live`, plus ``bucket`` and ``tokens_issued``.
    """

    # -- tokens --------------------------------------------------------------------------------

    @route("POST", "/oauth/access_token", operation="oauth.token", auth=False)
    def token(self, request: SimRequest) -> SimResponse:
        form = {key: values[0] for key, values in request.form().items() if values}
        if form.get("grant_type") != "client_credentials":
            return SimResponse.json(
                400, {"error": "unsupported_grant_type", "error_description": "grant_type"}
            )
        good_id = hmac.compare_digest(form.get("client_id", "").encode(), self.client_id.encode())
        good_secret = hmac.compare_digest(
            form.get("client_secret", "").encode(), self.client_secret.encode()
        )
        if not (good_id and good_secret):
            return SimResponse.json(
                400,
                {"error": "invalid_client", "error_description": "Client authentication failed."},
            )
        value = "shpat_" + secrets.token_hex(16)
        self._tokens[value] = self.clock.now() + timedelta(seconds=self.token_ttl)
        self.tokens_issued += 1
        return SimResponse.json(
            200,
            {
                "access_token": value,
                "scope": ",".join(sorted(self.scopes)),
                "expires_in": self.token_ttl,
            },
        )

    def expire_tokens(self) -> None:
        """Make every issued token expire now (a revocation the client cannot know)."""
        self._tokens = dict.fromkeys(self._tokens, self.clock.now())

    def authenticate(self, request: SimRequest, route: Route) -> SimResponse | None:
        token = request.headers.get("x-shopify-access-token", "")
        if self.access_token and hmac.compare_digest(token.encode(), self.access_token.encode()):
            return None
        expires = self._tokens.get(token)
        if expires is not None and self.clock.now() < expires:
            return None
        return self.error_response(401, "unauthorized", _BAD_TOKEN)

    # -- GraphQL -------------------------------------------------------------------------------

    def _document(self, text: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        cached = self._documents.get(text)
        if cached is not None:
            return cached
        try:
            document = parse(text)
        except GraphQLError as exc:
            return None, [exc]
        found = (document, list(validate(schema(), document)))
        if len(self._documents) < 256:
            self._documents[text] = found
        return found

    @route("POST", "/api/{version}/graphql.json", operation="graphql")
    def graphql(self, request: SimRequest) -> SimResponse:
        version = request.path_params["version"]
        served = version if version in self.versions else self.versions[0]
        headers = {"X-Shopify-API-Version": served}
        if served in self.deprecated:
            headers["X-Shopify-API-Deprecated-Reason"] = (
                "https://shopify.dev/docs/api/usage/versioning#deprecation-practices"
            )
        try:
            body = request.json()
        except ValueError:
            return SimResponse.json(400, {"errors": "Invalid JSON in request body."}, headers)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return SimResponse.json(
                400, {"errors": {"query": "Required parameter missing or invalid"}}, headers
            )
        answer, status = self._execute(body)
        return SimResponse.json(status, answer, headers)

    def _execute(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        document, errors = self._document(body["query"])
        if document is None or errors:
            return {"errors": [e.formatted for e in errors]}, 200
        operation = get_operation_ast(document, body.get("operationName"))
        if not isinstance(operation, OperationDefinitionNode):
            return {"errors": [{"message": "An operation name is required"}]}, 200
        coerced = get_variable_values(
            schema(), operation.variable_definitions or (), body.get("variables") or {}
        )
        if isinstance(coerced, list):
            return {"errors": [e.formatted for e in coerced]}, 200
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        requested = query_cost(schema(), operation, fragments, coerced)
        name = operation.name.value if operation.name else ""
        if requested > MAX_SINGLE_QUERY_COST:
            message = (
                f"Query cost is {requested}, which exceeds the single query max cost limit "
                f"({MAX_SINGLE_QUERY_COST})."
            )
            extensions = {
                "code": "MAX_COST_EXCEEDED",
                "cost": requested,
                "maxCost": MAX_SINGLE_QUERY_COST,
            }
            return {"errors": [{"message": message, "extensions": extensions}]}, 200
        if not self.bucket.spend(requested):
            self.throttled += 1
            self.answers.append((name, True))
            cost = {
                "requestedQueryCost": requested,
                "actualQueryCost": None,
                "throttleStatus": self.bucket.status(),
            }
            error = {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": _DOCS},
            }
            return {"errors": [error], "extensions": {"cost": cost}}, self.throttle_status
        result = execute(
            schema(),
            document,
            root_value=self._resolvers.root(),
            variable_values=body.get("variables") or {},
            operation_name=body.get("operationName"),
        )
        assert not hasattr(result, "__await__")  # every resolver is synchronous
        self.answers.append((name, False))
        data = getattr(result, "data", None)
        actual = (
            query_cost(schema(), operation, fragments, coerced, data)
            if data is not None
            else requested
        )
        actual = min(actual, requested)
        self.bucket.refund(requested - actual)
        self.points_charged += actual
        answer: dict[str, Any] = {}
        errors_out = getattr(result, "errors", None)
        if errors_out:
            answer["errors"] = [e.formatted for e in errors_out]
        answer["data"] = data
        answer["extensions"] = {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": self.bucket.status(),
            }
        }
        return json.loads(json.dumps(answer, default=str)), 200
