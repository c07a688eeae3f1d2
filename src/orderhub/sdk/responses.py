"""Reading channels' error answers, for ``classify_response`` and auth flows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from orderhub.sdk.errors import AuthError
from orderhub.sdk.paginate import dig

__all__ = ["auth_refusal", "error_entries"]


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


def auth_refusal(
    response: httpx.Response,
    *,
    label: str,
    refusals: Mapping[int, tuple[str, str]],
    code_key: str = "errorId",
    fix_suffix: str = "",
) -> AuthError | None:
    """For ``classify_response``: an :class:`AuthError` for an answer whose status is in
    ``refusals`` (401 and 403 that the auth flow's one renewal did not cure: status to
    what it means and what to check), naming the request and the channel's error codes
    (``code_key`` of each entry of ``errors``); None for any other status. ``label``
    prefixes the message, ``fix_suffix`` ends every fix (how to authorise again)."""
    status = response.status_code
    if status not in refusals:
        return None
    what, fix = refusals[status]
    codes = [
        entry[code_key]
        for entry in error_entries(response)
        if isinstance(entry.get(code_key), int | str) and not isinstance(entry[code_key], bool)
    ]
    return AuthError(
        f"{label}{response.request.method} {response.request.url.path} answered HTTP "
        f"{status} ({code_key}s {codes or 'none'}): {what}",
        fix=fix + fix_suffix,
        status=status,
    )
