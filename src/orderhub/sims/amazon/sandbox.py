"""The static sandbox examples of Amazon's models, served when a request matches one."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from orderhub.testing.sim import SimRequest

# -- sandbox examples ---------------------------------------------------------------------------


def extract_sandbox_examples(specs_dir: Path) -> dict[str, Any]:
    """The static sandbox examples of the models in ``specs_dir`` (a copy of
    ``amzn/selling-partner-api-models``' ``orders_2026-01-01.json`` and the extracted
    ``ordersV0.sandbox-examples.extracted.json``), in the shape of ``amazon_sandbox.json``.

    Regenerate the shipped copy with::

        python -c "import json, pathlib; from orderhub.sims.amazon import *;
        print(json.dumps(extract_sandbox_examples(pathlib.Path('tests/specs/amazon')),
        indent=1, ensure_ascii=False))" > src/orderhub/sims/amazon/amazon_sandbox.json
    """
    model = json.loads((specs_dir / "orders_2026-01-01.json").read_text(encoding="utf-8"))
    v0 = json.loads(
        (specs_dir / "ordersV0.sandbox-examples.extracted.json").read_text(encoding="utf-8")
    )
    examples: list[dict[str, Any]] = []
    for path, item in model["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for code, answer in operation["responses"].items():
                sandbox = answer.get("x-amzn-api-sandbox", {})
                for example in sandbox.get("static", []):
                    examples.append(
                        {
                            "operation": operation["operationId"],
                            "api": "2026-01-01",
                            "method": method.upper(),
                            "path": path,
                            "status": int(code),
                            "parameters": {
                                k: v["value"] for k, v in example["request"]["parameters"].items()
                            },
                            "response": example["response"],
                        }
                    )
    for example in v0:
        if example["operationId"] not in ("getOrders", "getOrderItems", "confirmShipment"):
            continue
        examples.append(
            {
                "operation": example["operationId"],
                "api": "v0",
                "method": example["method"],
                "path": example["path"],
                "status": example["status"],
                "parameters": {k: v["value"] for k, v in example["request"]["parameters"].items()},
                "response": example["response"],
            }
        )
    return {
        "_source": (
            "Static sandbox examples (x-amzn-api-sandbox) of amzn/selling-partner-api-models "
            "@ 34dc93fe45f37c9a0b2e56823c808f68b4f81754: models/orders-api-model/"
            "orders_2026-01-01.json (searchOrders, getOrder) and ordersV0.json (getOrders, "
            "getOrderItems, confirmShipment). Apache License 2.0. Regenerate with the script "
            "in the docstring of orderhub.sims.amazon.sandbox.extract_sandbox_examples."
        ),
        "examples": examples,
    }


@cache
def sandbox_examples() -> tuple[dict[str, Any], ...]:
    """The static sandbox examples shipped with the simulator (``amazon_sandbox.json``)."""
    text = resources.files(__package__).joinpath("amazon_sandbox.json").read_text("utf-8")
    return tuple(json.loads(text)["examples"])


def _csv(request: SimRequest, name: str) -> list[str] | None:
    """A Swagger 2.0 ``csv`` array parameter (repeated parameters are joined too)."""
    raw = request.query.get(name)
    if raw is None:
        return None
    values: list[str] = []
    for item in raw:
        values.extend(part for part in item.split(",") if part != "")
    return values


def _matches_example(request: SimRequest, example: dict[str, Any]) -> bool:
    expected = dict(example["parameters"])
    body = expected.pop("body", None)
    for name, value in list(expected.items()):
        if "{" + name + "}" in example["path"]:
            if request.path_params.get(name) != str(value):
                return False
            del expected[name]
    if set(request.query) != set(expected):
        return False
    for name, value in expected.items():
        if isinstance(value, list):
            if _csv(request, name) != [str(v) for v in value]:
                return False
        elif request.param(name) != str(value):
            return False
    if body is not None:
        try:
            return bool(request.json() == body)
        except ValueError:
            return False
    return True
