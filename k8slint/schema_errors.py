"""Validate one object with a compiled schema and say what is wrong, structurally.

Messages name the field path (``spec.template.spec.containers[0].imagePullPolcy``) and what
is wrong with it (unknown field, type expected, missing required field, allowed values from
the schema) but never the object's value: a Secret's data must not reach the output.

Null values are dropped before errors are explained, as the API server does: a JSON null
decodes to "unset" for a built-in type, and a CRD prunes nulls of non-nullable fields. Only
objects that fail the fast first pass pay for that copy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from . import lazyre

MAX_PER_OBJECT = 20
_PLAIN_KEY = lazyre.compile(r"^[A-Za-z0-9_$-]+$")
_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}
_ARTICLE = {"object": "an object", "array": "a list", "string": "a string", "boolean": "a boolean",
            "integer": "an integer", "number": "a number", "null": "null"}


@dataclass(frozen=True)
class SchemaProblem:
    """One schema violation of an object, worded for a finding."""

    path: tuple  # where in the object (for an unknown field: the unknown key itself)
    text: str  # what is wrong, naming the field path
    key: str  # stable identity for fingerprints
    suggestion: str | None = None  # an unknown field: the known field it is probably a misspelling of
    missing: str | None = None  # a missing required field: its name


def field_path(path: tuple | list) -> str:
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif _PLAIN_KEY.match(str(step)):
            out += f".{step}" if out else str(step)
        else:
            out += f'["{step}"]'
    return out


def json_type(value: Any) -> str:
    for cls in type(value).__mro__:
        if cls in _JSON_TYPES:
            return _JSON_TYPES[cls]
    return "value"


def without_nulls(value: Any) -> Any:
    """A copy with every null-valued mapping entry removed (list items and positions are kept)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def validate(compiled: Any, data: Any) -> list[SchemaProblem]:
    """Every structural problem of ``data`` (sorted by path, at most MAX_PER_OBJECT)."""
    validator = compiled.validator
    if validator.is_valid(data):
        return []
    clean = without_nulls(data)
    problems: dict[tuple, SchemaProblem] = {}
    for error in validator.iter_errors(clean):
        for problem in _explain(error, compiled.root):
            problems.setdefault((problem.path, problem.key), problem)
    ordered = sorted(_absorb_required(problems.values()), key=lambda p: ([str(s) for s in p.path], p.key))
    if len(ordered) > MAX_PER_OBJECT:
        rest = len(ordered) - MAX_PER_OBJECT + 1
        ordered = ordered[: MAX_PER_OBJECT - 1] + [SchemaProblem((), f"and {rest} more schema problems", "more")]
    return ordered


def _absorb_required(problems) -> list[SchemaProblem]:
    """One mistake, one problem: a misspelt required field (``conatinerPort``) is an unknown field
    *and* a missing required one. The unknown field, which names both spellings, absorbs the
    "missing required field" of the field it suggests in the same mapping, and says it is required."""
    problems = list(problems)
    missing = {(p.path, p.missing) for p in problems if p.missing is not None}
    meant = {(p.path[:-1], p.suggestion) for p in problems if p.suggestion is not None}
    out = []
    for problem in problems:
        if problem.missing is not None and (problem.path, problem.missing) in meant:
            continue
        if problem.suggestion is not None and (problem.path[:-1], problem.suggestion) in missing:
            problem = replace(problem, text=problem.text.replace(f"(did you mean {problem.suggestion}?)",
                                                                 f"(did you mean {problem.suggestion}, a required field?)"))
        out.append(problem)
    return out


def _node(root: Any, schema_path: list) -> Any:
    node = root
    for step in schema_path:
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return None
    return node


def _kind(error: Any) -> str:
    return type(error.kind).__name__


def _types_phrase(types: list[str]) -> str:
    names = [_ARTICLE.get(t, t) for t in types if t != "null"]
    if not names:
        return "null"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _explain(error: Any, root: Any) -> list[SchemaProblem]:
    kind = _kind(error)
    path = tuple(error.instance_path)
    where = field_path(path) or "the object"
    details = error.kind.as_dict()
    if kind == "AdditionalProperties":
        allowed = _node(root, list(error.schema_path)[:-1])
        known = sorted((allowed or {}).get("properties", {})) if isinstance(allowed, dict) else []
        import difflib  # only for an unknown field's suggestion

        out = []
        for name in details.get("unexpected", ()):
            lowered = {k.lower(): k for k in known}
            close = difflib.get_close_matches(str(name).lower(), list(lowered), n=1, cutoff=0.75)
            hint = f" (did you mean {lowered[close[0]]}?)" if close else ""
            full = path + (name,)
            out.append(SchemaProblem(full, f"unknown field {field_path(full)}{hint}", f"{field_path(full)}|unknown",
                                     suggestion=lowered[close[0]] if close else None))
        return out
    if kind == "FalseSchema":
        return [SchemaProblem(path, f"field {where} is not allowed here", f"{where}|false")]
    if kind == "Required":
        missing = details.get("property")
        full = field_path(path + (missing,))
        return [SchemaProblem(path, f"missing required field {full}", f"{full}|required", missing=str(missing))]
    if kind == "Type":
        expected = _types_phrase(list(details.get("types", ())))
        return [SchemaProblem(path, f"{where} must be {expected}, not {_ARTICLE.get(json_type(error.instance), 'this')}", f"{where}|type")]
    if kind in ("AnyOf", "OneOfNotValid"):
        return _explain_branches(error, details.get("context", []), root, path, where)
    if kind == "OneOfMultipleValid":
        return [SchemaProblem(path, f"{where} matches more than one of the forms the schema allows (set only one)", f"{where}|oneOf")]
    if kind == "Enum":
        options = [o for o in details.get("options", ()) if o is not None]
        shown = ", ".join(str(o) for o in options[:12]) + (", ..." if len(options) > 12 else "")
        return [SchemaProblem(path, f"{where} must be one of: {shown}", f"{where}|enum")]
    if kind == "Constant":
        return [SchemaProblem(path, f"{where} must be {details.get('expected_value')!r}", f"{where}|const")]
    if kind == "Pattern":
        return [SchemaProblem(path, f"{where} does not match the pattern {details.get('pattern')}", f"{where}|pattern")]
    if kind == "Not":
        schema = details.get("schema")
        if isinstance(schema, dict) and set(schema) == {"required"}:
            fields = ", ".join(schema["required"])
            return [SchemaProblem(path, f"{where} must not set {fields} together", f"{where}|not")]
        return [SchemaProblem(path, f"{where} takes a form the schema forbids", f"{where}|not")]
    limits = {
        "MinLength": "must be at least {} characters long", "MaxLength": "must be at most {} characters long",
        "Minimum": "must be at least {}", "Maximum": "must be at most {}",
        "ExclusiveMinimum": "must be more than {}", "ExclusiveMaximum": "must be less than {}",
        "MinItems": "must have at least {} items", "MaxItems": "must have at most {} items",
        "MinProperties": "must have at least {} fields", "MaxProperties": "must have at most {} fields",
        "MultipleOf": "must be a multiple of {}",
    }
    if kind in limits:
        limit = details.get("limit", details.get("multiple_of", "?"))
        return [SchemaProblem(path, f"{where} {limits[kind].format(limit)}", f"{where}|{kind}")]
    if kind == "UniqueItems":
        return [SchemaProblem(path, f"{where} must not repeat items", f"{where}|unique")]
    if kind == "PropertyNames":
        return [SchemaProblem(path, f"{where} has a key name the schema does not allow", f"{where}|propertyNames")]
    return [SchemaProblem(path, f"{where} fails the schema's {error.kind.name} rule", f"{where}|{kind}")]


def _explain_branches(error: Any, branches: list, root: Any, path: tuple, where: str) -> list[SchemaProblem]:
    """anyOf/oneOf: a plain type mismatch says "X or Y"; otherwise explain the closest branch."""
    type_only = all(
        len(branch) == 1 and _kind(branch[0]) == "Type" and tuple(branch[0].instance_path) == path for branch in branches
    )
    if branches and type_only:
        types: list[str] = []
        for branch in branches:
            for t in branch[0].kind.as_dict().get("types", ()):
                if t != "null" and t not in types:
                    types.append(t)
        return [SchemaProblem(path, f"{where} must be {_types_phrase(types)}, not {_ARTICLE.get(json_type(error.instance), 'this')}", f"{where}|type")]
    deeper = [b for b in branches if b and not all(_kind(e) == "Type" and tuple(e.instance_path) == path for e in b)]
    if deeper:
        best = min(deeper, key=len)
        out: list[SchemaProblem] = []
        for sub in best:
            out.extend(_explain(sub, root))
        if out:
            return out
    return [SchemaProblem(path, f"{where} does not match any of the forms the schema allows", f"{where}|anyOf")]
