"""Page speed of the web console on a large store.

Builds a SQLite store of N orders (default 200,000) over three accounts, then measures the
median time to serve console pages in-process (Starlette's TestClient: routing, the auth
and security middleware, the queries, the Jinja2 template) against a baseline measured in
the same run: a plain indexed SELECT, through SQLAlchemy Core on the same engine, of the
same rows the page shows. The figure is the ratio page / baseline.

    python bench/bench_web.py                       # 200,000 orders, ~2 min
    python bench/bench_web.py --orders 20000 --repeat 5
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from _support import write_result
from sqlalchemy import Engine, func, select, tuple_

from orderhub.config import load_config
from orderhub.sdk.drafts import LineDraft, OrderDraft, OrderStatus
from orderhub.store import runs
from orderhub.store.db import make_engine, upgrade
from orderhub.store.ingest import LINES, ORDERS, IncomingOrder, canonical_json, ingest_page
from orderhub.store.queries import ORDER_SUMMARY
from orderhub.web.app import create_app
from orderhub.web.order_search import PAGE_SIZE, encode_cursor

ACCOUNTS = (("shop", "woocommerce"), ("amazon-eu", "amazon"), ("ebay-us", "ebay"))
STATUSES = (OrderStatus.UNSHIPPED, OrderStatus.SHIPPED, OrderStatus.PARTIALLY_SHIPPED)
SKUS = [f"SKU-{n:05d}" for n in range(5000)]
PASSWORD = "bench-password"


def build_store(engine: Engine, orders: int, now: datetime) -> None:
    """``orders`` orders written by ``ingest_page`` in pages of 1,000, spread over 90 days."""
    page = 1000
    for account_index, (account, channel) in enumerate(ACCOUNTS):
        share = orders // len(ACCOUNTS) + (1 if account_index < orders % len(ACCOUNTS) else 0)
        for start in range(0, share, page):
            batch = []
            for n in range(start, min(share, start + page)):
                placed = now - timedelta(seconds=(n * 7919 + account_index * 31) % (90 * 86400))
                lines = tuple(
                    LineDraft(
                        external_id=f"{n}-{k}",
                        quantity=1 + k,
                        sku=SKUS[(n * 13 + k) % len(SKUS)],
                        title="Item",
                        unit_price=Decimal("9.99"),
                        total=Decimal("9.99") * (1 + k),
                    )
                    for k in range(1 + n % 2)
                )
                draft = OrderDraft(
                    external_id=f"{account}-{n}",
                    display_id=f"#{account_index + 1}{n:07d}",
                    status=STATUSES[n % len(STATUSES)],
                    channel_status="x",
                    placed_at=placed,
                    updated_at=placed + timedelta(minutes=n % 600),
                    currency="EUR",
                    total=sum((line.total or Decimal(0) for line in lines), Decimal(0)),
                    lines=lines,
                )
                raw, digest = canonical_json({"id": draft.external_id})
                batch.append(IncomingOrder(draft=draft, raw=raw, content_hash=digest))
            with engine.begin() as connection:
                ingest_page(connection, account_id=account, channel=channel, orders=batch, now=now)
        with engine.begin() as connection:
            run_id = runs.start_run(
                connection,
                account_id=account,
                channel=channel,
                stream="orders",
                trigger="schedule",
                now=now - timedelta(minutes=5),
                window_start=None,
                window_end=None,
            )
            runs.update_run(connection, run_id, {"outcome": "succeeded", "finished_at": now})
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")


def median_ms(action: Callable[[], Any], repeat: int) -> float:
    action()  # warm caches (templates, statement cache, pages of the file)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _list_columns() -> Any:
    return select(*ORDER_SUMMARY, ORDERS.c.awaiting_mapping)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)

    # Starlette's TestClient would rather have httpx2; orderhub uses httpx.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
        upgrade(engine)
        started = time.perf_counter()
        build_store(engine, args.orders, now)
        build_seconds = time.perf_counter() - started
        config_file = folder / "orderhub.toml"
        config_file.write_text('[web]\nport = 0\npassword_env = "BENCH_PW"\n', encoding="utf-8")
        config = load_config(config_file, require_file=True, env={})
        app = create_app(engine, config, environ={"BENCH_PW": PASSWORD})
        auth = {"authorization": "Basic " + base64.b64encode(f"x:{PASSWORD}".encode()).decode()}
        client = TestClient(app, base_url="http://127.0.0.1", headers=auth)

        with engine.connect() as connection:
            deep = connection.execute(
                select(ORDERS.c.channel_updated_at, ORDERS.c.id)
                .order_by(ORDERS.c.channel_updated_at.desc(), ORDERS.c.id.desc())
                .offset(args.orders * 3 // 4)
                .limit(1)
            ).one()
        cursor = encode_cursor(deep.channel_updated_at, deep.id)
        sku = SKUS[42]

        def page(path: str) -> Callable[[], Any]:
            def fetch() -> None:
                response = client.get(path)
                assert response.status_code == 200, response.text[:300]

            return fetch

        def select_rows(query: Any) -> Callable[[], Any]:
            def fetch() -> None:
                with engine.connect() as connection:
                    connection.execute(query).all()

            return fetch

        newest = _list_columns().order_by(ORDERS.c.channel_updated_at.desc(), ORDERS.c.id.desc())
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        week = today - timedelta(days=today.weekday())

        def overview_baseline() -> None:
            with engine.connect() as connection:
                connection.execute(
                    select(ORDERS.c.account_id, func.count()).group_by(ORDERS.c.account_id)
                ).all()
                for since in (today, week):
                    connection.execute(
                        select(ORDERS.c.channel, ORDERS.c.status, func.count())
                        .where(ORDERS.c.placed_at >= since)
                        .group_by(ORDERS.c.channel, ORDERS.c.status)
                    ).all()

        def nothing() -> None:
            pass

        cases = {
            # The fixed cost of one in-process request (TestClient's thread hop, the
            # middleware, a plain-text answer), against doing nothing: the floor every page
            # pays before it touches the store.
            "floor: /healthz": (page("/healthz"), nothing),
            "overview": (page("/"), overview_baseline),
            "orders, first page": (
                page("/orders"),
                select_rows(newest.limit(PAGE_SIZE + 1)),
            ),
            "orders, page at 75% depth": (
                page(f"/orders?after={cursor}"),
                select_rows(
                    newest.where(
                        tuple_(ORDERS.c.channel_updated_at, ORDERS.c.id)
                        < tuple_(deep.channel_updated_at, deep.id)
                    ).limit(PAGE_SIZE + 1)
                ),
            ),
            "orders, one account": (
                page("/orders?account=ebay-us"),
                select_rows(newest.where(ORDERS.c.account_id == "ebay-us").limit(PAGE_SIZE + 1)),
            ),
            "orders, search by SKU": (
                page(f"/orders?q={sku}"),
                select_rows(
                    newest.where(
                        ORDERS.c.id.in_(select(LINES.c.order_id).where(LINES.c.sku == sku))
                    ).limit(PAGE_SIZE + 1)
                ),
            ),
        }
        figures = []
        for name, (render, baseline) in cases.items():
            page_ms = median_ms(render, args.repeat)
            base_ms = median_ms(baseline, args.repeat)
            figures.append(
                {
                    "case": name,
                    "page_ms": round(page_ms, 2),
                    "baseline_ms": round(base_ms, 3),
                    "ratio": round(page_ms / base_ms, 1) if name != "floor: /healthz" else None,
                }
            )
        client.close()
        engine.dispose()

    print(f"web console page speed: {args.orders:,} orders (store built in {build_seconds:.0f} s)")
    print(f"{'case':<28}{'page ms':>10}{'SELECT ms':>12}{'ratio':>8}")
    for row in figures:
        ratio = f"{row['ratio']:>8.1f}" if row["ratio"] is not None else f"{'-':>8}"
        print(f"{row['case']:<28}{row['page_ms']:>10.2f}{row['baseline_ms']:>12.3f}{ratio}")
    path = write_result(
        "web",
        {"orders": args.orders, "repeat": args.repeat, "cases": figures},
        args.output,
        argv,
    )
    print(f"result: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
