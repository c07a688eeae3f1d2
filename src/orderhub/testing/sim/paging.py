"""Slicing helpers for the three paging styles channels use.

- page numbers (WooCommerce, Shopify before cursors): :func:`page_number_slice`
- offset and limit (eBay): :func:`offset_slice`
- opaque next tokens (Amazon): :class:`TokenPager`

They only slice; the simulator decides how the page is announced (headers, ``next`` URLs,
``NextToken`` fields).
"""

from __future__ import annotations

import base64
import binascii
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a page-number listing. ``total_pages`` is 0 when there are no items."""

    items: list[T]
    page: int
    per_page: int
    total: int
    total_pages: int

    @property
    def has_next(self) -> bool:
        return self.page < self.total_pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def page_number_slice(items: Sequence[T], page: int, per_page: int) -> Page[T]:
    """Page ``page`` (1-based) of ``items`` at ``per_page`` items per page.

    A page past the end is empty (not an error). Raises ``ValueError`` for ``page < 1`` or
    ``per_page < 1``: validating the request is the simulator's job, with the channel's own
    error body.
    """
    if page < 1 or per_page < 1:
        raise ValueError(f"page and per_page must be at least 1, got {page}, {per_page}")
    total = len(items)
    start = (page - 1) * per_page
    return Page(
        items=list(items[start : start + per_page]),
        page=page,
        per_page=per_page,
        total=total,
        total_pages=math.ceil(total / per_page),
    )


@dataclass(frozen=True)
class OffsetPage(Generic[T]):
    """One page of an offset/limit listing."""

    items: list[T]
    offset: int
    limit: int
    total: int

    @property
    def next_offset(self) -> int | None:
        """The offset of the next page, or ``None`` on the last page."""
        nxt = self.offset + self.limit
        return nxt if nxt < self.total else None

    @property
    def prev_offset(self) -> int | None:
        """The offset of the previous page, or ``None`` on the first page."""
        return max(0, self.offset - self.limit) if self.offset > 0 else None


def offset_slice(items: Sequence[T], offset: int, limit: int) -> OffsetPage[T]:
    """``limit`` items of ``items`` starting at ``offset`` (0-based). Raises ``ValueError``
    for a negative offset or a limit below 1."""
    if offset < 0 or limit < 1:
        raise ValueError(f"offset must be >= 0 and limit >= 1, got {offset}, {limit}")
    return OffsetPage(
        items=list(items[offset : offset + limit]), offset=offset, limit=limit, total=len(items)
    )


class InvalidTokenError(ValueError):
    """A next token this pager did not issue (or issued for another query)."""


@dataclass(frozen=True)
class TokenPage(Generic[T]):
    """One page of a next-token listing. ``next_token`` is ``None`` on the last page."""

    items: list[T]
    offset: int
    next_token: str | None


class TokenPager:
    """Opaque next tokens that encode an offset (and the query they belong to).

    ``context`` binds a token to a query (pass e.g. the sorted filter parameters): a token
    presented with another context is refused, as channels refuse a NextToken reused with
    different filters. :meth:`repeat_next_token` makes the next page(s) hand back the very
    token they were requested with, so a client that does not detect loops would fetch the
    same page forever.
    """

    def __init__(self, namespace: str = "sim") -> None:
        self._namespace = namespace
        self._repeat = 0
        self._lock = threading.Lock()

    def encode(self, offset: int, context: str = "") -> str:
        raw = f"{self._namespace}|{context}|{offset}".encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def decode(self, token: str, context: str = "") -> int:
        """The offset inside ``token``. Raises :class:`InvalidTokenError`."""
        try:
            padded = token + "=" * (-len(token) % 4)
            raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
            namespace, rest = raw.split("|", 1)
            ctx, offset_text = rest.rsplit("|", 1)
            offset = int(offset_text)
        except (binascii.Error, UnicodeError, ValueError):
            raise InvalidTokenError("malformed next token") from None
        if namespace != self._namespace or ctx != context or offset < 0:
            raise InvalidTokenError("next token does not belong to this query")
        return offset

    def repeat_next_token(self, times: int = 1) -> None:
        """Make the next ``times`` pages requested *with* a token return that same token as
        their next token (a pagination loop)."""
        with self._lock:
            self._repeat += times

    def page(
        self, items: Sequence[T], token: str | None, size: int, context: str = ""
    ) -> TokenPage[T]:
        """The page that ``token`` (``None`` for the first page) points at, ``size`` items
        long. Raises :class:`InvalidTokenError` for a foreign token."""
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        offset = 0 if token is None else self.decode(token, context)
        chunk = list(items[offset : offset + size])
        nxt = offset + size
        next_token = self.encode(nxt, context) if nxt < len(items) else None
        if token is not None:
            with self._lock:
                if self._repeat > 0:
                    self._repeat -= 1
                    next_token = token
        return TokenPage(items=chunk, offset=offset, next_token=next_token)
