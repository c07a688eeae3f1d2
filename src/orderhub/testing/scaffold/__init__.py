"""``orderhub connectors new NAME``: a new connector package that passes the conformance kit
out of the box.

It writes ``<directory>/<NAME>/`` from the templates in ``template/``: the connector (one
module, the mapping included, built from the SDK's blocks: token auth, paging, parsers,
carrier codes) and its settings, a README, and ``tests/``: the recorded answers of an
example API (``tests/recorded/<scenario>/``, one folder per scenario), fixture JSON files
with their golden files, and ``test_conformance.py``, one short file holding the Tier 1
class (the kit's fake API serves the recordings) and the Tier 2 class (the kit's stateful
fake, declared in a few lines). No simulator is written. Inside a checkout of orderhub it
also registers the entry point in ``pyproject.toml``.

The generated package imports only :mod:`orderhub.sdk` (its tests also use
:mod:`orderhub.testing`).
"""

from __future__ import annotations

import keyword
import re
import secrets
import sys
import tomllib
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from importlib.resources import files
from pathlib import Path
from string import Template

__all__ = [
    "ScaffoldError",
    "ScaffoldResult",
    "create_connector",
    "default_directory",
    "is_orderhub_pyproject",
    "validate_name",
]

ENTRY_POINT_SECTION = '[project.entry-points."orderhub.connectors"]'
FIRST_PARTY_PACKAGE = "orderhub_connectors"

#: Target path (below the new package) -> template file name (in ``template/``).
FILES: dict[str, str] = {
    "__init__.py": "package_init.py.tmpl",
    "connector.py": "connector.py.tmpl",
    "README.md": "README.md.tmpl",
    "tests/test_conformance.py": "test_conformance.py.tmpl",
    "tests/recorded/pages/01.json": "recorded_pages_01.json.tmpl",
    "tests/recorded/pages/02.json": "recorded_pages_02.json.tmpl",
    "tests/recorded/empty/01.json": "recorded_empty_01.json.tmpl",
    "tests/fixtures/order_paid.json": "fixture_order_paid.json.tmpl",
    "tests/fixtures/order_cancelled_one_line.json": "fixture_order_cancelled_one_line.json.tmpl",
    "tests/fixtures/order_shipped_jpy.json": "fixture_order_shipped_jpy.json.tmpl",
    "tests/fixtures/malformed_total_not_a_number.json": "fixture_malformed_total.json.tmpl",
    "tests/fixtures/malformed_missing_updated_at.json": "fixture_malformed_updated_at.json.tmpl",
    "tests/golden/order_paid.json": "golden_order_paid.json.tmpl",
    "tests/golden/order_cancelled_one_line.json": "golden_order_cancelled_one_line.json.tmpl",
    "tests/golden/order_shipped_jpy.json": "golden_order_shipped_jpy.json.tmpl",
}

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Names that would shadow something every connector needs, or read as something else.
_RESERVED = frozenset({"orderhub", FIRST_PARTY_PACKAGE, "tests", "test", "connectors", "sdk"})
# Channel names are short words; the limit keeps every generated line within the line length
# (the store's channel column would take 32).
_MAX_NAME = 24


class ScaffoldError(ValueError):
    """A connector cannot be created: ``message`` says why, ``fix`` what to do."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass
class ScaffoldResult:
    """What :func:`create_connector` wrote."""

    name: str
    package_dir: Path
    package: str
    class_name: str
    entry_point: str
    files: list[Path] = field(default_factory=list)
    pyproject: Path | None = None
    pyproject_updated: bool = False


def class_prefix(name: str) -> str:
    """``"my_shop"`` -> ``"MyShop"``."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def is_orderhub_pyproject(path: Path) -> bool:
    """True when ``path`` is orderhub's own ``pyproject.toml`` (a checkout of orderhub)."""
    if not path.is_file():
        return False
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
        return False
    project = data.get("project")
    return isinstance(project, dict) and project.get("name") == "orderhub"


def default_directory(cwd: Path) -> Path | None:
    """``./connectors`` when ``cwd`` is a checkout of orderhub, else None."""
    candidate = cwd / "connectors"
    if candidate.is_dir() and is_orderhub_pyproject(cwd / "pyproject.toml"):
        return candidate
    return None


def _registered_names() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group="orderhub.connectors")}


def validate_name(name: str, directory: Path) -> None:
    """Raise :class:`ScaffoldError` unless ``name`` can be a new connector in ``directory``:
    a lowercase Python identifier, not a keyword, not a standard-library module, not taken
    by a folder there or by an installed connector."""
    if not _NAME.match(name):
        suggestion = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "mychannel"
        raise ScaffoldError(
            f"{name!r} is not a valid connector name: it must start with a lowercase letter "
            "and hold only lowercase letters, digits and underscores",
            f"use a name like {suggestion!r}",
        )
    if len(name) > _MAX_NAME:
        raise ScaffoldError(
            f"{name!r} is {len(name)} characters long; connector names have at most {_MAX_NAME}",
            "use a shorter name",
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ScaffoldError(
            f"{name!r} is a Python keyword and cannot name a package",
            f"use a name like {name + '_channel'!r}",
        )
    if name in _RESERVED or name in sys.stdlib_module_names:
        raise ScaffoldError(
            f"{name!r} is already the name of a Python or orderhub module",
            f"use a more specific name, such as {name + '_shop'!r}",
        )
    target = directory / name
    if target.exists():
        raise ScaffoldError(
            f"{target} already exists; refusing to overwrite it",
            "choose another name, or move the existing folder away first",
        )
    registered = _registered_names()
    if name in registered:
        raise ScaffoldError(
            f'a connector named "{name}" is already installed ({registered[name]})',
            "choose another name (`orderhub connectors list` shows the installed ones)",
        )


def _render(template_name: str, values: dict[str, str]) -> str:
    text = (files("orderhub.testing.scaffold.template") / template_name).read_text(encoding="utf-8")
    return Template(text).substitute(values)


def add_entry_point(pyproject: Path, line: str, name: str) -> bool:
    """Add ``line`` to the ``orderhub.connectors`` entry points of ``pyproject`` (creating
    the section at the end when missing). Returns False when ``name`` is there already."""
    text = pyproject.read_text(encoding="utf-8")
    lines = text.splitlines()
    try:
        start = next(i for i, item in enumerate(lines) if item.strip() == ENTRY_POINT_SECTION)
    except StopIteration:
        addition = f"\n{ENTRY_POINT_SECTION}\n{line}\n"
        pyproject.write_text(text.rstrip("\n") + "\n" + addition, encoding="utf-8")
        return True
    end = start + 1
    while end < len(lines) and not lines[end].lstrip().startswith("["):
        if re.match(rf"^\s*{re.escape(name)}\s*=", lines[end]):
            return False
        end += 1
    # Insert after the section's last entry, before the blank lines that end it.
    insert_at = end
    while insert_at > start + 1 and not lines[insert_at - 1].strip():
        insert_at -= 1
    lines.insert(insert_at, line)
    pyproject.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return True


def create_connector(name: str, directory: Path) -> ScaffoldResult:
    """Write a new connector package ``directory/name`` and return what was written.

    In a checkout of orderhub (``directory`` is the checkout's ``connectors/``) the package
    is ``orderhub_connectors.<name>`` and the entry point is added to ``pyproject.toml``;
    elsewhere the package is ``<name>`` (a folder on the import path) and nothing else is
    touched. Raises :class:`ScaffoldError` for a bad name or an existing folder.
    """
    directory = directory.resolve()
    validate_name(name, directory)
    pyproject = directory.parent / "pyproject.toml"
    in_checkout = directory.name == "connectors" and is_orderhub_pyproject(pyproject)
    package = f"{FIRST_PARTY_PACKAGE}.{name}" if in_checkout else name
    prefix = class_prefix(name)
    values = {
        "name": name,
        "Class": prefix,
        "title": prefix,
        "package": package,
        "api_token": f"{name[:8]}_fake_{secrets.token_hex(10)}",
    }
    result = ScaffoldResult(
        name=name,
        package_dir=directory / name,
        package=package,
        class_name=f"{prefix}Connector",
        entry_point=f'{name} = "{package}:{prefix}Connector"',
    )
    # Render everything first: a template error must not leave half a package behind.
    rendered = {target: _render(template, values) for target, template in FILES.items()}
    for target, text in rendered.items():
        path = result.package_dir / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        result.files.append(path)
    if in_checkout:
        result.pyproject = pyproject
        result.pyproject_updated = add_entry_point(pyproject, result.entry_point, name)
    return result
