"""Settings of a WooCommerce account."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from orderhub.sdk import ConnectorSettings, OrderStatus, https_url

API_PATH = "/wp-json/wc/v3/"


class WooCommerceSettings(ConnectorSettings):
    """``base_url`` is the shop's address (``https://shop.example.com``) or its REST root
    (``https://shop.example.com/wp-json/wc/v3/``); both work.

    ``consumer_key`` / ``consumer_secret`` are a REST API key pair with Read (orders in)
    or Read/Write (tracking out) permission. ``auth_in_query`` sends them as query
    parameters for servers that strip the ``Authorization`` header (WooCommerce then says
    "Consumer key is missing"). ``status_map`` maps custom order statuses added by plugins
    (for example ``shipped``) to orderhub's statuses.
    """

    base_url: str
    consumer_key: SecretStr
    consumer_secret: SecretStr
    auth_in_query: bool = False
    status_map: dict[str, OrderStatus] = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _rest_root(cls, value: str) -> str:
        # Over plain HTTP WooCommerce only accepts OAuth 1.0a signatures, and the keys would
        # travel in clear text: refuse rather than fail on every request.
        return https_url(
            value,
            "base_url",
            root=API_PATH,
            invalid="must be the shop's https:// address, e.g. https://shop.example.com",
            plain_http="WooCommerce keys need HTTPS: use the shop's https:// address",
        )
