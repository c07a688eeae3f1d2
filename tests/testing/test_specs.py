"""Where the simulator tests find the channels' API models: the vendored copies in the
repository, the override, and what a missing file's skip reason says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orderhub.testing.specs import SPECS_ENV, missing, spec_file, specs_dir

REPO = Path(__file__).resolve().parents[2]
VENDORED = REPO / "tests" / "specs"


@pytest.fixture(autouse=True)
def _no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SPECS_ENV, raising=False)


def test_the_vendored_models_are_found_inside_the_checkout() -> None:
    assert specs_dir() == VENDORED
    for channel, name in [
        ("amazon", "orders_2026-01-01.json"),
        ("amazon", "ordersV0.json"),
        ("amazon", "ordersV0.sandbox-examples.extracted.json"),
    ]:
        path = spec_file(channel, name)
        assert path == VENDORED / channel / name
        json.loads(path.read_text(encoding="utf-8"))
    for name in ["wc-v3-orders.md", "wc-v3-order-notes.md"]:
        assert spec_file("woocommerce", name).is_file()


def test_every_vendored_channel_carries_its_licence() -> None:
    assert (VENDORED / "amazon" / "LICENSE").is_file()
    assert (VENDORED / "amazon" / "NOTICE").is_file()
    assert (VENDORED / "woocommerce" / "LICENSE").is_file()
    readme = (VENDORED / "README.md").read_text(encoding="utf-8")
    vendored = sorted(
        p.relative_to(VENDORED).as_posix()
        for p in VENDORED.rglob("*")
        if p.is_file()
        and p.name not in {"README.md", ".gitignore"}
        and p.suffix in {".json", ".md"}
        and "ebay" not in p.parts
    )
    for name in vendored:
        assert f"`{name}`" in readme, f"{name} is vendored but tests/specs/README.md omits it"


def test_the_override_is_the_only_place_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SPECS_ENV, str(tmp_path))
    assert specs_dir() == tmp_path
    assert spec_file("amazon", "ordersV0.json") == tmp_path / "amazon" / "ordersV0.json"


def test_a_file_that_cannot_be_vendored_says_how_to_fetch_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SPECS_ENV, str(tmp_path))
    reason = missing("ebay", "sell_fulfillment_v1_oas3.json")
    assert str(tmp_path / "ebay" / "sell_fulfillment_v1_oas3.json") in reason
    assert "curl -fsSL -o" in reason and "hendt/ebay-api" in reason
    assert "licence" in reason


def test_a_missing_vendored_file_says_how_to_restore_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SPECS_ENV, str(tmp_path))
    assert "git checkout -- tests/specs" in missing("amazon", "ordersV0.json")
