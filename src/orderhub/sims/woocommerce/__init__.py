"""A simulated WooCommerce store: the REST API v3 order endpoints, faithful to the official
documentation (``wc-v3-orders.md``, ``wc-v3-order-notes.md``, ``wc-v3-introduction.md``,
``wc-v3-authentication.md``) and to what WordPress does where the documentation is silent.

Routes (below ``/wp-json/wc/v3``):

- ``GET /orders``: list, with ``page``, ``per_page`` (1..100, default 10), ``offset``,
  ``after``/``before``/``modified_after``/``modified_before``, ``dates_are_gmt``, ``status``
  (``any`` by default, comma list or ``status[]``), ``include``, ``exclude``, ``customer``,
  ``parent``, ``order`` and ``orderby``. Answers carry ``X-WP-Total``, ``X-WP-TotalPages`` and
  an RFC 5988 ``Link`` header (``first``, ``prev``, ``next``, ``last`` by default; real stores
  send only ``prev``/``next``, pass ``link_rels`` to match one).
- ``GET``/``PUT /orders/{id}``
- ``GET``/``POST /orders/{id}/notes``, ``GET``/``DELETE /orders/{id}/notes/{note_id}``
- ``GET /products`` and ``GET /products/{id}/variations`` (``page``, ``per_page``,
  ``order``): the :data:`CATALOG` the generated orders sell, and the products added with
  :meth:`add_product`

A connection check should use ``GET /orders?per_page=1``: it needs exactly the permission
the worker needs (read orders), costs one order, and is answered by every store, whereas
``/system_status`` needs a key with ``manage_woocommerce`` rights and is slow on real stores.

Date filters behave like WordPress's date query (``WP_Date_Query`` since WordPress 5.3):

- a value without a zone is taken as written;
- a value with a zone (``Z``, ``+02:00``) is first converted to the *site* timezone;
- the resulting wall-clock time is compared with the GMT column when
  ``dates_are_gmt=true``, else with the site-time column;
- comparisons are strict (``after`` is ``>``, ``before`` is ``<``) at whole seconds.

So the one reliable form is a zone-less GMT time with ``dates_are_gmt=true``. A connector
that forgets ``dates_are_gmt`` (or sends ``...Z`` with it) gets a window shifted by the
site's UTC offset (``site_utc_offset``, +02:00 by default), which is how the real trap looks.

Authentication: HTTP Basic with the consumer key and secret, or the ``consumer_key`` and
``consumer_secret`` query parameters. Basic is accepted over plain HTTP too (the simulator
stands in for a store behind TLS; OAuth 1.0a for plain HTTP is not simulated). Errors use
WordPress's body, ``{"code", "message", "data": {"status"}}``.

WooCommerce documents no rate limit for ``wc/v3``, so none is enforced unless a test sets
one (``sim.rate_limits.set("orders.list", RateLimit(...))``); the 429 body then follows the
Store API limiter's wording.

Split by role: :mod:`.records` (the data model and catalog), :mod:`.base` (state, errors,
parameter readers), :mod:`.auth` (API keys and permissions), :mod:`.rendering` (records to
WooCommerce's JSON), :mod:`.generation` (seeded orders, changes, the live feed),
:mod:`.notes` and :mod:`.products` (their routes) and :mod:`.api` (the order routes and
paging; :class:`SimulatedWooCommerce` itself).
"""

from orderhub.sims.woocommerce.api import SimulatedWooCommerce
from orderhub.sims.woocommerce.records import (
    CATALOG,
    WOO_STATUSES,
    Product,
    WooNote,
    WooOrderRecord,
)

__all__ = [
    "CATALOG",
    "WOO_STATUSES",
    "Product",
    "SimulatedWooCommerce",
    "WooNote",
    "WooOrderRecord",
]
