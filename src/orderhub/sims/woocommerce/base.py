"""The simulated WooCommerce store's state and WordPress's answers: the constructor, the
``{"code", "message", "data": {"status"}}`` error bodies and the parameter readers.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from datetime import timedelta, timezone
from typing import Any, Literal

from orderhub.sdk.clock import Clock
from orderhub.sims.woocommerce.records import WooNote, WooOrderRecord
from orderhub.testing.sim import OrderStore, SimRequest, SimResponse, SimulatedApi


def _wp_list(items: Sequence[str]) -> str:
    """WordPress's ``%l`` list format: ``a, b, and c``."""
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + ", and " + items[-1]


def _as_int(text: str) -> int | None:
    """WordPress's integer check (``rest_is_integer``): digits, or an integral number."""
    try:
        number = float(text)
    except ValueError:
        return None
    if not number.is_integer():  # also refuses NaN and infinity
        return None
    return int(number)


def _as_bool(value: Any) -> bool | None:
    """WordPress's boolean check (``rest_is_boolean``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value in (0, 1) and bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    return None


class WooBase(SimulatedApi):
    """State, error answers and request readers shared by every part of the simulator."""

    base_path = "/wp-json/wc/v3"

    def __init__(
        self,
        clock: Clock,
        *,
        consumer_key: str = "ck_test",
        consumer_secret: str = "cs_test",  # noqa: S107 - the simulator's test credential
        seed: int = 0,
        site_utc_offset: timedelta = timedelta(hours=2),
        currency: str = "EUR",
        permissions: Literal["read", "write", "read_write"] = "read_write",
        link_rels: Sequence[str] = ("first", "prev", "next", "last"),
        wc_version: str = "8.5.2",
        store_url: str = "https://shop.example",
    ) -> None:
        super().__init__(clock)
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.permissions = permissions
        self.site_tz = timezone(site_utc_offset)
        self.currency = currency
        self.link_rels = tuple(link_rels)
        self.wc_version = wc_version
        self.store_url = store_url.rstrip("/")
        self.seed = seed
        self.store: OrderStore[WooOrderRecord] = OrderStore(clock, first_id=1001)
        self._rng = random.Random(seed)
        self._notes: dict[int, list[WooNote]] = {}
        self._next_note_id = 501
        self._repeat_link = 0
        self._ids: list[int] = []  # every order id, for the live feed's random picks
        self._helper_lock = threading.RLock()
        self._extra_products: list[dict[str, Any]] = []

    # -- errors --------------------------------------------------------------------------------

    def error_response(
        self, status: int, code: str, message: str, extra: dict[str, Any] | None = None
    ) -> SimResponse:
        data: dict[str, Any] = {"status": status}
        data.update(extra or {})
        return SimResponse.json(status, {"code": code, "message": message, "data": data})

    def no_route(self, request: SimRequest) -> SimResponse:
        return self.error_response(
            404, "rest_no_route", "No route was found matching the URL and request method"
        )

    def status_error(self, status: int) -> SimResponse:
        if status == 429:
            return self.error_response(
                429,
                "rate_limit_exceeded",
                "Too many requests. Please wait a moment before trying again.",
            )
        if status == 500:
            return self.error_response(
                500, "internal_server_error", "There has been a critical error on this website."
            )
        return super().status_error(status)

    def throttle_response(
        self, request: SimRequest, operation: str, retry_after: float
    ) -> SimResponse:
        seconds = max(1, int(retry_after + 0.999))
        response = self.error_response(
            429,
            "rate_limit_exceeded",
            f"Too many requests. Please wait {seconds} seconds before trying again.",
        )
        response.headers["Retry-After"] = str(seconds)
        return response

    def _invalid_params(self, problems: dict[str, str]) -> SimResponse:
        return self.error_response(
            400,
            "rest_invalid_param",
            "Invalid parameter(s): " + ", ".join(problems),
            {"params": problems},
        )

    def _json_body(self, request: SimRequest) -> dict[str, Any] | SimResponse:
        if not request.body.strip():
            return {}
        try:
            payload = request.json()
        except ValueError:
            return self.error_response(400, "rest_invalid_json", "Invalid JSON body passed.")
        if not isinstance(payload, dict):
            return self.error_response(400, "rest_invalid_json", "Invalid JSON body passed.")
        return payload
