"""Retention: buyer data is erased once it is no longer needed to fulfil an order, and the
history tables stop growing with every poll.

Buyer data. After ``buyer_data`` (30 days by default; per channel with
``[retention.channels.<channel>]``) from the order's last change, an order that is shipped,
cancelled or refunded loses its buyer and ship-to addresses (names, e-mails, phones, street
lines) and the raw payload's copies of them. The order itself, its lines, money, statuses
and events stay. Amazon's Data Protection Policy asks that buyer PII be kept no longer than
needed to fulfil the order (and at most 30 days after delivery); eBay's User Privacy Notice
and user agreement limit the use of buyer data to completing the transaction. See the
README's "Retention" section for the sources.

The content hash of an erased order is kept, so the channel re-sending the unchanged order
(the overlap re-read) writes nothing back; a real change on the channel stores the new
payload, and the next purge erases it again once the period has passed.

History. ``sync_runs`` rows older than ``history`` (30 days) are deleted, except the latest
``keep_runs`` (50) of each account; resolved quarantine rows older than ``history`` too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, func, select, update

from orderhub.store.ingest import ORDERS, QUARANTINE
from orderhub.store.runs import RUNS

FINAL_STATUSES = ("shipped", "cancelled", "refunded")
ERASED_MARK = "_orderhub_buyer_data_erased"

# Keys that hold a person's name, contact or street address in the channels' payloads
# (WooCommerce billing/shipping, Amazon buyer/recipient, eBay buyer/shipTo), compared
# without case, "_" or "-".
_PII_KEYS = frozenset(
    {
        "firstname",
        "lastname",
        "fullname",
        "buyername",
        "buyeremail",
        "email",
        "emailaddress",
        "phone",
        "phonenumber",
        "primaryphone",
        "address1",
        "address2",
        "address3",
        "addressline1",
        "addressline2",
        "addressline3",
        "street",
        "street1",
        "street2",
        "company",
        "companyname",
        "username",
        "taxidentifier",
        "customernote",
        "addressinstruction",
        "addressinstructions",
        "deliveryinstruction",
        "deliveryinstructions",
        "giftmessage",
        "giftmessagetext",
        "buyernote",
        "buyercompanyname",
        "buyertaxinfo",
        "postalcode",
        "postcode",
        "extendedfields",
        "customizedurl",
        "customeripaddress",
        "customeruseragent",
    }
)
# "name" is a person only beside address or contact fields (a line item's "name" is its
# product title, which stays).
_PERSON_CONTEXT = frozenset({"email", "phone", "phonenumber", "addressline1", "address1", "city"})


def _key(name: str) -> str:
    return name.replace("_", "").replace("-", "").casefold()


def erase_pii(value: Any) -> Any:
    """``value`` (a decoded payload) with every person's name, contact and street erased."""
    if isinstance(value, list):
        return [erase_pii(item) for item in value]
    if not isinstance(value, dict):
        return value
    keys = {_key(str(k)) for k in value}
    person = bool(keys & _PERSON_CONTEXT)
    erased: dict[str, Any] = {}
    for name, item in value.items():
        key = _key(str(name))
        if key in _PII_KEYS or (key == "name" and person):
            erased[name] = None
        else:
            erased[name] = erase_pii(item)
    return erased


@dataclass(frozen=True)
class RetentionConfig:
    """``[retention]``: ``buyer_data`` and ``history`` are durations ("30d"), ``keep_runs``
    a count; ``enabled = false`` keeps everything."""

    enabled: bool = True
    buyer_data: timedelta = timedelta(days=30)
    history: timedelta = timedelta(days=30)
    keep_runs: int = 50
    #: channel name -> its own buyer-data period
    channels: Mapping[str, timedelta] = field(default_factory=dict)

    def buyer_data_for(self, channel: str) -> timedelta:
        return self.channels.get(channel, self.buyer_data)


@dataclass
class PurgeResult:
    orders_erased: int = 0
    runs_deleted: int = 0
    quarantine_deleted: int = 0
    dry_run: bool = False
    #: channel -> orders erased (or that would be)
    by_channel: dict[str, int] = field(default_factory=dict)


def purge(
    connection: Connection, config: RetentionConfig, *, now: datetime, dry_run: bool = False
) -> PurgeResult:
    """Apply ``config`` in the caller's transaction (nothing changes when ``dry_run``)."""
    result = PurgeResult(dry_run=dry_run)
    if not config.enabled:
        return result
    channels = [row[0] for row in connection.execute(select(ORDERS.c.channel).distinct()).all()]
    for channel in channels:
        cutoff = now - config.buyer_data_for(channel)
        candidates = connection.execute(
            select(ORDERS.c.id, ORDERS.c.raw).where(
                ORDERS.c.channel == channel,
                ORDERS.c.status.in_(FINAL_STATUSES),
                ORDERS.c.last_changed_at < cutoff,
                # Erased orders carry the mark in their raw payload (a JSON null in the
                # address columns is not SQL NULL, so those cannot tell).
                ~ORDERS.c.raw.contains(ERASED_MARK, autoescape=True),
            )
        ).all()
        result.by_channel[channel] = len(candidates)
        result.orders_erased += len(candidates)
        if dry_run:
            continue
        for row in candidates:
            connection.execute(
                update(ORDERS)
                .where(ORDERS.c.id == row.id)
                .values(buyer=None, ship_to=None, raw=_erased_raw(row.raw, now))
            )
    history_cutoff = now - config.history
    ranked = (
        select(
            RUNS.c.id,
            func.row_number()
            .over(partition_by=RUNS.c.account_id, order_by=RUNS.c.id.desc())
            .label("rank"),
        )
    ).subquery()
    old_runs = select(ranked.c.id).where(ranked.c.rank > config.keep_runs)
    runs_filter = and_(
        RUNS.c.started_at < history_cutoff,
        RUNS.c.outcome != "running",
        RUNS.c.id.in_(old_runs),
    )
    quarantine_filter = and_(
        QUARANTINE.c.resolved_at.is_not(None), QUARANTINE.c.resolved_at < history_cutoff
    )
    if dry_run:
        result.runs_deleted = int(
            connection.execute(
                select(func.count()).select_from(RUNS).where(runs_filter)
            ).scalar_one()
        )
        result.quarantine_deleted = int(
            connection.execute(
                select(func.count()).select_from(QUARANTINE).where(quarantine_filter)
            ).scalar_one()
        )
    else:
        result.runs_deleted = connection.execute(delete(RUNS).where(runs_filter)).rowcount
        result.quarantine_deleted = connection.execute(
            delete(QUARANTINE).where(quarantine_filter)
        ).rowcount
    return result


def _erased_raw(raw: str, now: datetime) -> str:
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = {"orderhub_unreadable_payload": True}
    erased = erase_pii(payload)
    if isinstance(erased, dict):
        erased[ERASED_MARK] = now.isoformat()
    else:
        erased = {ERASED_MARK: now.isoformat(), "payload": erased}
    return json.dumps(erased, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
