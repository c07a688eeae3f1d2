"""Golden files: the expected :class:`~orderhub.sdk.OrderDraft` of each fixture, as JSON.

One golden file per fixture: ``<golden_dir>/<fixture stem>.json`` holds what ``to_order``
makes of ``<fixtures_dir>/<fixture stem>.json``, with Decimals as strings (their exact
digits), times in ISO 8601 and enums as their values, indented by two spaces. Fixtures named
``malformed_*.json`` are records the connector must refuse and have no golden file.

The golden files are the review of a mapping change: regenerate them with
``pytest --update-golden`` (or ``ORDERHUB_UPDATE_GOLDEN=1``) and read the diff.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from orderhub.sdk.drafts import Address, LineDraft, OrderDraft, OrderStatus

__all__ = [
    "UPDATE_GOLDEN_ENV",
    "diff_text",
    "draft_from_json",
    "draft_to_json",
    "fixture_files",
    "golden_text",
    "load_fixture",
    "render_golden",
    "update_golden_requested",
    "write_golden",
]

#: The environment variable that switches golden tests to rewriting their files.
UPDATE_GOLDEN_ENV = "ORDERHUB_UPDATE_GOLDEN"
MALFORMED_PREFIX = "malformed_"


def to_jsonable(value: Any) -> Any:
    """Any draft value as plain JSON data (see the module docstring for the rules)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"unexpected {type(value).__name__} in a draft")


def draft_to_json(draft: OrderDraft) -> dict[str, Any]:
    """The draft as the JSON object a golden file holds."""
    data: dict[str, Any] = to_jsonable(draft)
    return data


def render_golden(draft: OrderDraft) -> str:
    """The exact text of the golden file for ``draft``."""
    return json.dumps(draft_to_json(draft), indent=2, ensure_ascii=False) + "\n"


def _money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _address(data: dict[str, Any] | None) -> Address | None:
    return None if data is None else Address(**data)


def draft_from_json(data: dict[str, Any]) -> OrderDraft:
    """The draft a golden file describes (the inverse of :func:`draft_to_json`), with real
    types, so ``==`` with a produced draft compares Decimals, aware datetimes and enum
    members rather than their spellings."""
    lines = tuple(
        LineDraft(
            **{**line, "unit_price": _money(line["unit_price"]), "total": _money(line["total"])}
        )
        for line in data["lines"]
    )
    return OrderDraft(
        **{
            **data,
            "status": OrderStatus(data["status"]),
            "placed_at": datetime.fromisoformat(data["placed_at"]),
            "updated_at": datetime.fromisoformat(data["updated_at"]),
            "total": Decimal(data["total"]),
            "lines": lines,
            "buyer": _address(data["buyer"]),
            "ship_to": _address(data["ship_to"]),
        }
    )


def write_golden(path: Path, text: str) -> bool:
    """Rewrite the golden file ``path`` with ``text`` (creating its folder) unless it holds
    exactly that already; True when it was written. A file left alone keeps its time stamp,
    so only changed golden files show up as changed."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def golden_text(path: Path, draft: OrderDraft, *, update: bool) -> str:
    """The text of the golden file ``path``, for a test to compare ``draft`` with. With
    ``update`` (the ``update_golden`` fixture) the file is first rewritten from ``draft``.
    Fails the test, saying how to create it, when there is no such file."""
    if update:
        write_golden(path, render_golden(draft))
    if not path.exists():
        pytest.fail(
            f"no golden file {path.name} in {path.parent}: run pytest with --update-golden "
            "(or ORDERHUB_UPDATE_GOLDEN=1), then review the new file",
            pytrace=False,
        )
    return path.read_text(encoding="utf-8")


def update_golden_requested(option: bool = False) -> bool:
    """True when golden files should be rewritten: ``--update-golden`` was given (passed
    here as ``option``) or ``ORDERHUB_UPDATE_GOLDEN=1`` is set."""
    return option or os.environ.get(UPDATE_GOLDEN_ENV, "") == "1"


def fixture_files(directory: Path) -> tuple[list[Path], list[Path]]:
    """The fixture JSON files of ``directory``, sorted: ``(valid, malformed)``."""
    files = sorted(directory.glob("*.json"))
    valid = [p for p in files if not p.name.startswith(MALFORMED_PREFIX)]
    malformed = [p for p in files if p.name.startswith(MALFORMED_PREFIX)]
    return valid, malformed


def load_fixture(path: Path) -> dict[str, Any]:
    """A fixture file's JSON object. Raises ``ValueError`` naming the file when it is not
    a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a fixture must hold one JSON object (one raw order)")
    return data


def diff_text(expected: str, produced: str, name: str) -> str:
    """A unified diff of two golden texts, for a failure message."""
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        produced.splitlines(keepends=True),
        fromfile=f"golden/{name}",
        tofile=f"to_order({name})",
    )
    return "".join(lines)
