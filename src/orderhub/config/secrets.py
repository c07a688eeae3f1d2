"""Secrets by reference: the file says ``<field>_env = "VAR"`` and the value is read from
the environment, so the file can be committed and shared.

:data:`EnvName` is a key naming a variable that is read later (the web console's password);
:data:`SecretFromEnv` resolves the variable while the file is read, from the ``env`` in the
validation context, into a :class:`SecretRef` whose value never shows in a ``repr`` or a
message. :func:`resolve_settings` does the same for a connector's settings table, whose
fields are only known once the connector is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args

from pydantic import BeforeValidator, PlainValidator, SecretStr, ValidationInfo

from orderhub.config.problems import Problems, invalid
from orderhub.sdk.connector import ConnectorSettings
from orderhub.sdk.secrets import looks_secret

__all__ = [
    "ENV_NAME_RE",
    "EnvName",
    "SecretFromEnv",
    "SecretRef",
    "looks_secret",
    "resolve_settings",
    "secret_fields",
]

ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _env_name(value: Any) -> str:
    if isinstance(value, str) and ENV_NAME_RE.fullmatch(value.strip()):
        return value.strip()
    # The fix comes from the field (its example names a fitting variable).
    raise invalid("must be the name of an environment variable.")


#: The name of an environment variable (``"ORDERHUB_WEB_PASSWORD"``).
EnvName = Annotated[str, BeforeValidator(_env_name)]


@dataclass(frozen=True)
class SecretRef:
    """A secret read from the environment: the variable's name and its value."""

    variable: str
    value: SecretStr = field(repr=False)

    def get(self) -> str:
        return self.value.get_secret_value()


def environment(info: ValidationInfo) -> Mapping[str, str]:
    """The environment the file is read against (the ``env`` of the validation context)."""
    context = info.context if isinstance(info.context, Mapping) else {}
    env = context.get("env")
    return env if isinstance(env, Mapping) else {}


def _secret(value: Any, info: ValidationInfo) -> SecretRef:
    variable = _env_name(value)
    resolved = environment(info).get(variable, "")
    if not resolved:
        state = "is empty" if variable in environment(info) else "is not set"
        raise invalid(
            f"the environment variable {variable} {state}.",
            f"export {variable}=... in the environment orderhub runs in (or fix the variable "
            "name).",
        )
    return SecretRef(variable, SecretStr(resolved))


#: ``<field>_env = "VAR"``, resolved while the file is read.
SecretFromEnv = Annotated[SecretRef, PlainValidator(_secret)]


def resolve_settings(
    table: Mapping[str, Any],
    env: Mapping[str, str],
    *,
    active: bool,
    problems: Problems,
    missing: Problems,
    prefix: str,
) -> tuple[dict[str, Any], set[str]]:
    """A connector's settings with every ``<field>_env = "VAR"`` replaced by ``<field>`` =
    ``$VAR``, and the names that came from the environment. A literal secret (a key that
    looks secret, written as text) is refused without repeating it. Unset variables go to
    ``missing`` (the worker defers them to their account); an inactive (disabled) account's
    variables are not read."""
    settings: dict[str, Any] = {}
    env_fields: set[str] = set()
    for key, value in table.items():
        where = f"{prefix}.{key}"
        if key.endswith("_env") and len(key) > 4:
            target = key[: -len("_env")]
            if target in table:
                problems.add(
                    where,
                    f"both {target} and {key} are set.",
                    f"Keep only {key} (the environment variable holding the value).",
                )
                continue
            if not isinstance(value, str) or not ENV_NAME_RE.fullmatch(value):
                problems.add(
                    where,
                    "must be the name of an environment variable.",
                    f'Write {key} = "MY_VARIABLE" and export MY_VARIABLE=... before starting '
                    "orderhub.",
                )
                continue
            if not active:
                continue  # disabled accounts may lack credentials: not read, not reported
            resolved = env.get(value, "")
            if not resolved:
                state = "is empty" if value in env else "is not set"
                missing.add(
                    where,
                    f"the environment variable {value} (holding {target}) {state}.",
                    f"export {value}=... in the environment orderhub runs in (or fix the "
                    "variable name).",
                )
                continue
            settings[target] = resolved
            env_fields.add(target)
        elif looks_secret(key) and isinstance(value, str):
            # Never repeat the value: the message goes to terminals, logs and CI output.
            problems.add(
                where,
                "secrets are not read from the file.",
                f'set {key}_env = "VAR" and export VAR (then remove {key} from the file, and '
                "rotate the secret if the file was shared).",
            )
        else:
            settings[key] = value
    return settings, env_fields


def _is_secret_annotation(annotation: Any) -> bool:
    # get_args unpacks Optional/Union/X | None/Annotated alike.
    if annotation is SecretStr:
        return True
    return any(_is_secret_annotation(arg) for arg in get_args(annotation))


def secret_fields(settings_model: type[ConnectorSettings]) -> frozenset[str]:
    """The fields of a settings model declared as ``SecretStr`` (or ``SecretStr | None``)."""
    return frozenset(
        name
        for name, info in settings_model.model_fields.items()
        if _is_secret_annotation(info.annotation)
    )
