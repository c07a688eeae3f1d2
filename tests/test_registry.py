"""Connector discovery through entry points, using real temporary distributions on sys.path."""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from orderhub.registry import (
    CONNECTOR_GROUP,
    ConnectorLoadError,
    UnknownConnectorError,
    discover,
    known_connectors,
    load_connector,
)
from orderhub.sdk import Capability, Connector

MakeDist = Callable[..., str]

GOOD = """
from pydantic import SecretStr
from orderhub.sdk import Capability, Connector, ConnectorSettings

class GoodSettings(ConnectorSettings):
    base_url: str
    api_key: SecretStr

class GoodConnector(Connector[GoodSettings]):
    name = "{name}"
    version = "2.0.0"
    capabilities = frozenset({{Capability.FETCH_ORDERS, Capability.PUSH_TRACKING}})
    settings_model = GoodSettings
"""

RAISES = """
raise RuntimeError("the connector's import blew up")
"""

NOT_A_CONNECTOR = """
class Plain:
    name = "plain"

def function():
    return None
"""


@pytest.fixture
def make_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeDist]:
    """Write a module and a ``*.dist-info`` with entry points into tmp_path, on sys.path.

    Module names get a random prefix so no two tests share an entry in sys.modules.
    Returns the prefix of the module names (so tests can write ``f"{prefix}_good:Cls"``).
    """
    prefix = f"ohreg_{uuid.uuid4().hex[:10]}"
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(
        dist: str,
        entry_points: dict[str, str],
        modules: dict[str, str] | None = None,
        group: str = CONNECTOR_GROUP,
    ) -> str:
        for module, source in (modules or {}).items():
            (tmp_path / f"{prefix}_{module}.py").write_text(textwrap.dedent(source))
        # The directory name carries the normalised name (underscores), as pip writes it.
        info = tmp_path / f"{dist.replace('-', '_')}-1.2.3.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
        lines = [f"[{group}]"]
        lines += [f"{name} = {target.format(p=prefix)}" for name, target in entry_points.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        importlib.invalidate_caches()
        return prefix

    yield make
    for module in [m for m in sys.modules if m.startswith(prefix)]:
        del sys.modules[module]


def by_name(group: str = CONNECTOR_GROUP) -> dict[str, object]:
    return {info.name: info for info in discover(group)}


def test_good_connector_is_discovered(make_dist: MakeDist) -> None:
    make_dist(
        "ohtest-good",
        {"goodone": "{p}_good:GoodConnector"},
        {"good": GOOD.format(name="goodone")},
    )
    infos = {info.name: info for info in discover()}
    info = infos["goodone"]
    assert info.error is None
    assert info.ok
    assert info.cls is not None and issubclass(info.cls, Connector)
    assert info.cls.__name__ == "GoodConnector"
    assert info.version == "2.0.0"
    assert info.capabilities == frozenset({Capability.FETCH_ORDERS, Capability.PUSH_TRACKING})
    assert info.distribution == "ohtest-good"
    assert info.entry_point.endswith("_good:GoodConnector")
    assert load_connector("goodone") is info.cls


def test_results_are_sorted_by_name(make_dist: MakeDist) -> None:
    group = "orderhub.connectors.sorting-test"
    make_dist(
        "ohtest-sorted",
        {"zeta": "{p}_z:GoodConnector", "alpha": "{p}_a:GoodConnector"},
        {"z": GOOD.format(name="zeta"), "a": GOOD.format(name="alpha")},
        group=group,
    )
    assert [info.name for info in discover(group)] == ["alpha", "zeta"]
    assert known_connectors(group) == ["alpha", "zeta"]


@pytest.mark.parametrize(
    ("target", "modules", "expected"),
    [
        ("{p}_boom:GoodConnector", {"boom": RAISES}, "RuntimeError: the connector's import"),
        ("{p}_absent:GoodConnector", {}, "ModuleNotFoundError"),
        ("{p}_plain:Missing", {"plain": NOT_A_CONNECTOR}, "AttributeError"),
        ("{p}_plain:Plain", {"plain": NOT_A_CONNECTOR}, "not a subclass of orderhub.sdk.Connector"),
        ("{p}_plain:function", {"plain": NOT_A_CONNECTOR}, "not a subclass"),
    ],
    ids=["import-raises", "module-missing", "attribute-missing", "not-connector", "function"],
)
def test_broken_entry_point_is_reported_not_raised(
    make_dist: MakeDist, target: str, modules: dict[str, str], expected: str
) -> None:
    make_dist(
        "ohtest-mixed",
        {"broken": target, "fine": "{p}_good:GoodConnector"},
        {**modules, "good": GOOD.format(name="fine")},
    )
    with capture_logs() as logs:
        infos = {info.name: info for info in discover()}

    broken = infos["broken"]
    assert broken.cls is None
    assert not broken.ok
    assert broken.error is not None and expected in broken.error
    assert broken.distribution == "ohtest-mixed"
    assert broken.version == "1.2.3"  # the distribution's version when the class is unknown
    assert broken.capabilities == frozenset()
    # The broken one does not take its neighbours down.
    assert infos["fine"].ok

    warnings = [entry for entry in logs if entry["event"] == "connector.load_failed"]
    assert len(warnings) == 1
    assert warnings[0]["log_level"] == "warning"
    assert warnings[0]["connector"] == "broken"
    assert expected in warnings[0]["error"]

    with pytest.raises(ConnectorLoadError) as excinfo:
        load_connector("broken")
    assert not isinstance(excinfo.value, UnknownConnectorError)
    assert expected in excinfo.value.reason
    assert "ohtest-mixed" in excinfo.value.fix
    # Loading the good one imports only that one: the broken module is irrelevant.
    assert load_connector("fine").name == "fine"


def test_name_mismatch_is_an_error(make_dist: MakeDist) -> None:
    make_dist(
        "ohtest-mismatch",
        {"woo": "{p}_good:GoodConnector"},
        {"good": GOOD.format(name="woocommerce")},
    )
    info = {info.name: info for info in discover()}["woo"]
    assert info.cls is None
    assert info.error is not None
    assert "name mismatch" in info.error
    assert '"woo"' in info.error and '"woocommerce"' in info.error
    with pytest.raises(ConnectorLoadError, match="name mismatch"):
        load_connector("woo")


def test_duplicate_name_keeps_the_first_and_reports_the_second(
    make_dist: MakeDist, tmp_path: Path
) -> None:
    group = "orderhub.connectors.duplicate-test"
    make_dist(
        "ohtest-first",
        {"twin": "{p}_a:GoodConnector"},
        {"a": GOOD.format(name="twin")},
        group=group,
    )
    make_dist(
        "ohtest-second",
        {"twin": "{p}_b:GoodConnector"},
        {"b": GOOD.format(name="twin")},
        group=group,
    )
    with capture_logs() as logs:
        infos = discover(group)
    assert [info.name for info in infos] == ["twin", "twin"]
    loaded = [info for info in infos if info.ok]
    failed = [info for info in infos if not info.ok]
    assert len(loaded) == 1 and len(failed) == 1
    assert failed[0].error is not None and "duplicate connector name" in failed[0].error
    assert loaded[0].distribution is not None
    assert loaded[0].distribution in failed[0].error
    assert [e["event"] for e in logs] == ["connector.load_failed"]


def test_unknown_connector_names_the_known_ones_and_how_to_install(make_dist: MakeDist) -> None:
    group = "orderhub.connectors.unknown-test"
    make_dist(
        "ohtest-known",
        {"woocommerce": "{p}_w:GoodConnector", "amazon": "{p}_a:GoodConnector"},
        {"w": GOOD.format(name="woocommerce"), "a": GOOD.format(name="amazon")},
        group=group,
    )
    with pytest.raises(UnknownConnectorError) as excinfo:
        load_connector("wooommerce", group=group)
    error = excinfo.value
    assert isinstance(error, ValueError)
    assert error.known == ["amazon", "woocommerce"]
    text = str(error)
    assert "amazon, woocommerce" in text
    assert 'Did you mean "woocommerce"?' in text
    assert "pip install" in text
    assert group in text
    assert "orderhub connectors list" in error.fix


def test_unknown_connector_in_an_empty_group() -> None:
    with pytest.raises(UnknownConnectorError) as excinfo:
        load_connector("anything", group="orderhub.connectors.nothing-registered-here")
    assert excinfo.value.known == []
    assert "none installed" in str(excinfo.value)
    assert discover("orderhub.connectors.nothing-registered-here") == []


def test_a_loaded_connector_is_kept_and_a_new_plugin_folder_is_looked_at(
    make_dist: MakeDist, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The worker asks for every account's class at each health check: once loaded, a
    class is not looked up in the installed packages again, unless sys.path changed."""
    import orderhub.registry as registry

    reads: list[str] = []
    real = registry._entry_points

    def counting(group: str) -> list[Any]:
        reads.append(group)
        return real(group)

    monkeypatch.setattr(registry, "_entry_points", counting)
    first = load_connector("woocommerce")
    assert load_connector("woocommerce") is first
    assert len(reads) == 1
    # A failure is not kept: the next ask reads the entry points again.
    for _ in range(2):
        with pytest.raises(UnknownConnectorError):
            load_connector("nosuchthing")
    assert len(reads) == 1 + 2 * 2  # the lookup, and the known names for the message
    # Another sys.path (a plugin folder added) looks again.
    monkeypatch.syspath_prepend(str(tmp_path / "plugins"))
    assert load_connector("woocommerce") is first
    assert len(reads) == 1 + 2 * 2 + 1
    # A connector installed after a failed ask is found.
    prefix = make_dist(
        "ohtest-late", {"lateone": "{p}_late:GoodConnector"}, {"late": GOOD.format(name="lateone")}
    )
    assert load_connector("lateone").__module__ == f"{prefix}_late"
