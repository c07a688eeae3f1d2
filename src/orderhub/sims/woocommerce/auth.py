"""WooCommerce's REST API keys: HTTP Basic or query-string consumer key and secret, and the
read/write permission of a key.
"""

from __future__ import annotations

import hmac

from orderhub.sims.woocommerce.base import WooBase
from orderhub.testing.sim import Route, SimRequest, SimResponse


class WooAuth(WooBase):
    """The consumer key check of every route and the permission check of each."""

    # -- authentication ------------------------------------------------------------------------

    def authenticate(self, request: SimRequest, route: Route) -> SimResponse | None:
        """Refuse wrong credentials at once (as WooCommerce's authentication filter does);
        requests without credentials go on and are refused by the route's permission check
        (after parameter validation, as in WordPress)."""
        credentials = request.basic_auth()
        if credentials is None:
            key, secret = request.param("consumer_key"), request.param("consumer_secret")
            if key and secret:
                credentials = (key, secret)
        request.context["user"] = None
        if credentials is None or not credentials[0] or not credentials[1]:
            return None
        key, secret = credentials
        if not hmac.compare_digest(key.encode(), self.consumer_key.encode()):
            return self._auth_error("Consumer key is invalid.")
        if not hmac.compare_digest(secret.encode(), self.consumer_secret.encode()):
            return self._auth_error("Consumer secret is invalid.")
        writing = request.method in ("POST", "PUT", "PATCH", "DELETE")
        if writing and "write" not in self.permissions:
            return self._auth_error("The API key provided does not have write permissions.")
        if not writing and "read" not in self.permissions:
            return self._auth_error("The API key provided does not have read permissions.")
        request.context["user"] = "api-key"
        return None

    def _auth_error(self, message: str) -> SimResponse:
        return self.error_response(401, "woocommerce_rest_authentication_error", message)

    def _denied(self, request: SimRequest, code: str, message: str) -> SimResponse | None:
        if request.context.get("user") is None:
            return self.error_response(401, code, message)
        return None
