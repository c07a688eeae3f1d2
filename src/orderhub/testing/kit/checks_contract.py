"""The contract and connection groups: what a connector declares matches what it
implements, its secrets stay hidden, it is registered under its name, its README is
finished, and ``check()`` answers as promised."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from orderhub.sdk.connector import Capability
from orderhub.sdk.errors import (
    AuthError,
    ConnectorError,
)
from orderhub.sdk.secrets import looks_secret
from orderhub.testing.kit.base import (
    _NAME,
    _TODO,
    MIN_FAKE_SECRET,
    ConformanceBase,
    _fail,
    _overrides,
)
from orderhub.testing.kit.harness import Harness
from orderhub.testing.sim import Fault

__all__ = ["ContractChecks"]


class ContractChecks(ConformanceBase):
    __test__ = False

    # -- contract ----------------------------------------------------------------------------

    def test_contract_capabilities_match_the_methods_overridden(self) -> None:
        """Each declared capability has its methods, and each method its capability."""
        cls = self.connector_class
        caps = cls.capabilities
        problems = []
        if not _NAME.match(cls.name or ""):
            problems.append(f"name {cls.name!r} must be a lowercase identifier (the entry point)")
        if not _overrides(cls, "check"):
            problems.append("check() is not implemented (one cheap authenticated call)")
        fetches = _overrides(cls, "fetch_orders") and _overrides(cls, "to_order")
        if (Capability.FETCH_ORDERS in caps) != fetches:
            problems.append(
                "FETCH_ORDERS is declared but fetch_orders/to_order are not both implemented"
                if not fetches
                else "fetch_orders and to_order are implemented but FETCH_ORDERS is not declared"
            )
        pushes = _overrides(cls, "push_tracking")
        if (Capability.PUSH_TRACKING in caps) != pushes:
            problems.append(
                "PUSH_TRACKING is declared but push_tracking is not implemented"
                if not pushes
                else "push_tracking is implemented but PUSH_TRACKING is not declared"
            )
        lists = _overrides(cls, "fetch_products")
        if (Capability.CATALOG in caps) != lists:
            problems.append(
                "CATALOG is declared but fetch_products() is not implemented"
                if not lists
                else "fetch_products() is implemented but CATALOG is not declared"
            )
        if Capability.PARTIAL_SHIPMENTS in caps and Capability.PUSH_TRACKING not in caps:
            problems.append("PARTIAL_SHIPMENTS needs PUSH_TRACKING")
        if Capability.CANCELLATIONS in caps and Capability.FETCH_ORDERS not in caps:
            problems.append("CANCELLATIONS needs FETCH_ORDERS")
        assert not problems, f"{cls.__name__}: " + "; ".join(problems)

    def test_contract_requests_have_a_bounded_deadline_and_size(self) -> None:
        """``request_deadline`` and ``max_response_bytes`` are finite and sensible, so no
        channel can hold a run forever or fill the worker's memory."""
        cls = self.connector_class
        problems = []
        if not 1 <= cls.request_deadline <= 600:
            problems.append(
                f"request_deadline = {cls.request_deadline!r} s: declare 1 to 600 seconds "
                "(one whole request, connect to last byte)"
            )
        if not 64 * 1024 <= cls.max_response_bytes <= 256 * 1024 * 1024:
            problems.append(
                f"max_response_bytes = {cls.max_response_bytes!r}: declare 64 KiB to 256 MiB"
            )
        if cls.timeout > cls.request_deadline:
            problems.append("timeout (one socket operation) is longer than request_deadline")
        assert not problems, "; ".join(problems)

    def test_contract_secrets_are_secret_typed_and_hidden_from_repr(
        self, conformance: Harness
    ) -> None:
        """Credentials are ``SecretStr`` settings, and no ``repr``/``str`` shows them."""
        settings = conformance.settings
        model = type(settings)
        problems = []
        for name in model.model_fields:
            value = getattr(settings, name)
            if isinstance(value, str) and looks_secret(name):
                problems.append(
                    f"setting {name!r} looks like a credential but is a plain str: declare it "
                    "as pydantic.SecretStr (configured as "
                    f'{name}_env = "VAR"; repr() then hides it)'
                )
        secrets = conformance.secrets
        for name, value in secrets.items():
            if len(value) < MIN_FAKE_SECRET:
                problems.append(
                    f"the fake value of secret setting {name!r} is too short to be found in "
                    f"text: use a distinctive fake of at least {MIN_FAKE_SECRET} characters"
                )
        connector = conformance.connector()
        shown = {
            "repr(settings)": repr(settings),
            "str(settings)": str(settings),
            "settings.model_dump_json()": settings.model_dump_json(),
            "repr(connector)": repr(connector),
            "str(connector)": str(connector),
        }
        for name, value in secrets.items():
            for where, text in shown.items():
                if value in text:
                    problems.append(f"{where} shows secret setting {name!r}")
        assert not problems, "; ".join(problems)

    def test_contract_entry_point_name_matches(self) -> None:
        """The class is registered in ``orderhub.connectors`` under its ``name``."""
        from importlib.metadata import entry_points

        cls = self.connector_class
        registered = list(entry_points(group="orderhub.connectors"))
        for ep in registered:
            if ep.name != cls.name:
                continue
            loaded = ep.load()
            assert loaded is cls, (
                f'the entry point "{ep.name}" = "{ep.value}" loads {loaded!r}, not '
                f"{cls.__module__}.{cls.__qualname__}: two connectors claim the name {cls.name!r}"
            )
            return
        package = cls.__module__.split(".")
        for ep in registered:
            module = ep.value.split(":", 1)[0]
            if package[: len(module.split("."))] != module.split("."):
                continue
            loaded = _load_quietly(ep)
            assert loaded is not cls, (
                f'{cls.__qualname__} is registered as "{ep.name}" but its name is '
                f'"{cls.name}": the entry-point name must equal the class\'s name'
            )
        pytest.skip(
            f"{cls.__qualname__} is not registered yet: add "
            f'`{cls.name} = "{cls.__module__.rsplit(".", 1)[0]}:{cls.__qualname__}"` under '
            '[project.entry-points."orderhub.connectors"] in pyproject.toml and run '
            "`pip install -e .`"
        )

    def test_contract_readme_has_no_todo_left(self) -> None:
        """The connector's README (``readme``, default ``README.md`` next to its package)
        holds no to-do marker: sellers and ops read it to configure the account."""
        path = self.readme or Path(inspect.getfile(self.connector_class)).parent / "README.md"
        if not path.is_file():
            pytest.skip(f"no README at {path} (the repository checks that every connector has one)")
        left = [
            f"line {number}: {line.strip()[:80]}"
            for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
            if _TODO.search(line)
        ]
        assert not left, (
            f"{path.name} still has {len(left)} to-do marker(s); replace them with the "
            "channel's real facts:\n" + "\n".join(left[:10])
        )

    # -- connection --------------------------------------------------------------------------

    def test_connection_check_passes(self, conformance: Harness) -> None:
        """``check()`` succeeds against the simulator with the test's credentials."""
        connector = conformance.connector()
        try:
            connector.check()
        except ConnectorError as exc:
            _fail(f"check() failed against the simulator: {exc.kind.value}: {exc}")
        assert conformance.api.requests, "check() sent no request: it must make one API call"

    def test_connection_401_raises_auth_error_without_retry(self, conformance: Harness) -> None:
        """A channel answering 401 makes ``check()`` raise ``AuthError`` at once."""
        conformance.api.faults.add(Fault.status(401), times=None)
        connector = conformance.connector()
        with pytest.raises(AuthError):
            connector.check()
        sent = [
            (r.method, r.path, sorted(r.query.items()), r.body) for r in conformance.api.requests
        ]
        repeated = [item for index, item in enumerate(sent) if item in sent[:index]]
        assert not repeated, (
            f"after a 401 the same request was sent again ({repeated[0][0]} {repeated[0][1]}): "
            "bad credentials never get better by retrying; let AuthError through"
        )


def _load_quietly(ep: Any) -> Any:
    """The object an entry point names, or None when it fails to load (another connector's
    import problem is not this connector's test failure)."""
    try:
        return ep.load()
    except Exception:
        return None
