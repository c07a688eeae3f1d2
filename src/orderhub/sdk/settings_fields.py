"""Validators for connector settings most channels share: an API address that refuses
clear text, a list of names given as one string or many, a date setting read from the raw
configuration table.

Use them in a :class:`~orderhub.sdk.ConnectorSettings` subclass::

    @field_validator("api_base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else secure_url(value, "api_base_url")
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit

__all__ = ["LOCAL_HOSTS", "name_list", "secure_url", "setting_date"]

#: The hosts plain ``http://`` is allowed to (a simulator or a proxy on this machine).
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def secure_url(value: str, what: str) -> str:
    """``value`` as a root URL (``scheme://host[:port][/path]``, no trailing slash, query
    dropped). Raises ValueError naming ``what`` unless it is an ``https://`` URL, or an
    ``http://`` one to this machine: credentials travel with every request."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} must be an https:// URL")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ValueError(f"{what} must use https:// (plain http:// only for localhost)")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def name_list(value: Any) -> Any:
    """A ``mode="before"`` validator body for a tuple of names (marketplace ids, shop
    codes): one string is a list of one, items are stripped, repeats dropped (first kept).
    Anything else is passed on for pydantic to refuse."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return value
    cleaned: list[Any] = []
    for item in value:
        clean = item.strip() if isinstance(item, str) else item
        if clean not in cleaned:
            cleaned.append(clean)
    return tuple(cleaned)


def setting_date(settings: Any, key: str) -> date | None:
    """The date setting ``key`` of validated settings or of the raw ``[accounts.settings]``
    table (a ``date`` or ISO text), for :meth:`Connector.credentials_expiry`; None when it
    is unset or unreadable (``orderhub config check`` reports a bad value)."""
    value = settings.get(key) if isinstance(settings, Mapping) else getattr(settings, key, None)
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None
