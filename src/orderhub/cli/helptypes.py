"""How ``--help`` shows what an option takes: as users write it (``TEXT``, ``N``, ``PATH``,
``table|json|csv``), never as Python types (``<bool>``, ``<list[str]>``); a flag shows no
type at all, and an option given several times says so.

typer renders the type column from ``display_type_rich``; this wraps it once, at import,
for every orderhub command.
"""

from __future__ import annotations

from typing import Any

from typer import core

_WORDS = {
    "str": "TEXT",
    "int": "N",
    "int range": "N",
    "float": "NUMBER",
    "float range": "NUMBER",
    "path": "PATH",
    "file": "FILE",
    "directory": "DIR",
    "datetime": "TIME",
    "uuid": "ID",
}


def user_type(label: str | None, *, flag: bool = False, repeatable: bool = False) -> str | None:
    """``<str>`` -> ``TEXT``; ``<list[str]>`` -> ``TEXT (repeatable)``; ``<bool>`` of a flag
    -> nothing; choices (``<table|json|csv>``) keep their values."""
    if label is None or flag:
        return None
    text = label.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    dots = text.endswith("...")
    text = text.removesuffix("...")
    if text.startswith("list[") and text.endswith("]"):
        text, repeatable = text[5:-1], True
    if text == "bool":
        return None
    word = _WORDS.get(text, text if "|" in text else text.upper())
    if repeatable:
        return f"{word} (repeatable)"
    return f"{word}..." if dots else word


def install() -> None:
    if getattr(core.TyperOption.display_type_rich, "_orderhub", False):
        return
    option_type = core.TyperOption.display_type_rich
    argument_type = core.TyperArgument.display_type_rich

    def option(self: core.TyperOption, ctx: Any) -> str | None:
        if self.metavar is not None:
            return str(self.metavar)
        return user_type(option_type(self, ctx), flag=self.is_flag, repeatable=bool(self.multiple))

    def argument(self: core.TyperArgument, ctx: Any) -> str | None:
        return user_type(argument_type(self, ctx))

    option._orderhub = True  # type: ignore[attr-defined]
    core.TyperOption.display_type_rich = option  # type: ignore[method-assign]
    core.TyperArgument.display_type_rich = argument  # type: ignore[method-assign,assignment]
