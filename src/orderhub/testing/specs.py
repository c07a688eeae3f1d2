"""Where the channels' official API models live for the tests that check the simulators
against them.

The models whose licences allow it are vendored in the repository under ``tests/specs/``
(see ``tests/specs/README.md`` for where each came from and under what terms), so a fresh
clone tests itself. eBay's OpenAPI file is under eBay's API License Agreement, which grants
no right to redistribute it, so it is not vendored: :func:`missing` says how to fetch it.

``ORDERHUB_SPECS_DIR`` overrides everything: when it is set, only that folder is read.
"""

from __future__ import annotations

import os
from pathlib import Path

SPECS_ENV = "ORDERHUB_SPECS_DIR"
#: The vendored folder, relative to the checkout's root.
VENDORED = Path("tests") / "specs"

#: Files that cannot be vendored, and where to fetch them from (channel, name) -> URL.
FETCH_FROM: dict[tuple[str, str], str] = {
    ("ebay", "sell_fulfillment_v1_oas3.json"): (
        "https://raw.githubusercontent.com/hendt/ebay-api/"
        "af51f9fdd8c77ea45d40c68014d23749800566ed/specs/sell_fulfillment_v1_oas3.json"
    ),
}


def checkout_root(start: Path | None = None) -> Path | None:
    """The nearest folder above ``start`` (this file by default) holding ``pyproject.toml``."""
    here = (start or Path(__file__)).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return None


def specs_dir(start: Path | None = None) -> Path:
    """``$ORDERHUB_SPECS_DIR``, else the vendored ``tests/specs`` of the checkout holding
    ``start`` (this file by default). The folder may lack a file: use :func:`spec_file`."""
    value = os.environ.get(SPECS_ENV, "").strip()
    if value:
        return Path(value)
    root = checkout_root(start)
    return (root / VENDORED) if root is not None else VENDORED


def spec_file(channel: str, name: str, start: Path | None = None) -> Path:
    """The path of one model file: under ``$ORDERHUB_SPECS_DIR`` when it is set; else the
    vendored copy, or a ``shared/specs`` folder beside the checkout holding a file that
    cannot be vendored. When none exists, the path the file should be fetched to."""
    vendored = specs_dir(start) / channel / name
    if os.environ.get(SPECS_ENV, "").strip() or vendored.exists():
        return vendored
    root = checkout_root(start)
    if root is not None:
        beside = root.parent / "shared" / "specs" / channel / name
        if beside.exists():
            return beside
    return vendored


def missing(channel: str, name: str, start: Path | None = None) -> str:
    """Why a model file is not here and how to get it: the skip reason of the tests that
    need it."""
    path = spec_file(channel, name, start)
    url = FETCH_FROM.get((channel, name))
    if url is None:
        return (
            f"{path} is missing: it is vendored in the repository under tests/specs/; "
            f"restore it with `git checkout -- tests/specs`, or point {SPECS_ENV} at a copy"
        )
    return (
        f"{path} is missing: it is not in the repository because its licence does not allow "
        f"redistribution (see tests/specs/README.md); fetch it with "
        f"`curl -fsSL -o {path} {url}`, or point {SPECS_ENV} at a folder holding "
        f"{channel}/{name}"
    )
