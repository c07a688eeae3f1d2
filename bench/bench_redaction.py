"""Log redaction with many accounts: registering every account's secrets as its connector
is built, and scrubbing log lines, against the regular-expression redactor orderhub used
before (rebuilt in this file, measured in the same run).

    python bench/bench_redaction.py                  # 200 accounts, 20,000 log lines
    python bench/bench_redaction.py --accounts 1000
"""

from __future__ import annotations

import argparse
import re
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from _support import write_result

from orderhub.logs import SECRET_MASK, Redactor
from orderhub.sdk.secrets import MIN_SECRET_LENGTH, secret_forms


class RegexRedactor:
    """The previous way: one alternation of every form, longest first, recompiled at each
    registration that adds one."""

    def __init__(self) -> None:
        self._forms: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add_secrets(self, values: Iterable[str]) -> None:
        added = False
        for value in values:
            if len(value) >= MIN_SECRET_LENGTH:
                for form in secret_forms(value):
                    if form not in self._forms:
                        self._forms.add(form)
                        added = True
        if added:
            ordered = sorted(self._forms, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def scrub_text(self, text: str) -> str:
        return self._pattern.sub(SECRET_MASK, text) if self._pattern is not None else text


def account_secrets(accounts: int) -> list[list[str]]:
    """Per account what a WooCommerce connector registers: key, secret, and the Basic
    header's wire form."""
    out = []
    for _ in range(accounts):
        key, secret = f"ck_{secrets.token_hex(20)}", f"cs_{secrets.token_hex(20)}"
        out.append([key, secret, f"{key}:{secret}"])
    return out


LINES = [
    "GET https://shop-0042.example/wp-json/wc/v3/orders?page=3&per_page=100 answered 503",
    "sync.finished account=shop-0042 orders_created=3 orders_updated=1 pages=1 in 41 ms",
    "Traceback: ConnectorError: the channel refused the credentials (401 Unauthorized); "
    "Fix: create a new key in WooCommerce > Settings > Advanced > REST API",
]


def measure(make: Callable[[], Any], per_account: list[list[str]], lines: int) -> dict[str, float]:
    redactor = make()
    began = time.perf_counter()
    # As the worker does: an account's connector is built at its first pull, which logs.
    for values in per_account:
        redactor.add_secrets(values)
        redactor.scrub_text(LINES[1])
    registered = time.perf_counter() - began
    began = time.perf_counter()
    for n in range(lines):
        redactor.scrub_text(LINES[n % len(LINES)])
    scrubbed = time.perf_counter() - began
    masked_all = all(
        redactor.scrub_text(f"Basic {values[2]} {values[0]}")
        == f"Basic {SECRET_MASK} {SECRET_MASK}"
        for values in per_account
    )
    return {
        "register_s": registered,
        "scrub_us_per_line": scrubbed / lines * 1e6,
        "masked_all": masked_all,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--lines", type=int, default=20000)
    parser.add_argument("--output", type=Path, help="result file (default bench/results/)")
    args = parser.parse_args(argv)
    per_account = account_secrets(args.accounts)
    new = measure(Redactor, per_account, args.lines)
    old = measure(RegexRedactor, per_account, args.lines)
    forms = sum(len(secret_forms(v)) for values in per_account for v in values)
    result = {
        "accounts": args.accounts,
        "secret_forms": forms,
        "orderhub": new,
        "previous": old,
        "register_ratio": old["register_s"] / new["register_s"],
        "scrub_ratio": old["scrub_us_per_line"] / new["scrub_us_per_line"],
    }
    print(f"{args.accounts} accounts, about {forms} secret forms")
    print(f"{'redactor':<10} {'register s':>11} {'scrub us/line':>14}")
    for name, figures in (("orderhub", new), ("previous", old)):
        print(f"{name:<10} {figures['register_s']:>11.3f} {figures['scrub_us_per_line']:>14.1f}")
    print(
        f"orderhub is {result['register_ratio']:.0f}x faster registering and "
        f"{result['scrub_ratio']:.1f}x faster scrubbing"
    )
    path = write_result("redaction", result, args.output, list(argv or []))
    print(f"result: {path}")
    return result


if __name__ == "__main__":
    main()
