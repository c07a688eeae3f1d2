"""The hygiene group: no secret (in any encoding) and no buyer data in the real log
output or in the errors raised."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

from sqlalchemy import Engine

from orderhub.sdk.connector import Capability, SyncWindow
from orderhub.sdk.drafts import OrderDraft
from orderhub.sdk.errors import ConnectorError
from orderhub.testing.kit.base import (
    MIN_PII,
    ConformanceBase,
    _to_order_or_none,
)
from orderhub.testing.kit.harness import Harness, LogCapture
from orderhub.testing.sim import Fault

__all__ = ["HygieneChecks"]


class HygieneChecks(ConformanceBase):
    __test__ = False

    # -- hygiene -----------------------------------------------------------------------------

    def test_hygiene_logs_carry_no_secret_and_no_buyer_pii(
        self, conformance: Harness, sqlite_engine: Engine
    ) -> None:
        """The real log output (redactor included) of a check, a sync with a throttled and a
        failed request, a quarantined record and a push holds no secret and no buyer
        name, e-mail, phone or street line."""
        start, end = conformance.sync_range(timedelta(days=3))
        ids = conformance.add_orders(conformance.page_size + 3, start, end)
        malformed = type(self).add_malformed_order is not ConformanceBase.add_malformed_order
        if malformed:
            self.add_malformed_order(conformance.api, start + (end - start) / 3)
        window = SyncWindow(start=start - timedelta(hours=1), end=end + timedelta(minutes=1))
        quiet = conformance.connector()
        # The malformed order has no draft, hence no buyer data to look for.
        raws = conformance.fetch(window, quiet)
        drafts = [d for d in (_to_order_or_none(quiet, raw) for raw in raws) if d is not None]
        needles = self._needles(conformance, drafts)
        conformance.api.clear_requests()

        capture = LogCapture()
        with capture.capturing():
            connector = conformance.connector()
            connector.check()
            faults = conformance.api.faults
            faults.add(Fault.status(429, retry_after=2), path=self.list_path, times=1)
            faults.add(Fault.status(503), path=self.list_path, times=1, skip=1)
            result = conformance.sync(sqlite_engine, connector)
            if self._declares(Capability.PUSH_TRACKING):
                order = next(d for d in drafts if d.external_id == ids[0])
                self._push(connector, self.shipment_for(conformance.api, order))
            # A gateway echoing the request (credentials included) in its error answer.
            conformance.transport.echo_next()
            errors: list[str] = []
            try:
                conformance.fetch(window, connector)
            except ConnectorError as exc:
                errors = [exc.message, exc.fix or ""]
        assert result.outcome == "succeeded", f"{result.error_kind}: {result.error}"
        assert capture.named("http.request") and capture.named("sync.finished"), (
            "the log output was not captured (no http.request / sync.finished events)"
        )
        secrets = set(conformance.secrets.values())
        leaks = []
        for event in capture.events:
            text = json.dumps(event, ensure_ascii=False)
            decoded = _decoded_forms(text)
            for label, value in needles:
                if value in text:
                    keys = ", ".join(_keys_holding(event, value)) or "?"
                    leaks.append(f"{event.get('event')!r} ({keys}) shows {label}")
                elif value in secrets and any(value in form for form in decoded):
                    leaks.append(f"{event.get('event')!r} shows {label}, encoded")
        for text in errors:
            for label, value in needles:
                if value in secrets and any(
                    value in form for form in [text, *_decoded_forms(text)]
                ):
                    leaks.append(f"the error raised for an echoing 400 answer shows {label}")
        assert not leaks, (
            "the log output shows secrets or buyer data (never log payloads, addresses or "
            "credentials; messages name ids and fields only):\n" + "\n".join(sorted(set(leaks)))
        )

    @staticmethod
    def _needles(harness: Harness, drafts: list[OrderDraft]) -> list[tuple[str, str]]:
        needles: list[tuple[str, str]] = []
        for name, value in harness.secrets.items():
            for form in {value, quote(value, safe=""), quote_plus(value)}:
                needles.append((f"the secret setting {name!r}", form))
        for draft in drafts:
            for who in ("buyer", "ship_to"):
                address = getattr(draft, who)
                if address is None:
                    continue
                for field in ("name", "company", "email", "phone", "line1", "line2"):
                    value = getattr(address, field)
                    if isinstance(value, str) and len(value.strip()) >= MIN_PII:
                        needles.append((f"the {who} {field} of order {draft.external_id}", value))
        return needles


_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")


def _decoded_forms(text: str) -> list[str]:
    """``text`` URL-decoded, and every base64-looking run in it decoded (a Basic header, a
    token in a query string, a JSON-escaped value): secrets must not show in any of them."""
    forms = [unquote_plus(text), text.encode().decode("unicode_escape", "ignore")]
    for chunk in _BASE64.findall(text):
        padded = chunk + "=" * (-len(chunk) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                forms.append(decode(padded).decode("utf-8", "ignore"))
            except (ValueError, binascii.Error):
                continue
    return forms


def _keys_holding(event: Any, needle: str, prefix: str = "") -> list[str]:
    """The dotted keys of ``event`` whose text holds ``needle``."""
    found: list[str] = []
    if isinstance(event, dict):
        for key, value in event.items():
            found.extend(_keys_holding(value, needle, f"{prefix}{key}."))
    elif isinstance(event, list):
        for value in event:
            found.extend(_keys_holding(value, needle, prefix))
    elif needle in str(event):
        found.append(prefix.rstrip(".") or "value")
    return found
