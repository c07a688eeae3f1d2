"""Reading channels' error answers, for ``classify_response`` and auth flows."""

from __future__ import annotations

from typing import Any

import httpx

from orderhub.sdk.paginate import dig

__all__ = ["error_entries"]


def error_entries(response: httpx.Response, path: str = "errors") -> list[dict[str, Any]]:
    """The objects of the error list at dotted ``path`` of a JSON answer (eBay's and
    Amazon's ``{"errors": [{...}]}``); empty when the body is not JSON or has no such
    list. Never raises."""
    try:
        body = response.json()
    except ValueError:
        return []
    found = dig(body, path) if path else body
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []
