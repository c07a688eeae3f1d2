"""``orderhub connectors new NAME``: the generated connector passes the conformance suite
as generated, is lint-clean, imports only the SDK, and gets registered in a checkout; bad
names and existing folders are refused with a clear message and nothing written."""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from orderhub.cli import app
from orderhub.logs import reset_logging
from orderhub.testing.scaffold import FILES, add_entry_point

REPO = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    yield
    reset_logging()


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["connectors", "new", *args])


def flat(result: Result) -> str:
    return " ".join(result.output.split())


def assert_refused(result: Result, *words: str) -> None:
    text = flat(result)
    assert result.exit_code == 2, text
    assert "Traceback" not in result.output
    assert "Error:" in text and "Fix:" in text, text
    for word in words:
        assert word in text, text


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory laid out like a checkout of orderhub: its pyproject.toml and an empty
    ``connectors/`` package. The command is run from there."""
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "connectors").mkdir()
    shutil.copy(REPO / "connectors" / "__init__.py", tmp_path / "connectors" / "__init__.py")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "orderhub":
            found.update(f"orderhub.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


@pytest.mark.slow
def test_a_new_connector_in_a_checkout_passes_the_conformance_suite_as_generated(
    checkout: Path,
) -> None:
    result = run("etsy")
    assert result.exit_code == 0, result.output
    package = checkout / "connectors" / "etsy"
    assert sorted(str(p.relative_to(package)) for p in package.rglob("*") if p.is_file()) == (
        sorted(FILES)
    )
    text = flat(result)
    assert "orderhub_connectors.etsy" in text
    assert "pip install -e ." in text and "python -m pytest connectors/etsy" in text

    # The checkout's package is orderhub_connectors.etsy; in this copy, make that name
    # resolve to the copy's connectors/ folder (ahead of the installed checkout's).
    importable = checkout / "importable"
    importable.mkdir()
    (importable / "orderhub_connectors").symlink_to(checkout / "connectors")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(importable)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "connectors/etsy", "-p", "no:cacheprovider", "-q"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert " passed" in completed.stdout and "failed" not in completed.stdout


def test_in_a_checkout_the_entry_point_is_registered_in_pyproject(checkout: Path) -> None:
    before = (checkout / "pyproject.toml").read_text(encoding="utf-8")
    assert run("etsy").exit_code == 0
    after = (checkout / "pyproject.toml").read_text(encoding="utf-8")
    line = 'etsy = "orderhub_connectors.etsy:EtsyConnector"'
    assert after.count(line) == 1
    section = after.split('[project.entry-points."orderhub.connectors"]', 1)[1].split("\n[", 1)[0]
    assert line in section, "the line goes into the connectors' entry-point section"
    assert after.replace(line + "\n", "", 1) == before, "nothing else in the file changes"


@pytest.mark.parametrize("name", ["etsy", "a_b_c_d_e_f_g_h_i_j_k_l", "x" * 24])
def test_the_generated_code_is_lint_clean(checkout: Path, name: str) -> None:
    if not RUFF.is_file():
        pytest.skip("ruff is not installed here: install orderhub with its dev extra ('.[dev]')")
    assert run(name).exit_code == 0
    target = f"connectors/{name}"
    check = subprocess.run(
        [str(RUFF), "check", target], cwd=checkout, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout
    formatted = subprocess.run(
        [str(RUFF), "format", "--check", target],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )
    assert formatted.returncode == 0, formatted.stdout


def test_the_generated_package_passes_mypy_strict(checkout: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed here: install orderhub with its dev extra ('.[dev]')")
    assert run("etsy").exit_code == 0
    (checkout / "mypy.ini").write_text(
        "[mypy]\nstrict = True\npython_version = 3.11\nplugins = pydantic.mypy\n"
        f"mypy_path = {REPO / 'src'}\nexplicit_package_bases = True\n",
        encoding="utf-8",
    )
    sources = sorted(str(p.relative_to(checkout)) for p in checkout.glob("connectors/etsy/*.py"))
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", *sources],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_generated_connector_imports_only_the_sdk(checkout: Path) -> None:
    assert run("etsy").exit_code == 0
    package = checkout / "connectors" / "etsy"
    for path in package.rglob("*.py"):
        orderhub = {m for m in imports_of(path) if m.split(".")[0] == "orderhub"}
        allowed = {"orderhub.sdk"}
        if "tests" in path.relative_to(package).parts:
            allowed |= {"orderhub.testing.kit"}
        assert orderhub <= allowed, f"{path.relative_to(package)} imports {orderhub - allowed}"


def test_outside_a_checkout_the_package_is_plain_and_nothing_else_is_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("etsy", "--directory", ".")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["etsy"]
    test_file = (tmp_path / "etsy" / "tests" / "test_conformance.py").read_text(encoding="utf-8")
    assert "from etsy import EtsyConnector\n" in test_file
    text = flat(result)
    assert 'etsy = "etsy:EtsyConnector"' in text and "PYTHONPATH=." in text


def test_without_a_checkout_and_without_directory_the_command_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert_refused(run("etsy"), "--directory")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("Etsy", ["not a valid connector name", "'etsy'"]),
        ("my-shop", ["not a valid connector name", "'my_shop'"]),
        ("2shop", ["not a valid connector name"]),
        ("class", ["Python keyword"]),
        ("match", ["Python keyword"]),
        ("json", ["already the name of a Python or orderhub module"]),
        ("tests", ["already the name of a Python or orderhub module"]),
        ("woocommerce", ['"woocommerce" is already installed']),
        ("a" * 25, ["at most 24"]),
    ],
)
def test_a_bad_name_is_refused_and_nothing_is_written(
    checkout: Path, name: str, words: list[str]
) -> None:
    before = (checkout / "pyproject.toml").read_text(encoding="utf-8")
    assert_refused(run(name), *words)
    assert sorted(p.name for p in (checkout / "connectors").iterdir()) == ["__init__.py"]
    assert (checkout / "pyproject.toml").read_text(encoding="utf-8") == before


def test_an_existing_folder_is_never_overwritten(checkout: Path) -> None:
    existing = checkout / "connectors" / "etsy"
    existing.mkdir()
    (existing / "mine.py").write_text("KEEP = 1\n", encoding="utf-8")
    assert_refused(run("etsy"), "already exists", "refusing to overwrite")
    assert [p.name for p in existing.iterdir()] == ["mine.py"]


def test_a_directory_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    assert_refused(run("etsy", "--directory", str(tmp_path / "missing")), "is not a directory")


def test_add_entry_point_appends_to_the_section_once(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        "[project]\nname = 'x'\n\n"
        '[project.entry-points."orderhub.connectors"]\n'
        'woo = "a:B"\n\n'
        "[tool.other]\nkey = 1\n",
        encoding="utf-8",
    )
    assert add_entry_point(pyproject, 'etsy = "c:D"', "etsy") is True
    assert add_entry_point(pyproject, 'etsy = "c:D"', "etsy") is False
    assert pyproject.read_text(encoding="utf-8") == (
        "[project]\nname = 'x'\n\n"
        '[project.entry-points."orderhub.connectors"]\n'
        'woo = "a:B"\n'
        'etsy = "c:D"\n\n'
        "[tool.other]\nkey = 1\n"
    )


def test_add_entry_point_creates_the_section_when_missing(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert add_entry_point(pyproject, 'etsy = "c:D"', "etsy") is True
    assert pyproject.read_text(encoding="utf-8").endswith(
        '\n[project.entry-points."orderhub.connectors"]\netsy = "c:D"\n'
    )


def test_the_generated_connector_is_small_and_writes_no_simulator() -> None:
    """The figures of the "Connector SDK v2" targets, measured as bench/connector_size.py
    measures them: at most 80 code lines of connector and 20 of test classes."""
    spec = importlib.util.spec_from_file_location("size", REPO / "bench" / "connector_size.py")
    assert spec is not None and spec.loader is not None
    size = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(size)
    figures = size.scaffold_lines()
    assert figures["generated_simulator"] == 0
    assert figures["connector_package"] <= 80, figures
    assert figures["test_class"] <= 20, figures
    assert not [name for name in FILES if "simulator" in name]
