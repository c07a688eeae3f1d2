"""Reading channels' error answers, for ``classify_response`` and auth flows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import httpx

from orderhub.sdk.errors import AuthError, ConnectorError
from orderhub.sdk.paginate import dig

__all__ = ["answer_error", "auth_refusal", "error_entries", "error_text", "first_error"]


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


def error_text(response: httpx.Response, path: str = "errors", *, lower: bool = True) -> str:
    """The codes, messages and details of the error list at ``path`` (see
    :func:`error_entries`) as one text, lower-cased unless ``lower`` is False, for checks
    such as "does the channel say the token expired"; a body that is not JSON is taken as
    it is. Never raises."""
    entries = error_entries(response, path)
    if entries:
        parts = (str(e.get(key) or "") for e in entries for key in ("code", "message", "details"))
        text = " ".join(parts)
    else:
        try:
            response.json()
        except ValueError:
            text = response.text
        else:
            text = ""
    return text.lower() if lower else text


def first_error(response: httpx.Response, path: str = "errors") -> tuple[str, str]:
    """The code and message (or details) of the first error at ``path``, each shortened
    for a message; ``("no error code", <the body's start>)`` when there is none."""
    entries = error_entries(response, path)
    if not entries:
        return "no error code", _short(response.text or "(empty body)", 120)
    first = entries[0]
    return _short(first.get("code") or "no error code", 60), _short(
        first.get("message") or first.get("details") or "", 240
    )


E = TypeVar("E", bound=ConnectorError)


def answer_error(response: httpx.Response, kind: type[E], what: str, fix: str) -> E:
    """An error of ``kind`` saying ``<what> (<code>: <message>)`` with the channel's first
    error (:func:`first_error`) and ``fix``, its code kept, for ``classify_response``."""
    code, message = first_error(response)
    return kind(f"{what} ({code}: {message})", fix=fix, code=code)


def _short(value: Any, limit: int) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
