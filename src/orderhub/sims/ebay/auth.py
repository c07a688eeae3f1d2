"""eBay OAuth for the simulator: the refresh-token grant, bearer tokens with their scopes,
revocation.
"""

from __future__ import annotations

from orderhub.sims.ebay.errors import ACCESS_DENIED, INVALID_TOKEN, _errors
from orderhub.sims.ebay.quota import EbayQuota
from orderhub.sims.ebay.records import SCOPE, TOKEN_PATH
from orderhub.testing.sim import IssuedToken, Route, SimRequest, SimResponse, TokenStatus, route


class EbayAuth(EbayQuota):
    """The token route and the bearer-token and scope check of every API route."""

    def authenticate(self, request: SimRequest, route: Route) -> SimResponse | None:
        status = self.oauth.check_request(request)
        if status is not TokenStatus.VALID:
            return _errors(401, INVALID_TOKEN)
        if route.method == "POST" and SCOPE not in self._scopes(request.bearer_token() or ""):
            return _errors(403, ACCESS_DENIED)
        return self._charge("order")

    def _scopes(self, access_token: str) -> frozenset[str]:
        token: IssuedToken | None = None
        for issued in reversed(self.oauth.issued):
            if issued.access_token == access_token:
                token = issued
                break
        if token is None:
            return frozenset()
        if token.scope:
            return frozenset(token.scope.split())
        return self._consented.get(token.refresh_token or "", frozenset())

    def revoke_refresh_token(self, refresh_token: str | None = None) -> None:
        """The seller withdraws the consent (or it expires): the next refresh gets
        ``invalid_grant`` and the access tokens issued from it stop working."""
        with self.lock:
            self.oauth.revoke(refresh_token or self.refresh_token)

    @route("POST", TOKEN_PATH, operation="token", auth=False)
    def token(self, request: SimRequest) -> SimResponse:
        """``POST /identity/v1/oauth2/token`` (refresh-token grant)."""
        if request.basic_auth() is None:
            return SimResponse.json(
                401,
                {"error": "invalid_client", "error_description": "client authentication failed"},
            )
        form = {k: v[0] for k, v in request.form().items() if v}
        refresh_token = form.get("refresh_token", "")
        scope = form.get("scope")
        consented = self._consented.get(refresh_token)
        if (
            form.get("grant_type") == "refresh_token"
            and scope
            and consented is not None
            and not set(scope.split()) <= consented
        ):
            return SimResponse.json(
                400,
                {
                    "error": "invalid_scope",
                    "error_description": "The requested scope is invalid, unknown, malformed, "
                    "or exceeds the scope granted to the client",
                },
            )
        return self.oauth.handle_token_request(request)
