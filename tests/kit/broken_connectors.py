"""Deliberately broken variants of the reference connector (``orderhub connectors new
petshop``), one bug each, as connectors really get them wrong.

Copied next to the generated ``petshop`` package by ``test_kit_fails_broken_connectors.py``
and run through the conformance suite there; it is not imported by the repository's own
test session (``petshop`` only exists in that temporary directory).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
from petshop.connector import CREATE_SHIPMENT, LIST_ORDERS, PetshopConnector

from orderhub.sdk import (
    ConnectorError,
    MalformedRecordError,
    NextTokenPaginator,
    OrderDraft,
    PushOutcome,
    PushResult,
    RejectedError,
    ShipmentDraft,
    SyncWindow,
    TransientError,
    format_utc,
    paginate,
    parse_utc,
    records_at,
)


def _window_params(connector: PetshopConnector, window: SyncWindow) -> dict[str, Any]:
    return {
        "updated_after": format_utc(window.start),
        "updated_before": format_utc(window.end),
        "limit": connector.page_size,
    }


class IgnoresRetryAfter(PetshopConnector):
    """Reports a 429 as a server error, so the channel's Retry-After is lost and the retry
    goes out after the ordinary backoff."""

    def classify_response(self, response: httpx.Response) -> ConnectorError | None:
        if response.status_code == 429:
            return TransientError("the channel is busy")
        return None


class DropsTheWindow(PetshopConnector):
    """Forgets to send the window: every order of the shop comes back on every run."""

    def fetch_orders(self, window: SyncWindow) -> Iterator[dict[str, Any]]:
        yield from paginate(
            self.http,
            LIST_ORDERS,
            "orders",
            params={"limit": self.page_size},
            paginator=NextTokenPaginator("next_page_token", "page_token"),
            records=records_at("orders", LIST_ORDERS),
        )


class LoopsOnARepeatedToken(PetshopConnector):
    """Pages by hand and trusts every next-page token it gets."""

    def fetch_orders(self, window: SyncWindow) -> Iterator[dict[str, Any]]:
        params = _window_params(self, window)
        while True:
            body = self.http.get_json(LIST_ORDERS, "orders", params=params)
            yield from records_at("orders", LIST_ORDERS)(body)
            token = body.get("next_page_token")
            if not token:
                return
            params = {**_window_params(self, window), "page_token": token}


class ToOrderReadsTheClock(PetshopConnector):
    """Refuses orders "from the future" by asking the clock inside to_order."""

    def to_order(self, raw: dict[str, Any]) -> OrderDraft:
        draft = super().to_order(raw)
        if draft.updated_at > self.clock.now():
            raise MalformedRecordError(f"order {draft.external_id} is modified in the future")
        return draft


class LogsItsSecret(PetshopConnector):
    """Logs the token it is about to use, under a key the redactor cannot know about."""

    def check(self) -> None:
        self.log.info("petshop.check", using=self.settings.api_token.get_secret_value())
        super().check()


class PushDuplicatesOnRetry(PetshopConnector):
    """Creates the shipment without looking for it first, and marks the POST safe to
    retry, so a lost answer is followed by a second shipment."""

    def push_tracking(self, shipment: ShipmentDraft) -> PushResult:
        self.http.send_json(
            CREATE_SHIPMENT,
            "POST",
            f"orders/{shipment.order_external_id}/shipments",
            json={"carrier": shipment.carrier_code, "tracking_number": shipment.tracking_number},
            idempotent=True,
        )
        return PushResult(PushOutcome.APPLIED)


class SendsUnderAnUndeclaredOperation(PetshopConnector):
    """Declares its plan for ``list_orders`` but sends the list requests as ``orders``, so
    no token bucket paces them."""

    def fetch_orders(self, window: SyncWindow) -> Iterator[dict[str, Any]]:
        yield from paginate(
            self.http,
            "orders",
            "orders",
            params=_window_params(self, window),
            paginator=NextTokenPaginator("next_page_token", "page_token"),
            records=records_at("orders", LIST_ORDERS),
        )


class MissesTheWindowStart(PetshopConnector):
    """Sends the window's start as an exclusive bound one second late ("after the start"),
    so an order modified exactly at the start is left out."""

    def fetch_orders(self, window: SyncWindow) -> Iterator[dict[str, Any]]:
        params = _window_params(self, window)
        params["updated_after"] = format_utc(window.start + timedelta(seconds=1))
        yield from paginate(
            self.http,
            LIST_ORDERS,
            "orders",
            params=params,
            paginator=NextTokenPaginator("next_page_token", "page_token"),
            records=records_at("orders", LIST_ORDERS),
        )


class FiltersOnCreation(PetshopConnector):
    """Behaves like an API that applies a default creation window of a week: orders
    created earlier never come, so an old order that changed (a late cancellation, a
    refund) never reaches the store, while recent ones look fine."""

    def fetch_orders(self, window: SyncWindow) -> Iterator[dict[str, Any]]:
        created_since = window.start - timedelta(days=7)
        for raw in super().fetch_orders(window):
            if parse_utc(raw.get("created_at"), "created_at") >= created_since:
                yield raw


class LogsBasicCredentials(PetshopConnector):
    """Logs the Basic credentials it built for a proxy, base64-encoded, under a key the
    redactor cannot know about."""

    def check(self) -> None:
        pair = f"petshop:{self.settings.api_token.get_secret_value()}".encode()
        self.log.info("petshop.proxy", sent=base64.b64encode(pair).decode("ascii"))
        super().check()


class EchoesCredentialsInErrors(PetshopConnector):
    """Sends its token to a proxy as Basic credentials the HTTP helper does not know about,
    and quotes the channel's whole error answer in its own errors."""

    def default_headers(self) -> dict[str, str]:
        pair = f"petshop:{self.settings.api_token.get_secret_value()}".encode()
        proxy = "Basic " + base64.b64encode(pair).decode("ascii")
        return {**super().default_headers(), "Proxy-Authorization": proxy}

    def classify_response(self, response: httpx.Response) -> ConnectorError | None:
        if response.status_code == 400:
            return RejectedError(f"the channel refused the request: {response.text}")
        return super().classify_response(response)
