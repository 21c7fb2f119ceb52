"""Where k8slint's own data lives: the built-in rules/ and schemas/ folders."""

from __future__ import annotations

import functools
import json
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    # A source checkout (and an editable install) keeps rules/ and schemas/ beside the
    # package; a wheel installs them inside it as k8slint/_rules and k8slint/_schemas.
    beside = _HERE.parent / name
    inside = _HERE / f"_{name}"
    return inside if inside.is_dir() else beside


def rules_dir() -> Path:
    return _data_dir("rules")


def schemas_dir() -> Path:
    return _data_dir("schemas")


@functools.lru_cache(maxsize=None)
def schema(name: str) -> dict:
    """A JSON Schema shipped in schemas/, parsed once per process."""
    with open(schemas_dir() / name, encoding="utf-8") as handle:
        return json.load(handle)
