"""A failed Helm render in k8slint's own words, at the template line (a repository path) or the
values key that causes it.

Helm's error text is never shown: it names templates by chart-relative paths
(``payments/templates/deployment.yaml``), and it may hold values - a ``fail`` message built from
a value, the text ``tpl`` could not parse (a password with ``{{`` in it), the value a
``values.schema.json`` pattern rejected, the value ``range`` could not iterate. :func:`explain`
reads only the *kind* of error, the template and line, and names (a values key, a function, a
template name) that are also found in the repository's own files, and writes one sentence; what
it does not recognise becomes a generic sentence with the command that shows Helm's message.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..model import Location

_MAX = 300
_TEMPLATE_LOC = re.compile(r"(?P<file>[\w.@+-]+(?:/[\w.@+-]+)*/templates/[\w./@+-]+?):(?P<line>\d+)(?::\d+)?")
_NIL = re.compile(r"at <\(?(?P<expr>(?:\.Values|\$\w*)[\w.]*)\)?(?P<rest>[\w.]*)>:\s*nil pointer evaluating [^.]*\.(?P<field>\w+)")
_KEY = re.compile(r"^[\w$-]+(?:\.[\w-]+)*$")
_GO_PARSE = ("unclosed action", "unexpected EOF", "unterminated quoted string", "unterminated raw quoted string",
             "unclosed left paren", "unexpected right paren", "missing value for", "bad character", "unexpected",
             "wrong number of args", "unclosed comment", "comment ends before closing delimiter")
_SCHEMA_TYPES = ("string", "integer", "number", "boolean", "object", "array", "null")


class Context:
    """Where the failed render's names lead in the repository."""

    def __init__(self, chart_dir: Path, chart_name: str, origin_dirs: dict[str, Path], root: Path, sources,
                 values_files: list[Path], label: str, display: str) -> None:
        self.chart_dir = chart_dir
        self.chart_name = chart_name
        self.origin_dirs = origin_dirs
        self.root = root
        self.sources = sources
        self.values_files = values_files
        self.label = label
        self.display = display

    def rel(self, path: Path) -> str:
        from ..sources import relative

        return relative(path, self.root)

    def template_file(self, template: str) -> Path:
        """A chart path (``payments/charts/common/templates/_x.tpl``) -> the repository file."""
        best = ""
        for prefix in self.origin_dirs:
            if template.startswith(prefix + "/") and len(prefix) > len(best):
                best = prefix
        if best:
            return self.origin_dirs[best] / template[len(best) + 1:]
        inner = template.split("/", 1)[1] if "/" in template else template
        return self.chart_dir / inner

    def source_line(self, location: Location | None) -> str:
        if location is None:
            return ""
        lines = self.sources.lines(location.file)
        return lines[location.line - 1] if 0 < location.line <= len(lines) else ""

    def chart_file(self, name: str) -> str:
        return self.rel(self.chart_dir / name)


def cap(message: str) -> str:
    """At most 300 characters."""
    return message if len(message) <= _MAX else message[: _MAX - 3].rstrip() + "..."


def _at(location: Location | None) -> str:
    return f" at {location.file}:{location.line}" if location else ""


def explain(error: str, ctx: Context) -> list[tuple[str, Location | None]]:
    """Helm's error text -> [(one sentence, where it points)]: one item, or one per value a
    values.schema.json rejects."""
    location = None
    found = list(_TEMPLATE_LOC.finditer(error))
    if found:
        last = found[-1]  # the innermost template: a helper's line rather than the include's
        path = ctx.template_file(last.group("file"))
        if path.is_file():
            location = Location(ctx.rel(path), int(last.group("line")))
    schema = _schema(error, location, ctx)
    if schema is not None:
        return [(cap(sentence), where) for sentence, where in schema]
    for explainer in (_nil, _chart, _stopped, _parse, _include, _calling, _field, _range, _types):
        said = explainer(error, location, ctx)
        if said is not None:
            sentence, where = said
            return [(cap(sentence), where or location)]
    command = f"helm template {ctx.display}"
    return [(cap(f"Helm could not render {ctx.label}{_at(location)}: an error k8slint does not recognise; run "
                  f"`{command}` locally to see its message"), location)]


def _nil(error: str, location: Location | None, ctx: Context):
    nil = _NIL.search(error)
    if not nil:
        return None
    expr = nil.group("expr") + nil.group("rest")
    field = nil.group("field")
    cut = expr.find("." + field, 1)
    while cut != -1 and expr[cut + len(field) + 1: cut + len(field) + 2] not in ("", "."):
        cut = expr.find("." + field, cut + 1)
    nil_part = expr[:cut] if cut > 0 else expr  # the part that evaluated to nil
    if nil_part.startswith(".Values."):
        key = nil_part[len(".Values."):]
        return (f"values key '{key}' is not set: the template reads {expr} (nil pointer evaluating .{field}); set "
                "it in values.yaml or the environment's values file, or guard it with if/with/default"), None
    variable, _, key = nil_part.partition(".")
    return (f"values key '{key or variable}' is not set on the entry bound to {variable}: the template reads {expr} "
            f"(nil pointer evaluating .{field}); add it to every entry the template ranges over, or guard it with "
            "if/with/default"), None


def _pointer_key(pointer: str) -> str:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/") if p]
    return ".".join(parts)


def _values_line(ctx: Context, key: str, partial: bool = False) -> Location | None:
    """The line of the values file (the last one that sets it wins) where ``key`` is set; with
    ``partial``, where its deepest set parent is (for a key that is missing)."""
    parts = key.split(".") if key else []
    best: Location | None = None
    for path in [*reversed(ctx.values_files), ctx.chart_dir / "values.yaml"]:
        rel = ctx.rel(path)
        docs = ctx.sources.docs(rel)
        node: Any = docs[0].data if docs else None
        line, depth = None, 0
        for part in parts:
            if isinstance(node, dict) and part in node:
                line = node.key_line(part) if hasattr(node, "key_line") else 1
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                line = node.item_line(int(part)) if hasattr(node, "item_line") else 1
                node = node[int(part)]
            else:
                break
            depth += 1
        if line is not None and depth == len(parts):
            return Location(rel, line)
        if partial and line is not None and best is None:
            best = Location(rel, line)
    return best


_SCHEMA_MAX = 10


def _schema(error: str, location: Location | None, ctx: Context):
    """One (sentence, values line) per value the chart's values.schema.json rejects (at most 10)."""
    if "values don't meet the specifications of the schema" not in error:
        return None
    items = []
    for line in error.splitlines():
        line = line.strip()
        new = re.match(r"^- at '(?P<ptr>[^']*)': (?P<what>.*)$", line)
        old = re.match(r"^- (?P<key>[\w.$-]+|\(root\)): (?P<what>.*)$", line)
        if new:
            items.append((_pointer_key(new.group("ptr")), new.group("what")))
        elif old:
            items.append(("" if old.group("key") == "(root)" else old.group("key"), old.group("what")))
    schema = ctx.chart_file("values.schema.json")
    if not items:
        return [(f"the values of {ctx.label} do not match {schema} (the values are not shown)", Location(schema, 1))]
    out = []
    for key, what in items[:_SCHEMA_MAX]:
        key, said = _schema_item(key, what)
        subject = f"values key '{key}'" if key else "the values"
        where = _values_line(ctx, key, partial="required" in said) if key else None
        out.append((f"{subject} {said} ({schema}); the value is not shown", where or Location(schema, 1)))
    if len(items) > _SCHEMA_MAX:
        out.append((f"{len(items) - _SCHEMA_MAX} more values do not match {schema}", Location(schema, 1)))
    return out


def _schema_item(key: str, what: str) -> tuple[str, str]:
    """(values key, what is wrong with it) from one line of Helm's schema error, in k8slint's words."""
    if not _KEY.match(key or "x") or len(key) > 200:
        key = ""
    lowered = what.lower()
    named = re.search(r"(?:missing propert(?:y|ies):? |property )'?([\w.-]+)'?", what)
    if "pattern" in lowered:
        return key, "does not match the pattern the chart's schema requires"
    if "required" in lowered or "missing propert" in lowered:
        child = named.group(1) if named else ""
        if child and _KEY.match(child):
            key = f"{key}.{child}" if key else child
        return key, "is required by the chart's schema and not set"
    if "additional propert" in lowered or "not allowed" in lowered:
        child = re.search(r"propert(?:y|ies) '?([\w.-]+)'?", what)
        if child and _KEY.match(child.group(1)):
            key = f"{key}.{child.group(1)}" if key else child.group(1)
        return key, "is not allowed by the chart's schema (a typo?)"
    want = re.search(r"want (\w+)|expected:? (\w+)", lowered)
    if want and (want.group(1) or want.group(2)) in _SCHEMA_TYPES:
        return key, f"must be of type {want.group(1) or want.group(2)} by the chart's schema"
    if "one of" in lowered or "enum" in lowered:
        return key, "is not one of the values the chart's schema allows"
    if re.search(r"minimum|maximum|less than|greater than|multiple of", lowered):
        return key, "is out of the range the chart's schema allows"
    if "length" in lowered or "items" in lowered:
        return key, "has a length the chart's schema does not allow"
    return key, "does not match the chart's schema"


def _chart(error: str, location: Location | None, ctx: Context):
    chart_yaml = ctx.chart_file("Chart.yaml")
    required = re.search(r"chart\.metadata\.(\w+) is required|(\w+) is required in Chart\.yaml", error)
    if required:
        name = required.group(1) or required.group(2)
        return f"{chart_yaml} lacks '{name}', which Helm requires", Location(chart_yaml, 1)
    if re.search(r"Chart\.yaml file is missing|chart metadata \(Chart\.yaml\) missing", error):
        return f"{ctx.display}: Helm finds no Chart.yaml in the chart", Location(chart_yaml, 1)
    missing = re.search(r"found in (?:Chart|requirements)\.yaml, but missing in charts/ directory: ([\w, .-]+)", error)
    if missing:
        return (f"{chart_yaml} lists dependencies that are not under charts/; k8slint never downloads them: run "
                "`helm dependency build` and commit charts/"), Location(chart_yaml, 1)
    if re.search(r"apiVersion .* is not valid|chart\.metadata\.apiVersion|invalid chart \(?type", error):
        return f"{chart_yaml} has an apiVersion or type Helm does not accept", Location(chart_yaml, 1)
    return None


def _stopped(error: str, location: Location | None, ctx: Context):
    if "execution error at" not in error:
        return None
    line = ctx.source_line(location)
    key = re.search(r"\brequired\s+(?:\"[^\"]*\"|`[^`]*`)\s+\(?\s*\.Values\.([\w-]+(?:\.[\w-]+)*)", line)
    if key:
        return (f"values key '{key.group(1)}' is required by the template{_at(location)} (required) and is not set; set it "
                "in values.yaml or the environment's values file"), None
    if re.search(r"\brequired\b", line):
        return f"a value the template requires{_at(location)} (required) is not set", None
    return (f"the template stops the render with `fail`{_at(location)} (its message is not shown: it may hold a "
            "value); see the condition on that line"), None


def _parse(error: str, location: Location | None, ctx: Context):
    found = re.search(r"parse error (?:at \([^)]*\)|in \"[^\"]*\"): (.*)", error)
    if not found:
        return None
    detail = found.group(1)
    line = ctx.source_line(location)
    function = re.match(r'function "(\w+)" not defined', detail)
    if function and function.group(1) in line:
        return (f"the template{_at(location)} calls '{function.group(1)}', a function Helm does not define (a typo, "
                "or a helper that needs `include`?)"), None
    variable = re.match(r'undefined variable "(\$\w*)"', detail)
    if variable and variable.group(1) in line:
        return f"the template{_at(location)} uses {variable.group(1)}, a variable not defined in its scope", None
    kind = next((phrase for phrase in _GO_PARSE if detail.startswith(phrase) or phrase in detail[:60]), "")
    return f"template syntax error{_at(location)}{f' ({kind})' if kind else ''}", None


def _include(error: str, location: Location | None, ctx: Context):
    found = re.search(r'no template "([\w./-]{1,120})" associated', error)
    if not found:
        return None
    name = found.group(1)
    if f'"{name}"' in ctx.source_line(location):
        return f"the template{_at(location)} includes '{name}', which no template of the chart defines (a typo?)", None
    return f"the template{_at(location)} includes a template that the chart does not define", None


def _calling(error: str, location: Location | None, ctx: Context):
    found = re.search(r"error calling (\w+):", error)
    if not found:
        return None
    function = found.group(1)
    if function == "tpl":
        return (f"`tpl`{_at(location)} could not render the text it was given (not shown: it may hold a value); "
                "a value with `{{` in it is read as a template"), None
    return f"the function '{function}'{_at(location)} failed on the value it was given (not shown)", None


def _field(error: str, location: Location | None, ctx: Context):
    found = re.search(r"can't evaluate field (\w+) in type", error)
    if not found:
        return None
    name = found.group(1)
    if name in ctx.source_line(location):
        return f"the template{_at(location)} reads field '{name}' of a value that has no such field (a string or list?)", None
    return f"the template{_at(location)} reads a field of a value that has no such field", None


def _range(error: str, location: Location | None, ctx: Context):
    if "range can't iterate over" not in error:
        return None
    return (f"the template{_at(location)} ranges over a value that is not a list or a map (its value is not "
            "shown)"), None


def _types(error: str, location: Location | None, ctx: Context):
    if not re.search(r"wrong type for value|incompatible types for comparison|error converting YAML to JSON", error):
        return None
    if "error converting YAML to JSON" in error:
        return f"a template of {ctx.label}{_at(location)} renders text that is not valid YAML", None
    return f"the template{_at(location)} gives a function or comparison a value of the wrong type (not shown)", None
