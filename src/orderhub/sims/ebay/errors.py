"""eBay's error bodies (``{"errors": [{"errorId", "domain", "category", "message", ...}]}``)
and the ones the simulator answers most.
"""

from __future__ import annotations

from typing import Any

from orderhub.testing.sim import SimResponse

# -- errors -------------------------------------------------------------------------------------


def ebay_error(
    error_id: int,
    message: str,
    *,
    long_message: str | None = None,
    domain: str = "API_FULFILLMENT",
    category: str = "REQUEST",
    parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One entry of eBay's ``errors`` array."""
    error: dict[str, Any] = {
        "errorId": error_id,
        "domain": domain,
        "category": category,
        "message": message[:50],
    }
    if long_message:
        error["longMessage"] = long_message[:200]
    if parameters:
        error["parameters"] = [{"name": k, "value": v} for k, v in parameters.items()]
    return error


def _errors(
    status: int, *errors: dict[str, Any], headers: dict[str, str] | None = None
) -> SimResponse:
    return SimResponse.json(status, {"errors": list(errors)}, headers=headers)


INVALID_TOKEN = ebay_error(
    1001,
    "Invalid access token",
    long_message="Invalid access token. Check the value of the Authorization HTTP request header.",
    domain="OAuth",
)


ACCESS_DENIED = ebay_error(
    1100,
    "Access denied",
    long_message="Insufficient permissions to fulfill the request.",
    domain="ACCESS",
)


TOO_MANY_REQUESTS = ebay_error(
    2001,
    "Too many requests.",
    long_message="The request limit has been reached for the resource.",
    domain="ACCESS",
)


SYSTEM_ERROR = ebay_error(
    30500,
    "System error",
    long_message="There was a problem with an eBay internal system or process. Contact eBay "
    "developer support for assistance.",
    category="APPLICATION",
)


class _FilterError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["message"])
        self.error = error
