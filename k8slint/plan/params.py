"""Template params: each template's JSON Schema (``@template(params=...)``), the defaults it
declares, and the checks of rule files and the configuration against it.

A rule file's ``params:`` must satisfy the schema of its template (every param without a
default set); ``rules.<id>.params`` and ``rules.<id>.env.<env>.params`` of ``.k8slint.yaml``
are checked the same way, except that they may leave any param out. Rule ids in the
configuration (``rules:``, ``ignore:`` entries) and on the command line (``--select``,
``--skip``) must name a rule. Every problem is one readable line naming the place
(``rules.image-tag-latest.params``), the line of the file when it is known, and the closest
valid name ("did you mean forbidden?"). The verdict comes from ``jsonschema-rs``; only params
that fail are validated again with ``jsonschema`` to explain why (as :mod:`k8slint.validate`).
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Callable, Iterable

from ..errors import K8slintError

_VALIDATORS: dict[tuple[int, bool], tuple[dict, Any]] = {}  # (id(schema), partial) -> (schema, fast validator)


def schema_of(fn: Callable | None) -> dict | None:
    """The JSON Schema of a template's params object (None: a template that declares none)."""
    return getattr(fn, "k8slint_params", None) if fn is not None else None


def declared(fn: Callable | None) -> dict:
    """name -> JSON Schema of each param a template declares ({} for none or undeclared)."""
    schema = schema_of(fn)
    return dict(schema["properties"]) if schema else {}


def with_defaults(fn: Callable | None, params: dict) -> dict:
    """The params a template receives: ``params`` over the defaults its schema declares."""
    out = {name: copy.deepcopy(spec["default"]) for name, spec in declared(fn).items() if "default" in spec}
    out.update(params)
    return out


def _is_regex(text: str) -> bool:
    try:
        re.compile(text)
    except (re.error, TypeError, ValueError, OverflowError, RecursionError):
        return False
    return True


def _partial(schema: dict) -> dict:
    return {**schema, "required": []}


def _fast(schema: dict, partial: bool):
    key = (id(schema), partial)
    found = _VALIDATORS.get(key)
    if found is None or found[0] is not schema:
        try:
            import jsonschema_rs

            fast = jsonschema_rs.validator_for(_partial(schema) if partial else schema, formats={"regex": _is_regex},
                                               validate_formats=True)
        except Exception:  # noqa: BLE001 - no fast path: jsonschema decides alone
            fast = None
        found = _VALIDATORS[key] = (schema, fast)
    return found[1]


def problems(fn: Callable | None, params: Any, partial: bool = False) -> list[tuple[tuple, str]]:
    """(path inside params, what is wrong) for every problem of ``params`` against the template's
    schema; ``partial``: params that override others may leave any out."""
    schema = schema_of(fn)
    if schema is None:
        return [] if isinstance(params, dict) else [((), f"{_shown(params)} is not a mapping of params")]
    fast = _fast(schema, partial)
    if fast is not None:
        try:
            if fast.is_valid(params):
                return []
        except Exception:  # noqa: BLE001 - a value JSON has no type for: let jsonschema judge it
            pass
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    checker.checks("regex", raises=(re.error,))(lambda text: not isinstance(text, str) or re.compile(text) is not None)
    validator = jsonschema.Draft202012Validator(_partial(schema) if partial else schema, format_checker=checker)
    found = sorted(validator.iter_errors(params), key=lambda e: ([str(p) for p in e.absolute_path], e.validator))
    return [_explain(error, schema) for error in found] or [((), "not valid")]


def _explain(error: Any, top: dict) -> tuple[tuple, str]:
    """One error in k8slint's words: (path, text)."""
    path = tuple(error.absolute_path)
    if error.validator in ("oneOf", "anyOf") and error.context:
        fitting = [e for e in error.context if not (e.validator == "type" and not e.relative_path)]
        if fitting:
            deepest = max(fitting, key=lambda e: len(e.absolute_path))
            return _explain(deepest, top)
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(known), key=str)
        what = "param" if not path else "key"
        name = extra[0] if extra else "?"
        return path + ((name,) if extra else ()), f"unknown {what}{did_you_mean(str(name), known, what + 's')}"
    if error.validator == "required":
        missing = [m for m in error.validator_value if m not in error.instance]
        what = "param" if not path else "key"
        return path, f"missing {what} {', '.join(_quoted(m) for m in missing)} (required{' by the template' if not path else ''})"
    if error.validator == "format" and error.validator_value == "regex":
        try:
            re.compile(error.instance)
        except re.error as exc:
            return path, f"{_shown(error.instance)} is not a valid regular expression ({exc})"
    if error.validator == "type":
        wanted = type_text(error.schema, article=True)
        if error.schema.get("type") == "string" and isinstance(error.instance, (int, float)) and not isinstance(error.instance, bool):
            return path, f"{_shown(error.instance)} is a number, not {wanted}: quote it ('{error.instance}')"
        return path, f"{_shown(error.instance)} is not {wanted}"
    if error.validator == "enum":
        return path, f"{_shown(error.instance)} is not one of {', '.join(map(str, error.validator_value))}" + \
            (did_you_mean(error.instance, [str(v) for v in error.validator_value], "") if isinstance(error.instance, str) else "")
    if error.validator == "pattern":
        return path, f"{_shown(error.instance)} does not match {error.validator_value}"
    if error.validator == "minItems":
        return path, "must not be empty"
    if error.validator == "minLength":
        return path, "must not be empty"
    return path, error.message


def _quoted(name: Any) -> str:
    return repr(name) if isinstance(name, str) else _shown(name)


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def did_you_mean(name: str, known: Iterable[str], plural: str = "") -> str:
    """' (did you mean x?)' for the closest of ``known``, else ' (known <plural>: a, b, ...)'."""
    import difflib  # only for a wrong name's suggestion

    known = sorted(known)
    close = [k for k in known if name and k.startswith(name)][:1] or difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]}?)"
    if plural and known:
        shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
        return f" ({plural}: {shown})"
    if plural:
        return f" (it takes no {plural})"
    return ""


def type_text(schema: dict, article: bool = False) -> str:
    """What a JSON Schema accepts, in words: 'list of strings', 'mapping: production|staging -> ...'."""
    a = (lambda word: ("an " if word[0] in "aeiou" else "a ") + word) if article else (lambda word: word)
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    if "oneOf" in schema or "anyOf" in schema:
        return " or ".join(type_text(s, article) for s in schema.get("oneOf", schema.get("anyOf")))
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        if items and "enum" in items:
            return a("list drawn from " + ", ".join(map(str, items["enum"])))
        return a("list of " + (" or ".join(_plural(type_text(s)) for s in items.get("oneOf", [items])) if items else "values"))
    if kind == "object":
        props = schema.get("properties")
        if props and schema.get("additionalProperties") is False:
            values = {type_text(s) for s in props.values()}
            if len(values) == 1:
                return a(f"mapping: {'|'.join(props)} -> {values.pop()}")
            return a(f"mapping with keys {', '.join(props)}")
        return a("mapping")
    if kind == "string" and schema.get("format") == "regex":
        return a("regular expression")
    return a({"boolean": "boolean (true or false)"}.get(kind, kind if isinstance(kind, str) else "value"))


def _plural(text: str) -> str:
    if text.startswith("one of"):
        return text
    for word in ("regular expression", "mapping", "string", "integer", "number", "boolean", "list", "value"):
        if text.startswith(word):
            return word + "s" + text[len(word):]
    return text


# -- checks of the places params and rule ids come from -------------------------------------
def line_at(data: Any, path: Iterable) -> int | None:
    """The line of the key or item at ``path`` in line-aware data (YMap/YList), else of the nearest
    enclosing one that has a line; None for data without line numbers (e.g. from TOML)."""
    node, line = data, None
    for part in path:
        if hasattr(node, "key_line") and isinstance(part, str) and part in node:
            line, node = node.key_line(part), node[part]
        elif hasattr(node, "item_line") and isinstance(part, int) and 0 <= part < len(node):
            line, node = node.item_line(part), node[part]
        else:
            break
    return line


def dotted(path: Iterable) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def check_rule_params(rule_fn: Callable | None, params: Any, where: Callable[[tuple], str]) -> list[str]:
    """Problems of a rule file's ``params:``; ``where(path)`` names the place ('file:line: params.x')."""
    return [f"{where(path)}: {text}" for path, text in problems(rule_fn, params)]


def check_configuration(settings, rules: dict) -> None:
    """Rule ids and params in the configuration (``rules:``, ``ignore:``): a
    :class:`K8slintError` naming the file, the line and the closest valid name."""
    found: list[str] = []

    def where(path: tuple) -> str:
        line = settings.config_line(path)
        return f"{settings.config_shown}{f':{line}' if line else ''}: {dotted(path)}"

    for rule_id in settings.configured_rules:
        rule = rules.get(rule_id)
        if rule is None:
            found.append(f"{where(('rules', rule_id))}: unknown rule id{_hint(rule_id, rules)}")
            continue
        conf = settings.rule_config(rule_id)
        places = [(("rules", rule_id, "params"), conf.get("params"))]
        places += [(("rules", rule_id, "env", env, "params"), per_env.get("params"))
                   for env, per_env in (conf.get("env") or {}).items() if isinstance(per_env, dict)]
        for base, params in places:
            if params is None:
                continue
            if rule.check is None:
                if params:
                    found.append(f"{where(base)}: rule {rule_id} takes no params")
                continue
            for path, text in problems(rule.check, params, partial=True):
                found.append(f"{where(base + path)}: {text}")
    for position, entry in enumerate(settings.ignore_entries):
        for item, rule_id in enumerate(entry.get("rules") or []):
            if rule_id != "*" and rule_id not in rules:
                found.append(f"{where(('ignore', position, 'rules', item))}: unknown rule id {rule_id!r}"
                             f"{_hint(str(rule_id), rules)}")
    if found:
        raise K8slintError("invalid configuration: " + "; ".join(found))


def _hint(rule_id: str, rules: dict) -> str:
    return did_you_mean(rule_id, rules) or " (see `k8slint rules`)"


def check_selection(rules: dict, select: list[str], skip: list[str]) -> None:
    """--select and --skip name rules."""
    found = [f"--{flag} {rule_id}: unknown rule id{_hint(rule_id, rules)}"
             for flag, ids in (("select", select), ("skip", skip)) for rule_id in ids if rule_id not in rules]
    if found:
        raise K8slintError("; ".join(found))
