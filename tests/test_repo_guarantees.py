"""Guarantees over the whole repository, checked on every run.

- Every connector registered in the ``orderhub.connectors`` entry-point group that lives in
  this repository ships ``connectors/<name>/README.md``, a conformance test class
  (``tests/test_conformance.py`` with a subclass of ``ConnectorConformance``, or of the
  simulator-free ``RecordedConformance`` / ``StatefulConformance``) and at least one
  fixture JSON file.
- Connectors import nothing from orderhub but ``orderhub.sdk`` (their simulator and tests
  may also use ``orderhub.testing``).
- The core (``src/orderhub`` outside ``testing/``) never imports a concrete connector.
- The first-party simulators (``src/orderhub/sims/``) import from orderhub only the SDK, the
  simulator framework ``orderhub.testing.sim`` and each other, never a connector; the core
  uses them only in ``orderhub demo``, and the test kit not at all.
- Only ``src/orderhub/worker/`` imports APScheduler.

Imports are read with ``ast``, so a mention in a docstring or comment does not count, and an
import inside a function or under ``TYPE_CHECKING`` does.
"""

from __future__ import annotations

import ast
from importlib.metadata import entry_points
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONNECTORS = REPO / "connectors"
SRC = REPO / "src" / "orderhub"
FIRST_PARTY = "orderhub_connectors"


def registered_here() -> dict[str, Path]:
    """Registered connectors whose code is in this repository: name -> its folder."""
    found: dict[str, Path] = {}
    for ep in entry_points(group="orderhub.connectors"):
        module = ep.value.split(":", 1)[0].split(".")
        if module[0] == FIRST_PARTY and len(module) > 1:
            found[ep.name] = CONNECTORS / module[1]
    return found


REGISTERED = registered_here()


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``; relative imports (inside
    the file's own package) are left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "orderhub":
                # ``from orderhub import sdk`` imports the module orderhub.sdk.
                found.extend((node.lineno, f"orderhub.{alias.name}") for alias in node.names)
            else:
                found.append((node.lineno, node.module))
    return found


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def conformance_classes(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = [
                base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
                for base in node.bases
            ]
            if {"ConnectorConformance", "RecordedConformance", "StatefulConformance"} & set(bases):
                names.append(node.name)
    return names


def test_the_repository_registers_its_connectors() -> None:
    assert "woocommerce" in REGISTERED, "the entry points are missing: run `pip install -e .`"


@pytest.mark.parametrize("name", sorted(REGISTERED))
def test_every_registered_connector_ships_a_readme(name: str) -> None:
    readme = REGISTERED[name] / "README.md"
    assert readme.is_file(), (
        f'connector "{name}" is registered but has no {readme.relative_to(REPO)}: document its '
        "settings, credentials, rate limits and quirks there"
    )


@pytest.mark.parametrize("name", sorted(REGISTERED))
def test_every_registered_connector_ships_a_conformance_class(name: str) -> None:
    test_file = REGISTERED[name] / "tests" / "test_conformance.py"
    assert test_file.is_file(), (
        f'connector "{name}" is registered but has no {test_file.relative_to(REPO)}: subclass '
        "orderhub.testing.kit.ConnectorConformance there (CONTRIBUTING.md, 'Writing a connector')"
    )
    assert conformance_classes(test_file), (
        f"{test_file.relative_to(REPO)} declares no subclass of ConnectorConformance"
    )


@pytest.mark.parametrize("name", sorted(REGISTERED))
def test_every_registered_connector_ships_fixtures(name: str) -> None:
    fixtures = REGISTERED[name] / "tests" / "fixtures"
    assert sorted(fixtures.glob("*.json")), (
        f'connector "{name}" is registered but has no fixture JSON in '
        f"{fixtures.relative_to(REPO)}: add scrubbed real answers or the channel's documented "
        "examples, one raw order per file"
    )


def connector_sources() -> list[Path]:
    return [p for p in python_files(CONNECTORS) if p.parent != CONNECTORS]


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def _allowed_orderhub_imports(relative: Path) -> tuple[str, ...]:
    if "tests" in relative.parts:
        return ("orderhub",)  # tests may drive the whole application: store, runner, CLI
    if relative.name == "simulator.py":
        return ("orderhub.sdk", "orderhub.testing")
    return ("orderhub.sdk",)


@pytest.mark.parametrize("path", connector_sources(), ids=lambda p: str(p.relative_to(CONNECTORS)))
def test_connectors_import_only_the_sdk_from_orderhub(path: Path) -> None:
    relative = path.relative_to(CONNECTORS)
    allowed = _allowed_orderhub_imports(relative)
    for line, module in imports_of(path):
        if _within(module, ("orderhub",)):
            assert _within(module, allowed), (
                f"{relative}:{line} imports {module}; a connector may import only orderhub.sdk"
            )
        if module.startswith(FIRST_PARTY + "."):
            assert module.split(".")[1] == relative.parts[0], (
                f"{relative}:{line} imports another connector ({module})"
            )
        assert not _within(module, ("apscheduler",)), f"{relative}:{line} imports {module}"


def core_sources() -> list[Path]:
    return [p for p in python_files(SRC) if "testing" not in p.relative_to(SRC).parts]


def test_the_core_never_imports_a_connector() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{line} imports {module}"
        for path in core_sources()
        for line, module in imports_of(path)
        if module == FIRST_PARTY or module.startswith(FIRST_PARTY + ".")
    ]
    assert not offenders, "the core must reach connectors through the registry only:\n" + (
        "\n".join(offenders)
    )


SIMS = SRC / "sims"
SIM_IMPORTS = ("orderhub.sdk", "orderhub.testing.sim", "orderhub.sims")
#: The only core modules that may use the first-party simulators.
SIM_USERS = ("demo.py",)


def test_the_simulators_import_no_connector_and_only_their_framework() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{line} imports {module}"
        for path in python_files(SIMS)
        for line, module in imports_of(path)
        if _within(module, (FIRST_PARTY,))
        or (_within(module, ("orderhub",)) and not _within(module, SIM_IMPORTS))
    ]
    assert not offenders, (
        "a simulator may import only orderhub.sdk, orderhub.testing.sim and orderhub.sims:\n"
        + "\n".join(offenders)
    )


def test_only_the_demo_uses_the_simulators() -> None:
    # The conformance kit must stand without the first-party simulators, and the core
    # reaches them only for `orderhub demo`.
    offenders = [
        f"{path.relative_to(REPO)}:{line} imports {module}"
        for path in python_files(SRC)
        if SIMS not in path.parents and str(path.relative_to(SRC)) not in SIM_USERS
        for line, module in imports_of(path)
        if _within(module, ("orderhub.sims",))
    ]
    assert not offenders, "only src/orderhub/demo.py may import orderhub.sims:\n" + (
        "\n".join(offenders)
    )


def test_only_the_worker_imports_apscheduler() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{line} imports {module}"
        for path in python_files(SRC)
        if "worker" not in path.relative_to(SRC).parts[:1]
        for line, module in imports_of(path)
        if module == "apscheduler" or module.startswith("apscheduler.")
    ]
    assert not offenders, "only src/orderhub/worker/ may import APScheduler:\n" + (
        "\n".join(offenders)
    )


def test_the_checks_see_the_imports_they_look_for() -> None:
    # The rules above pass trivially if imports_of stops seeing imports: prove it sees one
    # of each kind in files known to have them.
    scheduler = {m for _, m in imports_of(SRC / "worker" / "scheduler.py")}
    assert any(m.startswith("apscheduler") for m in scheduler)
    woo = {m for _, m in imports_of(CONNECTORS / "woocommerce" / "connector.py")}
    assert "orderhub.sdk" in woo
    demo = {m for _, m in imports_of(SRC / "demo.py")}
    assert "orderhub.sims.woocommerce" in demo
    amazon = {m for _, m in imports_of(SIMS / "amazon" / "api.py")}
    assert "orderhub.testing.sim" in amazon


def test_every_source_folder_is_a_package_so_the_wheel_ships_it() -> None:
    # setuptools only packs folders with an __init__.py: a folder of modules without one
    # (as the migrations once were) works from a checkout and is missing after pip install.
    roots = [SRC, CONNECTORS]
    missing = sorted(
        str(folder.relative_to(REPO))
        for root in roots
        for folder in {path.parent for path in root.rglob("*.py")}
        if "tests" not in folder.relative_to(root).parts
        and "template" not in folder.relative_to(root).parts
        and "__pycache__" not in folder.parts
        and not (folder / "__init__.py").is_file()
    )
    assert not missing, "folders the wheel would leave out (add an __init__.py):\n" + "\n".join(
        missing
    )


def _declared_package_data() -> dict[str, list[str]]:
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    declared: dict[str, list[str]] = config["tool"]["setuptools"]["package-data"]
    return declared


def _matches(relative: Path, pattern: str) -> bool:
    # setuptools globs: "*" stays within one folder, so compare part by part.
    from fnmatch import fnmatchcase

    wanted = Path(pattern).parts
    return len(wanted) == len(relative.parts) and all(
        fnmatchcase(part, glob) for part, glob in zip(relative.parts, wanted, strict=True)
    )


def test_every_data_file_beside_the_code_is_declared_package_data() -> None:
    # A data file the package reads at run time (the Amazon simulator's sandbox examples,
    # the Shopify simulator's schema) works from a checkout and is missing after
    # `pip install .` unless pyproject.toml declares it as package data.
    declared = _declared_package_data()
    undeclared = []
    for path in sorted(SRC.rglob("*")):
        if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
            continue
        owners = [folder for folder in path.parents if (folder / "__init__.py").is_file()]
        if not any(
            _matches(path.relative_to(owner), pattern)
            for owner in owners
            if owner == SRC or SRC in owner.parents
            for pattern in [
                *declared.get("*", []),
                *declared.get(".".join(owner.relative_to(SRC.parent).parts), []),
            ]
        ):
            undeclared.append(str(path.relative_to(REPO)))
    assert not undeclared, (
        "files the wheel would leave out (add their pattern to [tool.setuptools.package-data] "
        "in pyproject.toml):\n" + "\n".join(undeclared)
    )
