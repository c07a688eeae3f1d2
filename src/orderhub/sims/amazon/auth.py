"""Login with Amazon for the simulated Selling Partner API: the token route, the
``x-amz-access-token`` check, revocation and early expiry.
"""

from __future__ import annotations

from orderhub.sims.amazon.base import AmazonBase
from orderhub.sims.amazon.records import TOKEN_PATH
from orderhub.testing.sim import Route, SimRequest, SimResponse, TokenStatus, route


class AmazonAuth(AmazonBase):
    """The LWA token endpoint and the access-token check."""

    # -- authentication ----------------------------------------------------------------------

    @route("POST", TOKEN_PATH, operation="lwa.token", auth=False)
    def token(self, request: SimRequest) -> SimResponse:
        """``POST /auth/o2/token``: Login with Amazon."""
        return self.lwa.handle_token_request(request)

    def authenticate(self, request: SimRequest, route: Route) -> SimResponse | None:
        status = self.lwa.check_request(request, header="x-amz-access-token")
        if status is TokenStatus.VALID:
            return None
        if status is TokenStatus.EXPIRED:
            return self.error_response(
                403, "Unauthorized", "The access token you provided has expired."
            )
        return self.error_response(403, "Unauthorized", "Access to requested resource is denied.")

    def revoke(self) -> None:
        """The seller withdraws the app's authorisation: the next token refresh gets
        ``invalid_grant`` and the access tokens issued so far stop working."""
        self.lwa.revoke(self.refresh_token)

    def expire_tokens(self) -> None:
        """Expire every access token now (as if the hour had passed early)."""
        self.lwa.expire_all()
