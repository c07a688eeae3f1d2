"""The base of every table of the configuration file, and how pydantic's errors become
orderhub's problems.

Each table is a :class:`Table`: unknown keys are refused (a typo never silently disables
a setting), values are taken as TOML writes them (``"5"`` is not a number, ``1`` is not
``true``). A field declared with :func:`setting` carries an example and, where it needs
one, the sentence saying what it takes; :func:`describe` writes each error with them, in
our words, so no library wording reaches the user.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt, MaxLen
from pydantic import BaseModel, ConfigDict, Field, JsonValue
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from orderhub.config.problems import did_you_mean

__all__ = ["Table", "describe", "setting"]


class Table(BaseModel):
    """One table of the file. ``unknown_key`` and ``keys_hint`` word the problem of a key
    it does not have."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)

    unknown_key: ClassVar[str] = "unknown key."
    #: The fix's tail after "Did you mean ...?"; ``{keys}`` is the table's keys.
    keys_hint: ClassVar[str] = "Known keys: {keys}."

    @classmethod
    def file_keys(cls) -> list[str]:
        """The keys as the file spells them (aliases included)."""
        return [info.alias or name for name, info in cls.model_fields.items()]


def setting(
    default: Any = ...,
    *,
    example: str,
    what: str | None = None,
    fix: str | None = None,
    secret: bool = False,
    label: str | None = None,
    alias: str | None = None,
    **kwargs: Any,
) -> Any:
    """A field of a :class:`Table`. ``example`` is the value as written in TOML
    (``'"5m"'``, ``"8080"``); ``what`` names what the key takes (``"a port number"``),
    used for a value of the wrong type or out of range; ``fix`` replaces the default
    ``Write key = example.``; ``secret`` keeps the value out of every message; ``label``
    names the key when it is missing ("missing account id.")."""
    extra: dict[str, JsonValue] = {
        "example": example,
        "what": what,
        "fix": fix,
        "secret": secret,
        "label": label,
    }
    return Field(default, alias=alias, json_schema_extra=extra, **kwargs)


# -- walking a model along an error's location ------------------------------------------


def _unwrap(annotation: Any) -> Any:
    """``X`` for ``Annotated[X, ...]`` and ``X | None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


class _Place:
    def __init__(self) -> None:
        self.key = ""
        self.name = ""
        self.field: FieldInfo | None = None
        self.owner: type[Table] | None = None
        #: The error is about one item of the key's list or table, not the key itself.
        self.item = False

    def step(self, text: str) -> None:
        self.key = (
            f"{self.key}{text}" if text.startswith("[") or not self.key else f"{self.key}.{text}"
        )


def _walk(model: type[BaseModel], loc: tuple[int | str, ...]) -> _Place:
    place = _Place()
    current: Any = model
    for part in loc:
        target = _unwrap(current)
        if isinstance(part, int):
            place.item = True
            place.step(f"[{part}]")
            args = get_args(target)
            current = args[0] if get_origin(target) in (list, tuple) and args else Any
            continue
        place.step(part)
        if _is_model(target):
            place.name = part
            place.item = False
            place.owner = target if issubclass(target, Table) else None
            place.field = next(
                (
                    info
                    for name, info in target.model_fields.items()
                    if (info.alias or name) == part
                ),
                None,
            )
            current = place.field.annotation if place.field is not None else Any
        elif get_origin(target) is dict:
            # A key of a table of tables ([carriers.amazon]): the table's field still
            # gives the fix.
            place.item = True
            args = get_args(target)
            current = args[1] if len(args) == 2 else Any
        else:
            place.name = part
            current = Any
            place.field = None
    return place


# -- the sentences ----------------------------------------------------------------------

_RANGES = {
    "greater_than": "not above",
    "greater_than_equal": "below the lowest allowed,",
    "less_than": "not below",
    "less_than_equal": "above the highest allowed,",
}
_KINDS = {
    "bool": "true or false",
    "int": "a whole number",
    "float": "a number",
    "string": "a text",
    "list": "a list",
    "tuple": "a list",
    "dict": "a table",
    "model": "a table",
    "date": "a date (2027-05-01)",
    "datetime": "a date and time",
    "literal": "one of the listed values",
}


def _kind(error_type: str) -> str | None:
    head = error_type.split("_", 1)[0]
    return _KINDS.get(head)


def _shown(value: Any) -> str:
    text = f'"{value}"' if isinstance(value, str) else repr(value)
    if isinstance(value, dict):
        return "a table"
    if len(text) > 80:
        return f"{text[:40]}…({len(text)} characters)"
    return text


def _bounds(field: FieldInfo | None) -> str:
    if field is None:
        return ""
    low = high = None
    for item in field.metadata:
        if isinstance(item, Ge | Gt):
            low = item.ge if isinstance(item, Ge) else item.gt
        elif isinstance(item, Le | Lt):
            high = item.le if isinstance(item, Le) else item.lt
        elif isinstance(item, MaxLen):
            return f"at most {item.max_length} long"
    if low is not None and high is not None:
        return f"from {low} to {high}"
    if low is not None:
        return f"at least {low}"
    if high is not None:
        return f"at most {high}"
    return ""


def describe(
    model: type[BaseModel], details: ErrorDetails, prefix: str = ""
) -> tuple[str, str, str]:
    """(dotted key, message, fix) for one of pydantic's errors in ``model``'s table at
    ``prefix``."""
    place = _walk(model, tuple(details["loc"]))
    key = place.key
    if prefix:
        key = f"{prefix}{key}" if not key or key.startswith("[") else f"{prefix}.{key}"
    extra = place.field.json_schema_extra if place.field is not None else None
    info: dict[str, Any] = extra if isinstance(extra, dict) else {}
    name = place.name or key.rsplit(".", 1)[-1]
    example = info.get("example")
    default_fix = info.get("fix") or (
        f"Write {name} = {example}." if example else "Correct the value, or remove the key."
    )
    error_type = details["type"]
    ctx = details.get("ctx") or {}
    shown = (
        "the value"
        if info.get("secret") or "input" not in details
        else _shown(details.get("input"))
    )

    if error_type == "orderhub":
        if ctx.get("key"):
            key = f"{key}.{ctx['key']}" if key else str(ctx["key"])
        return key, str(ctx["message"]), str(ctx.get("fix") or default_fix)
    if error_type == "extra_forbidden":
        owner = place.owner
        known = owner.file_keys() if owner is not None else []
        unknown = owner.unknown_key if owner is not None else "unknown key."
        hint = (owner.keys_hint if owner is not None else "Known keys: {keys}.").format(
            keys=", ".join(known)
        )
        return key, unknown, f"{did_you_mean(name, known)}{hint}"
    if error_type == "missing":
        label = info.get("label") or name
        add = f"Add {name} = {example}." if example else f"Add {name}."
        return key, f"missing {label}.", info.get("fix") or add
    if error_type == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", '"')
        return key, f"{shown} is not one of {expected}.", default_fix
    if error_type in ("value_error", "assertion_error"):
        message = str(details["msg"]).split(", ", 1)[-1]
        return key, message.rstrip(".") + ".", default_fix
    kind = _kind(error_type)
    # An item of a list or of a table of tables: what the item takes, not what the whole
    # key does.
    what = None if place.item else info.get("what")
    if kind == "a table" and what is None:
        return key, "must be a table.", info.get("fix") or f"Write it as a [{key}] section."
    if error_type == "string_too_long":
        return key, f"is longer than {ctx.get('max_length')} characters.", "Shorten it."
    if what is None and error_type in _RANGES:
        bounds = _bounds(place.field) if not place.item else ""
        if bounds:
            what = f"a number {bounds}"
        else:
            limit = next((ctx[name] for name in ("ge", "gt", "le", "lt") if name in ctx), "")
            return key, f"{shown} is {_RANGES[error_type]} {limit}.", default_fix
    if what is None:
        what = kind or "a value this key takes"
        bounds = _bounds(place.field) if not place.item else ""
        if bounds and kind in ("a whole number", "a number"):
            what = f"{kind} {bounds}"
    return key, f"{shown} is not {what}.", default_fix
