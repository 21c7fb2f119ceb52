"""Validate k8slint's own data files (config, rule files) against its JSON Schemas.

The verdict comes from ``jsonschema-rs`` (fast to import, and already loaded for the schema
rule); only a file that fails is validated again with ``jsonschema``, whose errors give the
readable messages. Importing ``jsonschema`` cost a fifth of a pre-commit run's time, just to
learn that a valid ``.k8slint.yaml`` is valid. Each schema's validators are built once per
process.
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


@functools.lru_cache(maxsize=None)
def _fast_validator(schema_name: str):
    try:
        import jsonschema_rs

        return jsonschema_rs.validator_for(resources.schema(schema_name), validate_formats=False)
    except Exception:  # noqa: BLE001 - no fast path: jsonschema decides alone
        return None


def is_valid(instance: Any, schema_name: str) -> bool | None:
    """The fast verdict: True/False, or None when jsonschema-rs cannot tell (a value JSON has no type for)."""
    fast = _fast_validator(schema_name)
    if fast is None:
        return None
    try:
        return bool(fast.is_valid(instance))
    except Exception:  # noqa: BLE001 - e.g. a TOML datetime: let jsonschema judge it
        return None


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
    if is_valid(instance, schema_name):
        return []
    validator = _validator(schema_name)
    found = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    return [_explain(error) for error in found]
