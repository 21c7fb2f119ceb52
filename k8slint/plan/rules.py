"""Rule files (the policy as data) and the templates they name.

Built-in rules live in ``rules/<id>.yaml``; users add their own in ``.k8slint/rules/`` in
exactly the same format. Every file is validated against ``schemas/rule.schema.json``, and
its ``params:`` against the JSON Schema its template declares (:mod:`k8slint.plan.params`);
the rule's params are the template's defaults with the file's params over them.
Templates come only from installed code: k8slint's own (the ``@template`` functions of
``k8slint.templates``) and other packages' through the ``k8slint.templates`` entry-point
group. A rule file from a linted repo can name a template, never bring code.
"""

from __future__ import annotations

import functools
from dataclasses import field
from pathlib import Path
from typing import Any, Callable

from ..errors import RuleError
from ..load import YMap, decode, load_text
from ..records import FACTORY, record
from ..resources import rules_dir
from .params import check_rule_params, dotted, line_at, with_defaults


@record
class Rule:
    """One rule of the catalogue: its metadata, its file's data, and the template that checks it."""

    id: str
    severity: str
    scope: str
    data: dict
    file: str
    builtin: bool = True
    check: Callable | None = None  # the template function (None for assert and meta rules)
    kinds: frozenset = frozenset()
    envs: frozenset = frozenset()
    params: dict = field(default_factory=dict)

    def __init__(
            self, id: str, severity: str, scope: str, data: dict, file: str, builtin: bool = True,
            check: Callable | None = None, kinds: frozenset = frozenset(), envs: frozenset = frozenset(),
            params: dict = FACTORY
    ) -> None:
        self.id = id
        self.severity = severity
        self.scope = scope
        self.data = data
        self.file = file
        self.builtin = builtin
        self.check = check
        self.kinds = kinds
        self.envs = envs
        self.params = {} if params is FACTORY else params

    @property
    def summary(self) -> str:
        return self.data.get("summary", "")


BUILTIN_TEMPLATES = "k8slint.templates"


@functools.lru_cache(maxsize=1)
def builtin_templates() -> dict[str, Callable]:
    """name -> function, for every ``@template`` of k8slint's own template modules: loaded by name,
    as installed code, the way an entry point is (a new module there needs no registration)."""
    import importlib
    import importlib.util
    import pkgutil

    package = importlib.util.find_spec(BUILTIN_TEMPLATES)
    found: dict[str, Callable] = {}
    for info in sorted(pkgutil.iter_modules(package.submodule_search_locations), key=lambda m: m.name):
        module = importlib.import_module(f"{BUILTIN_TEMPLATES}.{info.name}")
        for value in vars(module).values():
            if callable(value) and hasattr(value, "k8slint_scope") and getattr(value, "__module__", "") == module.__name__:
                found[value.k8slint_name] = value
    return found


@functools.lru_cache(maxsize=1)
def template_registry() -> dict[str, Any]:
    """name -> entry point, for every other installed k8slint.templates provider (k8slint's own
    templates win over an entry point of the same name)."""
    from importlib.metadata import entry_points

    builtin = builtin_templates()
    return {ep.name: ep for ep in entry_points(group="k8slint.templates") if ep.name not in builtin}


def template_names() -> list[str]:
    return sorted({*builtin_templates(), *template_registry()})


def all_templates() -> dict[str, Callable]:
    """name -> function of every installed template (`k8slint templates`)."""
    return {name: load_template(name, "k8slint.templates") for name in template_names()}


def load_template(name: str, where: str) -> Callable:
    fn = builtin_templates().get(name)
    if fn is not None:
        return fn
    entry = template_registry().get(name)
    if entry is None:
        from .params import did_you_mean

        raise RuleError(f"{where}: template {name!r} is not installed{did_you_mean(name, template_names(), 'known templates')}")
    fn = entry.load()
    if not hasattr(fn, "k8slint_scope"):
        raise RuleError(f"{where}: template {name!r} ({entry.value}) is not marked with @template(scope=...)")
    return fn


def _read_bytes(path: Path, display: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RuleError(f"{display}: cannot be read ({exc.strerror})") from None


def _read_rule_file(path: Path, display: str, raw: bytes | None = None) -> dict:
    raw = _read_bytes(path, display) if raw is None else raw
    text, error = decode(raw)
    if error:
        raise RuleError(f"{display}:{error.line}: {error.message}")
    docs, errors = load_text(text)
    if errors:
        raise RuleError(f"{display}:{errors[0].line}: {errors[0].message}")
    if len(docs) != 1 or not isinstance(docs[0].data, YMap):
        raise RuleError(f"{display}: a rule file holds exactly one mapping (id, severity, summary, ...)")
    return docs[0].data


def parse_rule(path: Path, display: str, builtin: bool, validate: bool = True, raw: bytes | None = None) -> Rule:
    """One rule file (``raw``: its bytes, already read)."""
    data = _read_rule_file(path, display, raw)
    if validate:
        from ..validate import errors

        problems = errors(data, "rule.schema.json")
        if problems:
            raise RuleError(f"{display}: " + "; ".join(problems))
    if "assert" in data:
        _check_assert_schema(data["assert"].get("schema"), display)
    if builtin and path.stem != data["id"]:
        raise RuleError(f"{display}: file name must be the rule id ({data['id']}.yaml)")
    rule = Rule(
        id=data["id"],
        severity=data["severity"],
        scope=data["scope"],
        data=data,
        file=display,
        builtin=builtin,
        kinds=frozenset(data.get("kinds", ())),
        envs=frozenset(data.get("envs", ())),
        params=dict(data.get("params", {})),
    )
    if "template" in data:
        rule.check = load_template(data["template"], display)
        if rule.check.k8slint_scope != rule.scope:
            raise RuleError(
                f"{display}: scope {rule.scope!r} does not fit template {data['template']!r}, "
                f"which checks scope {rule.check.k8slint_scope!r}"
            )
        if validate:
            _check_params(rule, data, display)
        rule.params = with_defaults(rule.check, rule.params)
    return rule


def _check_params(rule: Rule, data: dict, display: str) -> None:
    params = data.get("params", {})

    def where(path: tuple) -> str:
        line = line_at(data, ("params", *path)) or data.key_line("template")
        return f"{display}:{line}: " + dotted(("params", *path)) + f" (template {data['template']})"

    found = check_rule_params(rule.check, params, where)
    if found:
        raise RuleError("; ".join(found))


def _check_assert_schema(schema: Any, display: str) -> None:
    """An `assert:` schema is data: it must be a valid JSON Schema whose references stay inside it
    (k8slint never fetches a `$ref` from the network or the disk), and whose patterns the linear-time
    engine can run (k8slint.regex)."""
    from .. import regex

    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key in ("$ref", "$dynamicRef"):
                ref = node.get(key)
                if isinstance(ref, str) and not ref.startswith("#"):
                    raise RuleError(f"{display}: assert.schema {key} {ref!r} points outside the rule; "
                                    "rules are data only and k8slint fetches nothing (use a local '#/$defs/...' reference)")
            patterns = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
            if isinstance(node.get("patternProperties"), dict):
                patterns += list(node["patternProperties"])
            for pattern in patterns:
                try:
                    regex.compile(pattern)
                except regex.PatternError as exc:
                    raise RuleError(f"{display}: assert.schema: {exc}") from None
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        raise RuleError(f"{display}: assert.schema is not a valid JSON Schema: {exc.message}") from None


def builtin_rule_files() -> list[Path]:
    return sorted(rules_dir().glob("*.yaml"))


def rule_files(custom_paths: list[Path] = (), root: Path | None = None) -> list[tuple[Path, str, bool]]:
    """(path, display name, built-in) of every rule file, built-ins first."""
    files = [(path, f"rules/{path.name}", True) for path in builtin_rule_files()]
    for base in custom_paths:
        found = sorted(base.glob("*.yaml")) + sorted(base.glob("*.yml")) if base.is_dir() else [base]
        files += [(path, _display(path, root), False) for path in found]
    return files


def load_rules(custom_paths: list[Path] = (), root: Path | None = None, validate_builtin: bool = False,
               cache: bool = False) -> dict[str, Rule]:
    """All rules by id: built-ins, then custom rule files (which may not reuse an id). ``cache``:
    the compiled catalogue of these exact files is read from (or written to) the user's cache
    folder (:mod:`k8slint.plan.catalogue`)."""
    files = [(path, display, builtin, _read_bytes(path, display)) for path, display, builtin in rule_files(custom_paths, root)]

    def build() -> dict[str, Rule]:
        rules: dict[str, Rule] = {}
        for path, display, builtin, raw in files:
            rule = parse_rule(path, display, builtin=builtin, validate=validate_builtin or not builtin, raw=raw)
            if rule.id in rules:
                raise RuleError(f"{display}: rule id {rule.id!r} is already defined by {rules[rule.id].file}")
            rules[rule.id] = rule
        return rules

    if not cache:
        return build()
    from .catalogue import cached

    return cached([(display, builtin, raw) for _, display, builtin, raw in files], validate_builtin, build, Rule)


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)
