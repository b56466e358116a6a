"""A readable diff of two ruleset documents: lists of things with ids are compared by id."""

from __future__ import annotations

from typing import Any

_KEYS = ("id", "hcpcs", "category")


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        key = next((k for k in _KEYS if all(k in v and v[k] is not None for v in value)), None)
        for i, v in enumerate(value):
            label = f"{key}={v[key]}" if key else str(i)
            _flatten(v, f"{path}[{label}]", out)
    else:
        out[path] = value


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(path, before, after) for every leaf that differs, in path order."""
    a: dict[str, Any] = {}
    b: dict[str, Any] = {}
    _flatten(before, "", a)
    _flatten(after, "", b)
    return [(p, a.get(p), b.get(p)) for p in sorted(a.keys() | b.keys()) if a.get(p) != b.get(p)]
