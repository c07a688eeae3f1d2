"""Settings mixins for a connector's settings model: endpoint overrides that must be https
(plain http only on this machine) with defaults by environment, and the secrets and expiry
date of a refresh-token account. The functions they use (:func:`https_url`,
:func:`expiry_field`, :func:`expiry_warning`) are in :mod:`orderhub.sdk.settings_fields`.

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
from typing import ClassVar

from pydantic import SecretStr, ValidationInfo, field_validator

from orderhub.sdk.connector import ConnectorSettings, ExpiryDate
from orderhub.sdk.settings_fields import https_url

__all__ = ["EndpointSettings", "RefreshTokenSettings"]


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
