"""Validate k8slint's own data files (config, rule files) against its JSON Schemas.

jsonschema is imported here, lazily, so start-up stays light; each schema's validator is
built once per process.
"""

from __future__ import annotations

import functools
from typing import Any

from . import resources


@functools.lru_cache(maxsize=None)
def _validator(schema_name: str):
    import jsonschema

    schema = resources.schema(schema_name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=None)


def _where(error: Any) -> str:
    parts = []
    for part in error.absolute_path:
        parts.append(f"[{part}]" if isinstance(part, int) else (f".{part}" if parts else str(part)))
    return "".join(parts) or "(top level)"


def _explain(error: Any) -> str:
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        known = ", ".join(sorted(error.schema.get("properties", {})))
        where = _where(error)
        names = ", ".join(repr(key) for key in extra)
        prefix = f"{where}: " if where != "(top level)" else ""
        return f"{prefix}unknown key {names} (allowed: {known})"
    return f"{_where(error)}: {error.message}"


def errors(instance: Any, schema_name: str) -> list[str]:
    """Every problem of ``instance`` against ``schema_name``, one readable line each."""
    validator = _validator(schema_name)
    found = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    return [_explain(error) for error in found]
