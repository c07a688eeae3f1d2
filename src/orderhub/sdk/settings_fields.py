"""Functions for a connector's settings model and the readers of the raw configuration
table: an address that refuses clear text (and an API root completed with the channel's
path), a list of names given as one string or many, and a credential's expiry date with
the warning shown as it comes near. The settings mixins built on them
(:class:`~orderhub.sdk.EndpointSettings`, :class:`~orderhub.sdk.RefreshTokenSettings`)
are in :mod:`orderhub.sdk.account_settings`.

Use them in a :class:`~orderhub.sdk.ConnectorSettings` subclass; the ValueError they raise
becomes the config check's message::

    @field_validator("api_base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else https_url(value, "api_base_url")
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from orderhub.sdk.connector import CredentialExpiry

__all__ = [
    "EXPIRY_RANGE",
    "EXPIRY_WARNING_DAYS",
    "LOCAL_HOSTS",
    "expiry_field",
    "expiry_warning",
    "https_url",
    "name_list",
]

#: Hosts plain ``http://`` is accepted for (a simulator or a proxy on this machine).
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
#: The dates an expiry date setting (:data:`~orderhub.sdk.ExpiryDate`) accepts: any other
#: is a typo (0001-01-01), and dates computed from it (warnings 30 days ahead) could not be
#: held.
EXPIRY_RANGE = (date(2000, 1, 1), date(9998, 12, 31))
#: How close to a credential's expiry :func:`expiry_warning` starts warning.
EXPIRY_WARNING_DAYS = 30


def https_url(
    value: str,
    what: str,
    *,
    root: str | None = None,
    invalid: str | None = None,
    plain_http: str | None = None,
) -> str:
    """``value`` stripped, when it is an ``https://`` URL (or ``http://`` to
    :data:`LOCAL_HOSTS`): tokens and buyer data would travel in clear text over plain http
    elsewhere. Raises ValueError naming ``what`` (or with ``invalid`` for anything that is
    not a web address, ``plain_http`` for clear text to another host).

    With ``root`` (the channel's API path, ``"/sell/fulfillment/v1"``, ``"/wp-json/wc/v3"``)
    the URL is an API root: the path is appended unless the address already ends with it,
    query and fragment are dropped and the result ends with ``/`` so request paths join
    under it (``https://shop.example`` and ``https://shop.example/wp-json/wc/v3`` both give
    ``https://shop.example/wp-json/wc/v3/``)."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(invalid or f"{what} must be an https:// URL")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ValueError(
            plain_http or f"{what} must use https:// (plain http:// only for localhost)"
        )
    if root is None:
        return value.strip()
    suffix = "/" + root.strip("/") if root.strip("/") else ""
    path = parts.path.rstrip("/")
    if not path.endswith(suffix):
        path += suffix
    return f"{parts.scheme}://{parts.netloc}{path}/"


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


def expiry_field(settings: Any, field: str) -> date | None:
    """The expiry date at ``field`` of a validated settings model or of the raw
    ``[accounts.settings]`` table (a ``date`` or ISO text; secrets need not be set there),
    for :meth:`~orderhub.sdk.Connector.credentials_expiry`. None when it is not given or
    not a valid date: ``orderhub config check`` reports that."""
    value = settings.get(field) if isinstance(settings, Mapping) else getattr(settings, field, None)
    if value is not None and not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value))
        except ValueError:
            return None
    first, last = EXPIRY_RANGE
    return value if value is not None and first <= value <= last else None


def expiry_warning(
    expiry: CredentialExpiry | None, now: datetime, *, label: str = ""
) -> str | None:
    """A warning when ``expiry`` is within :data:`EXPIRY_WARNING_DAYS` days of ``now`` (or
    has passed), else None: ``"<label><what> expires on 2026-02-01 (in 10 days). <fix>"``."""
    if expiry is None:
        return None
    expires_on = expiry.expires_on
    days = (expires_on - now.date()).days
    if days > EXPIRY_WARNING_DAYS:
        return None
    if days < 0:
        when = f"expired on {expires_on.isoformat()}"
    elif days == 0:
        when = f"expires today ({expires_on.isoformat()})"
    else:
        when = f"expires on {expires_on.isoformat()} (in {days} day{'s' if days != 1 else ''})"
    return f"{label}{expiry.what} {when}. {expiry.fix}"
