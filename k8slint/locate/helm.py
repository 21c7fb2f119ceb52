"""Helm provenance: the template line, helper line or values-file line behind a rendered field.

A rendered path is followed down the template's skeleton (:mod:`k8slint.locate.helm_template`): keys
by name, list items by their literal ``name:`` and else by position (an ``if`` whose values make
it false is skipped, a ``range`` or a ``toYaml`` splice stands for as many items as its list
has), ``include``/``template`` splices into the helper that defines them. When the field's value
comes from ``.Values`` - on the line itself (``image: {{ .Values.image.repository }}:{{ .Values.image.tag }}``,
through ``quote``, ``default``, ``printf``, helpers with ``dict`` arguments), or because a whole
block is spliced from values (``{{ toYaml .Values.resources | nindent 12 }}``, a ``range`` over a
values list) - the primary location is the values-file line that set it for this target (the
last of values.yaml, the environment's values file, ``-f`` files that sets it; a ``--set`` has
no line, so the template stays primary) and the template line becomes a related location.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from .helm_expr import ROOT, declared, descend, merge, pipeline_head, range_expr, set_pairs, split_image, split_terms, truthy
from .helm_template import Node, Skeleton, control, inner, local_guards, parse
from ..load import YMap
from ..model import HelmSources, K8sObject, Location
from ..documents import SourceCache, value_at, walk

_UNKNOWN = object()
_REF = re.compile(r"(?<![\w)\]$])(\$[A-Za-z_]\w*|\$)?((?:\.[A-Za-z_]\w*)+)")
_VARIABLE = re.compile(r"(?<![\w.$])\$[A-Za-z_]\w*(?![\w.])")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')
_DEFINE = re.compile(r'\{\{-?\s*(?:define|block)\s+"([^"]+)"')
_CALL = re.compile(r'\b(?:include|template)\s+"([^"]+)"\s*')
_ACTIONS = re.compile(r"\{\{(.*?)\}\}", re.S)
MAX_DEPTH = 6
MAX_EXPANSIONS = 400
MAX_HELPER_FILES = 2000


@dataclass(frozen=True)
class _At:
    """Where the walk stands: a node of a file, and what ``.``, ``$`` and variables mean there."""

    file: str
    node: Node
    ctx: Any = ROOT
    dollar: Any = ROOT
    vars: tuple = ()  # ((name, ctx), ...)
    via: tuple = ()  # Locations of the include lines passed on the way, outermost first
    applied: frozenset = field(default_factory=frozenset)  # ids of frames already taken into account

    def var(self, name: str) -> Any:
        for key, value in reversed(self.vars):
            if key == name:
                return value
        return None


class HelmProvenance:
    def __init__(self, cache: SourceCache) -> None:
        self.cache = cache

    # -- cached inputs -------------------------------------------------------------------
    def skeleton(self, rel: str) -> Skeleton | None:
        key = ("helm-skeleton", rel)
        memo = self.cache.memo
        if key not in memo:
            lines = self.cache.lines(rel)
            memo[key] = parse("\n".join(lines)) if lines else None
        return memo[key]

    def defines(self, helm: HelmSources | None, origin: str) -> "_Helpers":
        """The helpers of the chart and its dependencies: which template file defines each name
        (found by a text search; a file is parsed only when one of its helpers is followed)."""
        folders = helm.helpers if helm is not None else (origin.split("/templates/")[0],)
        key = ("helm-defines", folders)
        memo = self.cache.memo
        if key in memo:
            return memo[key]
        found: dict[str, str] = {}
        seen = 0
        for folder in folders:
            if folder.startswith("../") or os.path.isabs(folder):
                continue  # only what is inside the repository
            for rel, names in self._folder_defines(folder):  # every file the walk meets, in order
                seen += 1
                if seen > MAX_HELPER_FILES:
                    continue
                for define in names:
                    found.setdefault(define, rel)
        memo[key] = _Helpers(self, found)
        return memo[key]

    def _folder_defines(self, folder: str) -> list[tuple[str, tuple]]:
        """(file, names it defines) for every file under the templates folders of ``folder``, in walk
        order (a file not read for helpers has no names), once per run: a library chart (bitnami's
        ``common``) is a helper folder of every chart that depends on it."""
        key = ("helm-folder-defines", folder)
        memo = self.cache.memo
        found = memo.get(key)
        if found is not None:
            return found
        found = []
        root = self.cache.root
        for dirpath, dirnames, filenames in os.walk(root / folder, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            if "templates" not in dirpath.replace("\\", "/").split("/"):
                continue
            for name in sorted(filenames):
                if len(found) >= MAX_HELPER_FILES:  # what comes after is past the limit in any chart
                    memo[key] = found
                    return found
                if not name.endswith((".tpl", ".yaml", ".yml", ".txt")):
                    found.append(("", ()))
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
                found.append((rel, tuple(_DEFINE.findall("\n".join(self.cache.lines(rel))))))
        memo[key] = found
        return found

    def values(self, helm: HelmSources | None) -> Any:
        """The merged values of the render (plain data), or _UNKNOWN without sources."""
        if helm is None:
            return _UNKNOWN
        key = ("helm-values", helm.files, helm.sets)
        memo = self.cache.memo
        if key not in memo:
            merged: dict = {}
            for rel, prefix in helm.files:
                docs = self.cache.docs(rel)
                found, data = value_at(docs[0].data, prefix) if docs else (False, None)
                if found and isinstance(data, dict):
                    merged = merge(merged, data)
            for expression, prefix in helm.sets:
                for steps, raw in set_pairs(expression):
                    if steps[:len(prefix)] != prefix or len(steps) == len(prefix):
                        continue
                    value: Any = {"true": True, "false": False, "null": None}.get(raw, raw)
                    for step in reversed(steps[len(prefix):]):
                        value = {step: value} if isinstance(step, str) else value
                    if isinstance(value, dict):
                        merged = merge(merged, value)
            memo[key] = merged
        return memo[key]

    # -- entry point -----------------------------------------------------------------------
    def trace(self, obj: K8sObject, path: tuple, part: str = "") -> tuple[Location, tuple] | None:
        """(primary location, related locations) of ``path`` in a Helm-rendered object, or None
        when its template cannot be read."""
        skeleton = self.skeleton(obj.origin) if obj.origin else None
        if skeleton is None:
            return None
        return _Walk(self, obj).trace(skeleton, path, part)

    def values_location(self, helm: HelmSources, values_path: tuple) -> Location | str | None:
        """The line of the last values source that sets ``values_path``; 'set' when --set does
        (it has no line); else the deepest line on the way, or None."""
        for expression, prefix in reversed(helm.sets):
            for steps, _ in set_pairs(expression):
                inside = steps[len(prefix):] if steps[:len(prefix)] == prefix else None
                if inside and (values_path[:len(inside)] == inside or inside[:len(values_path)] == values_path):
                    return "set"
        best: tuple[int, Location] | None = None
        for rel, prefix in reversed(helm.files):
            docs = self.cache.docs(rel)
            if not docs:
                continue
            full = tuple(prefix) + tuple(values_path)
            line, depth = walk(docs[0].data, full)
            if depth == len(full) and line:
                return Location(rel, line)
            if depth > len(prefix) and line and (best is None or depth > best[0]):
                best = (depth, Location(rel, line))
        return best[1] if best else None


class _Helpers:
    """define name -> (file, root node of its body), parsed on first use."""

    def __init__(self, provenance: HelmProvenance, files: dict[str, str]) -> None:
        self.provenance = provenance
        self.files = files

    def get(self, name: str) -> tuple[str, Node] | None:
        rel = self.files.get(name)
        skeleton = self.provenance.skeleton(rel) if rel else None
        node = skeleton.defines.get(name) if skeleton else None
        return (rel, node) if node is not None else None


class _Walk:
    """One object's path followed down its template (and helpers, and values files)."""

    def __init__(self, provenance: HelmProvenance, obj: K8sObject) -> None:
        self.provenance = provenance
        self.cache = provenance.cache
        self.obj = obj
        self.helm = obj.helm_sources
        self.merged = provenance.values(self.helm)
        self.helpers = provenance.defines(self.helm, obj.origin or "")
        self.budget = MAX_EXPANSIONS  # helper expansions one trace may make (helpers that include helpers...)

    def trace(self, skeleton: Skeleton, path: tuple, part: str = "") -> tuple[Location, tuple] | None:
        obj = self.obj
        doc = self._document(skeleton)
        if doc is None:
            return None
        at = _At(obj.origin, doc)
        kind = next((c for c in doc.children if c.key == "kind"), None)
        line = kind.line if kind is not None else (doc.children[0].line if doc.children else max(doc.line, 1))
        if path[:1] == ("apiVersion",):
            found = next((c for c in doc.children if c.key == "apiVersion"), None)
            if found is not None:
                return self._leaf(_At(obj.origin, found), found.line, path, part)
        depth = 0
        while depth < len(path):
            step = path[depth]
            if isinstance(step, str):
                found = self._key(at, step)
            else:
                container = value_at(obj.data, path[:depth])[1]
                found = self._item(at, step, container)
            if found is None:
                break
            what, payload = found
            if what == "values":
                values_path, template = payload
                return self._from_values(values_path + tuple(path[depth + 1:]), template, at.via)
            at = payload
            line = at.node.name_line() if at.node.item else at.node.line
            depth += 1
        if depth < len(path) or not path:
            return self._finish(Location(at.file, line), at.via, None)
        return self._leaf(at, line, path, part)

    # -- documents and steps -------------------------------------------------------------------
    def _document(self, skeleton: Skeleton) -> Node | None:
        """The document of the template the object was rendered from: the n-th of its kind."""
        obj = self.obj
        docs = [d for d in skeleton.docs if d.children]
        if not docs:
            return None

        def kind_of(doc: Node) -> str | None:
            node = next((c for c in doc.children if c.key == "kind" and not c.splice), None)
            return node.value.strip().strip("'\"") if node is not None else None

        same = [d for d in docs if kind_of(d) == obj.kind]
        if not same:
            same = [d for d in docs if kind_of(d) is None or "{{" in (kind_of(d) or "")]
        if not same:
            return docs[0] if len(docs) == 1 else None
        return same[min(obj.helm_ordinal, len(same) - 1)]

    def _children(self, at: _At, depth: int = 0) -> Iterator[tuple[Node, _At]]:
        """The children of ``at.node``; an include whose helper writes YAML lines is opened in place."""
        for child in at.node.children:
            if child.splice and depth < MAX_DEPTH and self.budget > 0:
                self.budget -= 1
                opened = self._open(child, at)
                if opened is not None and _structural(opened.node):
                    yield from self._children(opened, depth + 1)
                    continue
            yield child, at

    def _open(self, splice: Node, at: _At) -> _At | None:
        """The define an include/template splice (or value) calls, with what its argument means."""
        call = _CALL.search(splice.splice if splice.splice else splice.value)
        if call is None:
            return None
        found = self.helpers.get(call.group(1))
        if found is None:
            return None
        rel, root = found
        argument = pipeline_head(splice.splice[call.end():] if splice.splice else
                                  (splice.value[call.end():].split("}}")[0]))
        parts = split_terms(argument)
        ctx = self._context(parts[0], at) if parts else None
        return _At(rel, root, ctx, ctx, (), at.via + (Location(at.file, splice.line),))

    def _key(self, at: _At, key: str) -> tuple | None:
        children = list(self._children(at))
        literal = [(c, a) for c, a in children if not c.splice and not c.item and c.key == key]
        for child, cat in literal:
            if self._possible(child, cat) is not False:
                return "node", self._enter(child, cat)
        if literal:
            return "node", self._enter(*literal[0])
        for child, cat in children:  # a key written by a range over a values map: {{ $k }}: {{ $v }}
            if child.key and "{{" in child.key and not child.splice:
                frames = [f for f in local_guards(child, at.node) if f.kind == "range"]
                if frames and self._possible(child, cat) is not False:
                    return "node", self._enter(child, cat, key=key)
        splices = [(c, a) for c, a in children if c.splice]
        sources = [(self._splice_values(c, a), c, a) for c, a in splices if self._possible(c, a) is not False]
        sources = [s for s in sources if s[0] is not None]
        for source, child, cat in sources:  # the splice whose values have the key, else the first
            found, value = value_at(self.merged, source) if self.merged is not _UNKNOWN else (False, None)
            if found and isinstance(value, dict) and key in value:
                return "values", (source + (key,), Location(cat.file, child.line))
        if sources:
            source, child, cat = sources[0]
            return "values", (source + (key,), Location(cat.file, child.line))
        return None

    def _item(self, at: _At, index: int, rendered: Any) -> tuple | None:
        elements = [(c, a) for c, a in self._children(at) if c.item or c.splice]
        elements = [(c, a) for c, a in elements if self._possible(c, a) is not False]
        items = rendered if isinstance(rendered, list) else []
        if not elements or not 0 <= index < len(items):
            return None
        wanted = _name(items[index])
        if wanted is not None:
            for child, cat in elements:
                if not child.splice and child.literal_name() == wanted and not self._repeats(child, cat):
                    return "node", self._enter(child, cat)
        counts = [self._count(c, a) if self._repeats(c, a) else 1 for c, a in elements]
        names_after = [set(filter(None, (e[0].literal_name() for e in elements[i + 1:]))) for i in range(len(elements))]
        pointer, used, chosen = 0, [0] * len(elements), None
        for position, item in enumerate(items[:index + 1]):
            name = _name(item)
            chosen = None
            while pointer < len(elements):
                child, cat = elements[pointer]
                if self._repeats(child, cat):
                    limit = counts[pointer]
                    if (limit is not None and used[pointer] >= limit) or (limit is None and name in names_after[pointer]):
                        pointer += 1
                        continue
                    chosen = (pointer, used[pointer])
                    used[pointer] += 1
                    break
                literal = child.literal_name()
                if name is not None and literal is not None and literal != name:
                    pointer += 1
                    continue
                chosen = (pointer, 0)
                pointer += 1
                break
        if chosen is None:
            return None
        child, cat = elements[chosen[0]]
        if child.splice:
            source = self._splice_values(child, cat)
            if source is not None:
                return "values", (source + (chosen[1],), Location(cat.file, child.line))
            return "node", _At(cat.file, child, cat.ctx, cat.dollar, cat.vars, cat.via, cat.applied)
        return "node", self._enter(child, cat, index=chosen[1])

    def _repeats(self, node: Node, at: _At) -> bool:
        return bool(node.splice) or any(f.kind == "range" and not f.otherwise and id(f) not in at.applied for f in node.guards)

    def _count(self, node: Node, at: _At) -> int | None:
        """How many rendered items a range or values splice stands for, when the values say."""
        merged = self.merged
        if merged is _UNKNOWN:
            return None
        if node.splice:
            source = self._splice_values(node, at)
        else:
            frame = next((f for f in node.guards if f.kind == "range" and id(f) not in at.applied), None)
            target = self._context(range_expr(frame.expr), at) if frame is not None else None
            source = target[1] if isinstance(target, tuple) and target[:1] == ("values",) else None
        if source is None:
            return None
        found, value = value_at(merged, source)
        if not found or value is None:
            return 0
        return len(value) if isinstance(value, (list, dict)) else None

    def _enter(self, node: Node, at: _At, index: int | None = None, key: str | None = None) -> _At:
        """Step onto ``node``: the with/range blocks around it (and not around ``at``) set ``.``."""
        ctx, variables = at.ctx, list(at.vars)
        for frame in node.guards:
            if id(frame) in at.applied or frame.otherwise:
                continue
            if frame.kind == "with":
                names, expr = declared(frame.expr)
                ctx = self._context(expr, _At(at.file, node, ctx, at.dollar, tuple(variables)))
                if names:
                    variables.append((names[-1], ctx))
            elif frame.kind == "range":
                names, expr = declared(frame.expr)
                target = self._context(range_expr(expr), _At(at.file, node, ctx, at.dollar, tuple(variables)))
                step = index if index is not None else key
                if isinstance(target, tuple) and target[:1] == ("values",) and isinstance(step, int) and self.merged is not _UNKNOWN:
                    found, ranged = value_at(self.merged, target[1])
                    if found and isinstance(ranged, dict):  # a range over a map goes in sorted key order
                        keys = sorted(ranged, key=str)
                        step = keys[step] if step < len(keys) else None
                element = ("values", target[1] + (step,)) if (isinstance(target, tuple) and target[:1] == ("values",)
                                                                and step is not None) else None
                ctx = element
                if len(names) == 2:
                    variables.extend([(names[0], None), (names[1], element)])
                elif names:
                    variables.append((names[0], element))
        applied = at.applied | frozenset(id(f) for f in node.guards)
        return _At(at.file, node, ctx, at.dollar, tuple(variables), at.via, applied)

    # -- what a splice or a value reads -------------------------------------------------------------
    def _splice_values(self, node: Node, at: _At) -> tuple | None:
        """The values path a splice writes out (toYaml .Values.x, tpl, a helper rendering a value)."""
        action = node.splice
        at = self._enter(node, at)  # a with block around the splice sets what "." is
        found = re.search(r"\btoYaml\s+(\(?[$.][\w.$]*\)?)", action) or re.search(r"([$.][\w.$]*)\s*\|\s*toYaml\b", action) \
            or re.match(r"^tpl\s+(\(?[$.][\w.$]*\)?)", action)
        if found:
            target = self._context(found.group(1).strip("()"), at)
            return target[1] if isinstance(target, tuple) and target[:1] == ("values",) else None
        opened = self._open(node, at)
        if opened is not None and not _structural(opened.node):
            for source in self._refs_in_define(opened, 0):
                if source[0] == "values" and source[1]:
                    return source[1]
        return None

    def _refs(self, text: str, at: _At, depth: int) -> list[tuple]:
        """Sources an output text reads, in order: ('values', path) and ('chart', field)."""
        out: list[tuple] = []
        for action in _ACTIONS.findall(text):
            action = inner(action)
            if control(action) is not None:
                continue
            assigned = re.match(r"^\$\w+\s*:?=\s*(.*)$", action, re.S)
            body = assigned.group(1) if assigned else action
            for call in _CALL.finditer(body):
                self.budget -= 1
                if depth >= MAX_DEPTH or self.budget < 0:
                    break
                helper = self.helpers.get(call.group(1))
                if helper is None:
                    continue
                parts = split_terms(pipeline_head(body[call.end():]))
                ctx = self._context(parts[0], at) if parts else None
                out.extend(self._refs_in_define(_At(helper[0], helper[1], ctx, ctx), depth + 1))
            bare = _CALL.sub(" ", _STRING.sub('""', body))
            for found in _REF.finditer(bare):
                source = self._context((found.group(1) or "") + found.group(2), at)
                if isinstance(source, tuple) and source[:1] in (("values",), ("chart",)):
                    out.append(source)
            for found in _VARIABLE.finditer(bare):  # {{ $value }} bound by a range or with
                source = at.var(found.group(0))
                if isinstance(source, tuple) and source[:1] == ("values",):
                    out.append(source)
            if re.search(r"(?<![\w.$])\.(?![\w.])", bare) and isinstance(at.ctx, tuple) and at.ctx[:1] == ("values",):
                out.append(at.ctx)  # {{ . }} inside a with/range over values
        return out

    def _refs_in_define(self, at: _At, depth: int) -> list[tuple]:
        key = ("helm-define-text", at.file, at.node.line)
        memo = self.cache.memo
        if key not in memo:
            lines = self.cache.lines(at.file)
            memo[key] = "\n".join(lines[at.node.line - 1: at.node.end or len(lines)])
        return self._refs(memo[key], at, depth)

    def _context(self, term: str, at: _At) -> Any:
        """What a term means: ROOT, ('values', path), ('chart', field), ('dict', {...}) or None."""
        term = term.strip()
        while term.startswith("(") and term.endswith(")"):
            term = term[1:-1].strip()
        if term == ".":
            return at.ctx
        if term == "$":
            return at.dollar
        parts = split_terms(term)
        if len(parts) > 1:
            if parts[0] == "dict":
                mapping = {}
                for name, value in zip(parts[1::2], parts[2::2]):
                    if name.startswith('"'):
                        mapping[name.strip('"')] = self._context(value, at)
                return ("dict", mapping)
            if parts[0] in ("default", "coalesce") and len(parts) >= 3:
                return self._context(parts[-1], at)
            if parts[0] in ("omit", "pick", "deepCopy", "merge", "mergeOverwrite") and len(parts) >= 2:
                return self._context(parts[1], at)  # the values map it starts from
            return None
        found = re.match(r"^(\$[A-Za-z_]\w*|\$)?((?:\.[A-Za-z_]\w*)+)$", term)
        if not found:
            return None
        head = found.group(1)
        base = at.ctx if head is None else at.dollar if head == "$" else at.var(head)
        return descend(base, found.group(2).split(".")[1:])

    # -- conditions ------------------------------------------------------------------------------
    def _possible(self, node: Node, at: _At) -> bool | None:
        """False when the values make an if/with/range around ``node`` (not around ``at``) false."""
        merged = self.merged
        if merged is _UNKNOWN:
            return None
        ctx = at.ctx
        for frame in node.guards:
            if id(frame) in at.applied:
                continue
            here = _At(at.file, node, ctx, at.dollar, at.vars)
            for expr, wanted in frame.conds:
                truth = self._truth(declared(expr)[1] if frame.kind != "if" else expr, here, merged)
                if truth is not None and truth != wanted:
                    return False
            if frame.kind == "with" and not frame.otherwise:
                ctx = self._context(declared(frame.expr)[1], here)
            elif frame.kind == "range":
                ctx = None
        return True

    def _truth(self, expr: str, at: _At, merged: Any) -> bool | None:
        if pipeline_head(expr) != expr.strip():
            return None  # `.Values.x | default true`: not evaluated here
        value = self._eval(expr, at, merged, 0)
        return None if value is _UNKNOWN else truthy(value)

    def _eval(self, text: str, at: _At, merged: Any, depth: int) -> Any:
        if depth > 8:
            return _UNKNOWN
        parts = split_terms(text.strip())
        if not parts:
            return _UNKNOWN
        if len(parts) == 1:
            term = parts[0]
            if term.startswith("(") and term.endswith(")"):
                inside = term[1:-1].strip()
                return self._eval(inside, at, merged, depth + 1) if pipeline_head(inside) == inside else _UNKNOWN
            if term.startswith('"') and term.endswith('"'):
                return term[1:-1]
            if term in ("true", "false"):
                return term == "true"
            if re.fullmatch(r"-?\d+", term):
                return int(term)
            target = self._context(term, at)
            if isinstance(target, tuple) and target[:1] == ("values",):
                found, value = value_at(merged, target[1])
                return value if found else None
            return _UNKNOWN
        head, args = parts[0], [self._eval(t, at, merged, depth + 1) for t in parts[1:]]
        if head == "not" and len(args) == 1:
            return _UNKNOWN if args[0] is _UNKNOWN else not truthy(args[0])
        if head == "empty" and len(args) == 1:
            return _UNKNOWN if args[0] is _UNKNOWN else not truthy(args[0])
        if head in ("and", "or"):
            known = [a for a in args if a is not _UNKNOWN]
            if head == "and" and any(not truthy(a) for a in known):
                return False
            if head == "or" and any(truthy(a) for a in known):
                return True
            return _UNKNOWN if len(known) < len(args) else (head == "and")
        if head in ("eq", "ne") and len(args) == 2 and _UNKNOWN not in args:
            return (args[0] == args[1]) == (head == "eq")
        return _UNKNOWN

    # -- leaves and values files ----------------------------------------------------------------------
    def _leaf(self, at: _At, line: int, path: tuple, part: str) -> tuple[Location, tuple]:
        template = Location(at.file, line)
        node = at.node
        sources: list[tuple] = []
        if node.value and not node.item:
            sources = self._refs(node.value, at, 0)
        elif not node.value and not node.item and node.children and all(c.splice for c in node.children):
            for child in node.children:  # a block written whole from values (resources: + toYaml)
                if self._possible(child, at) is not False:
                    source = self._splice_values(child, at)
                    if source is not None:
                        sources = [("values", source)]
                        break
        if not sources or self.helm is None:
            return self._finish(template, at.via, None)
        rendered = value_at(self.obj.data, path)[1]
        choice = self._choose(sources, rendered, part)
        if choice is None:
            return self._finish(template, at.via, None)
        return self._finish(template, at.via, choice)

    def _choose(self, sources: list[tuple], rendered: Any, part: str) -> Location | None:
        merged, helm = self.merged, self.helm
        chart_values = {"AppVersion": "appVersion"}
        candidates = []  # (source, resolved value, location)
        for source in dict.fromkeys(sources):
            if source[0] == "values":
                found, value = value_at(merged, source[1]) if merged is not _UNKNOWN else (False, None)
                if not found or value in (None, "") or (isinstance(value, (dict, list)) and len(sources) > 1):
                    continue
                if not part and not isinstance(value, (dict, list)) and isinstance(rendered, str) != isinstance(value, str):
                    continue  # the template changed its type (port: {{ .Values.port | quote }}): the template line is the cause
                where = self.provenance.values_location(helm, source[1])
            elif source[0] == "chart" and source[1] in chart_values:
                chart_yaml = f"{helm.chart}/Chart.yaml" if helm.chart not in ("", ".") else "Chart.yaml"
                docs = self.cache.docs(chart_yaml)
                data = docs[0].data if docs and isinstance(docs[0].data, YMap) else None
                field_name = chart_values[source[1]]
                if data is None or field_name not in data:
                    continue
                value, where = data[field_name], Location(chart_yaml, data.key_line(field_name))
            else:
                continue
            candidates.append((source, value, where))
        if not candidates:
            return None
        picked = None
        if part and isinstance(rendered, str) and len(candidates) > 1:
            name, tag, digest = split_image(rendered)
            if part == "tag":
                wanted = [v for v in (digest, tag) if v]
                matching = [c for c in candidates if isinstance(c[1], (str, int, float)) and str(c[1]) in wanted]
                picked = matching[-1] if matching else None
            else:
                matching = [c for c in candidates if isinstance(c[1], str) and c[1] and c[1] in name]
                picked = matching[0] if matching else None
        if picked is None:
            order = {rel: position for position, (rel, _) in enumerate(helm.files)}
            ranked = [c for c in candidates if isinstance(c[2], Location)]
            if not ranked:
                return candidates[0][2] if isinstance(candidates[0][2], Location) else None
            picked = max(ranked, key=lambda c: order.get(c[2].file, -1))  # max() keeps the first of equals
            if order.get(picked[2].file, -1) == -1:
                picked = ranked[0]
        return picked[2] if isinstance(picked[2], Location) else None

    def _from_values(self, values_path: tuple, template: Location, via: tuple) -> tuple[Location, tuple]:
        where = self.provenance.values_location(self.helm, values_path) if self.helm is not None else None
        return self._finish(template, via, where if isinstance(where, Location) else None)

    def _finish(self, template: Location, via: tuple, values: Location | None) -> tuple[Location, tuple]:
        """(primary, related): the values line when there is one, with the template line(s) it went through."""
        chain = [*via, template]
        if values is None:
            primary = template
            related = [chain[0]] if chain[0] != template else []
        else:
            primary = values
            related = [chain[0]] + ([template] if template != chain[0] else [])
        return primary, tuple(dict.fromkeys(r for r in related if r != primary))


def _structural(root: Node) -> bool:
    """Whether a define writes YAML lines (keys or items) rather than one value."""
    stack = list(root.children)
    while stack:
        node = stack.pop()
        if not node.splice:
            return True
    return False


def _name(item: Any) -> str | None:
    value = item.get("name") if isinstance(item, dict) else None
    return value if isinstance(value, str) else None
