"""Connector discovery through the ``orderhub.connectors`` entry-point group.

First-party and third-party connectors register the same way, in their package metadata::

    [project.entry-points."orderhub.connectors"]
    woocommerce = "orderhub_connectors.woocommerce:WooCommerceConnector"

The entry-point name must equal the class's ``name``. A connector that fails to load is
reported (a ``connector.load_failed`` warning and a line in ``orderhub connectors list``),
never a crash: one broken plug-in must not stop the accounts of the others.
"""

from __future__ import annotations

import difflib
import sys
import threading
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import structlog

from orderhub.sdk.connector import Capability, Connector

__all__ = [
    "CONNECTOR_GROUP",
    "ConnectorInfo",
    "ConnectorLoadError",
    "UnknownConnectorError",
    "discover",
    "load_connector",
]

CONNECTOR_GROUP = "orderhub.connectors"

log = structlog.get_logger("orderhub.registry")


@dataclass(frozen=True)
class ConnectorInfo:
    """One registered connector, loaded or not.

    ``cls`` is None and ``error`` says why when the entry point could not be loaded (import
    failure, missing attribute, not a Connector subclass, name mismatch, duplicate name).
    ``version`` is the class's ``version`` when loaded, else the distribution's version.
    """

    name: str
    cls: type[Connector[Any]] | None
    version: str | None
    capabilities: frozenset[Capability]
    distribution: str | None
    error: str | None
    entry_point: str = ""

    @property
    def ok(self) -> bool:
        """True when the connector loaded and can be used."""
        return self.cls is not None and self.error is None


class ConnectorLoadError(ValueError):
    """A connector is registered but cannot be used; ``reason`` says why, ``fix`` what to do."""

    def __init__(self, name: str, reason: str, fix: str, message: str | None = None) -> None:
        self.name = name
        self.reason = reason
        self.fix = fix
        super().__init__(message or f'connector "{name}" cannot be loaded: {reason}. {fix}')


class UnknownConnectorError(ConnectorLoadError):
    """No connector is registered under that name. ``known`` lists the registered names."""

    def __init__(self, name: str, known: list[str], group: str = CONNECTOR_GROUP) -> None:
        self.known = known
        close = difflib.get_close_matches(name, known, n=1)
        listed = ", ".join(known) if known else "none installed"
        hint = f'Did you mean "{close[0]}"? ' if close else ""
        fix = (
            f"{hint}Otherwise install the package that provides it (pip install <package>); "
            f'it must register an entry point named "{name}" in the "{group}" group. '
            "`orderhub connectors list` shows what is installed."
        )
        super().__init__(
            name,
            f"no connector is registered under this name (known connectors: {listed})",
            fix,
            f'unknown connector "{name}" (known connectors: {listed}). {fix}',
        )


def _entry_points(group: str) -> list[EntryPoint]:
    return sorted(entry_points(group=group), key=lambda ep: ep.name)


def _distribution(ep: EntryPoint) -> tuple[str | None, str | None]:
    dist = ep.dist
    if dist is None:
        return None, None
    try:
        return dist.name, dist.version
    except Exception:  # malformed METADATA must not break discovery
        return None, None


def _load(ep: EntryPoint) -> type[Connector[Any]]:
    """Load one entry point and check it is a usable Connector class. Raises ValueError
    (with a message fit for ``orderhub connectors list``) or whatever the import raised."""
    obj = ep.load()
    if not (isinstance(obj, type) and issubclass(obj, Connector)):
        raise ValueError(f"{ep.value} is not a subclass of orderhub.sdk.Connector")
    if obj.name != ep.name:
        raise ValueError(
            f'name mismatch: the entry point is "{ep.name}" but {obj.__qualname__}.name is '
            f'"{obj.name}" (they must be equal)'
        )
    return obj


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def discover(group: str = CONNECTOR_GROUP) -> list[ConnectorInfo]:
    """Load every connector registered in ``group``, sorted by name. Never raises.

    A connector that fails to load is returned with ``error`` set and logged as a
    ``connector.load_failed`` warning. When two distributions register the same name, the
    first found on ``sys.path`` wins and the other is reported as an error.
    """
    infos: list[ConnectorInfo] = []
    seen: dict[str, str | None] = {}
    for ep in _entry_points(group):
        dist_name, dist_version = _distribution(ep)
        if ep.name in seen:
            error = (
                f'duplicate connector name: "{ep.name}" is already provided by '
                f"{seen[ep.name] or 'another package'}; this one is ignored"
            )
            infos.append(_failed(ep, dist_name, dist_version, error))
            continue
        seen[ep.name] = dist_name
        try:
            cls = _load(ep)
        except Exception as exc:  # any import-time failure of a plug-in is reported, not raised
            infos.append(_failed(ep, dist_name, dist_version, _describe(exc)))
            continue
        infos.append(
            ConnectorInfo(
                name=ep.name,
                cls=cls,
                version=cls.version,
                capabilities=frozenset(cls.capabilities),
                distribution=dist_name,
                error=None,
                entry_point=ep.value,
            )
        )
    return infos


def _failed(
    ep: EntryPoint, dist_name: str | None, dist_version: str | None, error: str
) -> ConnectorInfo:
    log.warning(
        "connector.load_failed",
        connector=ep.name,
        entry_point=ep.value,
        distribution=dist_name,
        error=error,
    )
    return ConnectorInfo(
        name=ep.name,
        cls=None,
        version=dist_version,
        capabilities=frozenset(),
        distribution=dist_name,
        error=error,
        entry_point=ep.value,
    )


def known_connectors(group: str = CONNECTOR_GROUP) -> list[str]:
    """The names registered in ``group`` (without importing them), sorted."""
    return sorted({ep.name for ep in _entry_points(group)})


# Classes already loaded, by (group, name, sys.path). Reading the installed packages'
# entry points costs milliseconds, and the worker asks for every account's class at each
# health check: 200 accounts spent about half of each check there. A class, once
# imported, stays what it is for the process; a changed sys.path (a plugin folder added)
# looks again. Failures are not kept, so a fixed installation is seen at the next ask.
_loaded: dict[tuple[str, str, tuple[str, ...]], type[Connector[Any]]] = {}
_loaded_lock = threading.Lock()


def load_connector(name: str, *, group: str = CONNECTOR_GROUP) -> type[Connector[Any]]:
    """Return the connector class registered as ``name``; only that one is imported.

    Raises :class:`UnknownConnectorError` (a ValueError) when no such name is registered,
    naming the known connectors and how to install one, and :class:`ConnectorLoadError`
    when it is registered but fails to load.
    """
    key = (group, name, tuple(sys.path))
    with _loaded_lock:
        cls = _loaded.get(key)
    if cls is not None:
        return cls
    cls = _load_connector(name, group)
    with _loaded_lock:
        _loaded[key] = cls
    return cls


def _load_connector(name: str, group: str) -> type[Connector[Any]]:
    candidates = [ep for ep in _entry_points(group) if ep.name == name]
    if not candidates:
        raise UnknownConnectorError(name, known_connectors(group), group)
    ep = candidates[0]
    try:
        return _load(ep)
    except Exception as exc:
        dist_name, _ = _distribution(ep)
        raise ConnectorLoadError(
            name,
            _describe(exc),
            f"Reinstall or upgrade {dist_name or 'the package that provides it'} "
            "(`orderhub connectors list` shows every connector's state).",
        ) from exc
