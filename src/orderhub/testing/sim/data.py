"""JSON data helpers for simulators that let a test change the JSON they render.

A simulator keeps a test's changes to an order (``overrides``) as plain JSON data and merges
them over the rendered order on every answer; these two helpers do the copying and merging
without sharing any nested dict or list between the record and an answer.
"""

from __future__ import annotations

from typing import Any

__all__ = ["copy_json", "deep_merge"]


def copy_json(value: Any) -> Any:
    """A deep copy of JSON-like data (faster than ``copy.deepcopy`` for dicts and lists,
    which is what matters when every order of a large page is rendered)."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value


def deep_merge(target: dict[str, Any], changes: dict[str, Any]) -> None:
    """Merge ``changes`` into ``target`` in place: objects present in both are merged key
    by key, any other value (lists included) replaces the target's."""
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = value
