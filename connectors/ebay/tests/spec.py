"""eBay's OpenAPI description of the Fulfillment API, loaded at test time (it is under
eBay's API License Agreement and is not copied into orderhub). Tests that need it skip,
saying how to fetch it, when it is missing."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from orderhub.testing.specs import missing, spec_file

SPEC_PATH = spec_file("ebay", "sell_fulfillment_v1_oas3.json", Path(__file__))


@cache
def _spec() -> dict[str, Any] | None:
    if not SPEC_PATH.exists():
        return None
    data: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return data


def _closed(node: Any) -> Any:
    """Every object schema with declared properties refuses undeclared ones, so a field
    name the spec does not know fails validation instead of passing silently."""
    if isinstance(node, dict):
        out = {key: _closed(value) for key, value in node.items()}
        if out.get("type") == "object" and "properties" in out:
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(node, list):
        return [_closed(item) for item in node]
    return node


def validator(schema_name: str) -> jsonschema.protocols.Validator:
    """A validator for ``components.schemas[schema_name]`` (closed objects)."""
    spec = _spec()
    if spec is None:
        pytest.skip(missing("ebay", "sell_fulfillment_v1_oas3.json", Path(__file__)))
    components = _closed(copy.deepcopy(spec["components"]))
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": components}
    return jsonschema.Draft7Validator(root)


def problems(schema_name: str, instance: Any) -> list[str]:
    """Every way ``instance`` breaks the schema (empty when it conforms)."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator(schema_name).iter_errors(instance)
    ]
