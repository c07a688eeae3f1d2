"""Helpers for a connector's settings model: endpoint overrides that must be https (plain
http only on this machine), and credential expiry dates (``refresh_token_expires_on``)
read from the settings or from the raw ``[accounts.settings]`` table, with the warning
shown as the date comes near.

Typical use::

    class ShopSettings(ConnectorSettings):
        api_base_url: str | None = None
        token_expires_on: ExpiryDate | None = None

        @field_validator("api_base_url")
        @classmethod
        def _https(cls, value: str | None) -> str | None:
            return None if value is None else https_url(value, "api_base_url")

    class ShopConnector(Connector[ShopSettings]):
        @classmethod
        def credentials_expiry(cls, settings):
            expires = expiry_field(settings, "token_expires_on")
            return None if expires is None else CredentialExpiry(expires, ..., ...)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    SecretStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from orderhub.sdk.connector import ConnectorSettings, CredentialExpiry, ExpiryDate

__all__ = [
    "EXPIRY_WARNING_DAYS",
    "LOCAL_HOSTS",
    "EndpointSettings",
    "RefreshTokenSettings",
    "expiry_field",
    "expiry_warning",
    "https_url",
]

#: Hosts plain ``http://`` is allowed for (a simulator or a proxy on this machine).
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
#: How close to a credential's expiry :func:`expiry_warning` starts warning.
EXPIRY_WARNING_DAYS = 30

_EXPIRY: TypeAdapter[date | None] = TypeAdapter(ExpiryDate | None)


def https_url(value: str, what: str, *, root: str | None = None) -> str:
    """``value`` stripped, when it is an ``https://`` URL (or ``http://`` to localhost);
    ValueError naming ``what`` otherwise (pydantic reports it as the field's error).
    Tokens and buyer data would travel in clear text over plain http elsewhere.

    With ``root`` (an API root path such as ``"/sell/fulfillment/v1"``) the URL is an API
    root: a bare host (``https://proxy.example``) gets the channel's path appended, and the
    result ends with ``/`` so request paths are relative to it."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} must be an https:// URL")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ValueError(f"{what} must use https:// (http:// is allowed for localhost only)")
    if root is None:
        return value.strip()
    path, wanted = parts.path.rstrip("/"), "/" + root.strip("/")
    if not path.endswith(wanted):
        path += wanted
    return f"{parts.scheme}://{parts.netloc}{path}/"


class EndpointSettings(ConnectorSettings):
    """Settings with overrides of the channel's API root and token endpoint (a proxy, or a
    simulator on localhost): ``api_base_url`` and ``token_url``, https only (plain http for
    localhost). Class attributes: ``api_root_path`` (e.g. ``"/sell/fulfillment/v1"``) makes
    a bare host in ``api_base_url`` mean the channel's own paths; ``api_base_urls`` and
    ``token_urls`` are the defaults by environment (the ``environment`` setting when the
    model has one, else ``"production"``), read by :attr:`resolved_api_base_url` and
    :attr:`resolved_token_url`."""

    api_root_path: ClassVar[str | None] = None
    api_base_urls: ClassVar[Mapping[str, str]] = {}
    token_urls: ClassVar[Mapping[str, str]] = {}

    api_base_url: str | None = None
    token_url: str | None = None

    @field_validator("api_base_url", "token_url")
    @classmethod
    def _https(cls, value: str | None, info: ValidationInfo) -> str | None:
        root = cls.api_root_path if info.field_name == "api_base_url" else None
        return None if value is None else https_url(value, str(info.field_name), root=root)

    @property
    def _environment(self) -> str:
        return str(getattr(self, "environment", "production"))

    @property
    def resolved_api_base_url(self) -> str:
        """The API root requests go to: the override, else the environment's."""
        return self.api_base_url or self.api_base_urls[self._environment]

    @property
    def resolved_token_url(self) -> str:
        """The token endpoint: the override, else the environment's."""
        return self.token_url or self.token_urls[self._environment]


class RefreshTokenSettings(ConnectorSettings):
    """Settings of an OAuth refresh-token account: the application's ``client_id`` and
    ``client_secret``, the seller's ``refresh_token`` (all secrets, from environment
    variables) and ``refresh_token_expires_on``, the date the channel gave for the refresh
    token's end (see :func:`expiry_field` and :func:`expiry_warning`)."""

    client_id: SecretStr
    client_secret: SecretStr
    refresh_token: SecretStr
    refresh_token_expires_on: ExpiryDate | None = None

    def refresh_grant(self) -> dict[str, str]:
        """The three secrets as :class:`~orderhub.sdk.RefreshTokenAuth` takes them:
        ``RefreshTokenAuth(**settings.refresh_grant(), token_url=..., clock=...)``."""
        return {
            "client_id": self.client_id.get_secret_value(),
            "client_secret": self.client_secret.get_secret_value(),
            "refresh_token": self.refresh_token.get_secret_value(),
        }


def expiry_field(settings: BaseModel | Mapping[str, Any], field: str) -> date | None:
    """The expiry date at ``field`` of a validated settings model or of the raw settings
    table (secrets need not be set there). None when it is not given, or not a valid date:
    ``orderhub config check`` reports that."""
    if isinstance(settings, BaseModel):
        value = getattr(settings, field, None)
        return value if isinstance(value, date) else None
    try:
        return _EXPIRY.validate_python(settings.get(field))
    except ValidationError:
        return None


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
