"""ApplicationSet generators -> parameter sets, as Argo CD computes them, without a cluster.

Supported: ``list`` (``elements`` and ``elementsYaml``), ``git`` directories (``path.Match``
patterns, ``exclude``) and files (JSON/YAML, one object or a list of objects) over this
repository, ``matrix`` and ``merge`` of those, and ``clusters``. Generator ``values``,
``selector`` and ``pathParamPrefix`` work as in Argo CD.

The cluster generator has no cluster to ask. It yields what can be known from the repository:
Argo CD's own cluster (``in-cluster``, ``https://kubernetes.default.svc``) when the generator has
no selector (Argo CD leaves the local cluster out when there is one), plus every cluster Secret
(label ``argocd.argoproj.io/secret-type: cluster``) declared in the repository that the selector
matches. Clusters registered only in Argo CD are unknown: a note says so once.

``scmProvider``, ``pullRequest``, ``clusterDecisionResource``, ``plugin`` and other generators need
a network or a cluster: they are noted and yield nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
import posixpath
from dataclasses import dataclass, field
from typing import Any, Callable

from ...load import YList, YMap, load_text
from . import gotemplate, paths
from .model import IN_CLUSTER, Doc

MAX_PARAM_SETS = 10_000  # per generator: a matrix of two large lists stays bounded
MAX_GENERATOR_FILE = 1 << 20
UNSUPPORTED = ("scmProvider", "pullRequest", "clusterDecisionResource", "plugin")


class GenerationError(Exception):
    """Argo CD would refuse the ApplicationSet (it generates nothing): message and line."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


class NotFollowed(Exception):
    """A generator k8slint cannot expand (network, cluster, another repository): a note."""

    def __init__(self, kind: str, subject: str, message: str, line: int) -> None:
        super().__init__(message)
        self.kind, self.subject, self.line = kind, subject, line


@dataclass
class Language:
    """The template language of one ApplicationSet."""

    go: bool
    missing_error: bool = False

    def render(self, text: str, params: dict) -> str:
        if self.go:
            return gotemplate.render(text, params, missing_error=self.missing_error)
        return gotemplate.fast(text, params)


def render_tree(node: Any, params: dict, lang: Language) -> Any:
    """Every string (map keys too) of a YAML tree rendered with ``params``; lines are kept.
    With no parameters Argo CD leaves the template as it is."""
    if not params:
        return node
    if isinstance(node, str):
        return lang.render(node, params)
    if isinstance(node, YMap):
        out = YMap()
        out.line = node.line
        klines = {}
        for key, value in node.items():
            try:
                new_key = lang.render(key, params) if isinstance(key, str) else key
                out[new_key] = render_tree(value, params, lang)
            except gotemplate.TemplateError as exc:
                if getattr(exc, "line", None) is None:
                    exc.line = node.key_line(key)  # the innermost field whose template failed
                raise
            klines[new_key] = node.key_line(key)
        out.klines = klines
        return out
    if isinstance(node, dict):
        return {(lang.render(k, params) if isinstance(k, str) else k): render_tree(v, params, lang) for k, v in node.items()}
    if isinstance(node, YList):
        out_list = YList(render_tree(v, params, lang) for v in node)
        out_list.line, out_list.ilines = node.line, list(node.ilines)
        return out_list
    if isinstance(node, list):
        return [render_tree(v, params, lang) for v in node]
    return node


def flatten(params: dict, prefix: str = "") -> dict[str, str]:
    """Nested parameters -> ``a.b.0`` keys with Go-printed values (for display and selectors)."""
    out: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, name + "."))
        elif isinstance(value, list) and value:
            out.update(flatten({str(i): v for i, v in enumerate(value)}, name + "."))
        else:
            out[name] = gotemplate.go_string(value)
    return out


def _deep_fill(base: dict, extra: dict) -> dict:
    """mergo.Merge without override: keys of ``extra`` fill what ``base`` lacks, maps recursively."""
    out = dict(base)
    for key, value in extra.items():
        if key not in out or out[key] in (None, ""):
            out[key] = value
        elif isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = _deep_fill(out[key], value)
    return out


def _deep_override(base: dict, extra: dict) -> dict:
    """mergo.Merge with override: non-empty values of ``extra`` win, maps merged recursively."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = _deep_override(out[key], value)
        elif value not in (None, "") or key not in out:
            out[key] = value
    return out


def merge_template(generator_template: Any, base: Any) -> Any:
    """A generator's own ``template`` over the ApplicationSet's (mergo.Merge into the generator's):
    its non-empty fields win, the others come from the ApplicationSet's template. Lines are kept."""
    if not isinstance(generator_template, dict) or not generator_template:
        return base
    if not isinstance(base, dict):
        return generator_template
    return _fill(generator_template, base)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def _fill(over: dict, under: dict) -> YMap:
    out = YMap()
    out.line = getattr(over, "line", getattr(under, "line", 1))
    klines: dict = {}
    for key, value in over.items():
        if _empty(value) and key in under:
            continue
        other = under.get(key)
        out[key] = _fill(value, other) if isinstance(value, dict) and isinstance(other, dict) else value
        klines[key] = over.key_line(key) if isinstance(over, YMap) else out.line
    for key, value in under.items():
        if key not in out:
            out[key] = value
            klines[key] = under.key_line(key) if isinstance(under, YMap) else out.line
    out.klines = klines
    return out


@dataclass
class ParamSet:
    params: dict
    generator: str
    template: Any = None  # the generator's own template (merged over the ApplicationSet's)


@dataclass
class Context:
    """What generators may look at: the repository, its cluster Secrets, and the set's language."""

    tree: paths.Tree
    lang: Language
    is_this_repo: Callable[[str | None], bool]
    docs: list[Doc] = field(default_factory=list)
    apply_nested_selectors: bool = False
    notes: list[tuple[str, str, str, int]] = field(default_factory=list)  # (kind, subject, message, line)
    dirs: Callable[[], list[str]] = field(default=lambda: [])  # every folder of the repository
    files: Callable[[], list[str]] = field(default=lambda: [])  # every file of the repository


def _line(node: Any, key: str | None = None) -> int:
    if isinstance(node, YMap):
        return node.key_line(key) if key else node.line
    return getattr(node, "line", 1)


def _kind(generator: Any) -> str | None:
    if not isinstance(generator, dict):
        return None
    kinds = [k for k in generator if k not in ("selector", "values", "template")]
    return kinds[0] if kinds else None


def expand(generator: Any, ctx: Context, outer: dict | None = None, nested: bool = False) -> list[ParamSet]:
    """Parameter sets of one generator (``outer``: the first matrix child's parameters, which
    the second child may use)."""
    kind = _kind(generator)
    line = _line(generator)
    if kind is None:
        raise GenerationError("a generator with no generator kind", line)
    if outer:
        generator = render_tree(generator, outer, ctx.lang)
    body = generator.get(kind)
    if kind == "list":
        sets = _list(body, ctx, line)
        name = "list"
    elif kind == "git":
        sets, name = _git(body, ctx, line)
    elif kind == "clusters":
        sets = _clusters(body, ctx, line)
        name = "clusters"
    elif kind == "matrix":
        sets, name = _matrix(body, ctx, line, nested)
    elif kind == "merge":
        sets, name = _merge(body, ctx, line, nested)
    elif kind in UNSUPPORTED:
        raise NotFollowed("generator", kind, f"the {kind} generator needs a network or a cluster: k8slint does not expand it", line)
    else:
        raise NotFollowed("generator", kind, f"the {kind} generator is not supported: k8slint does not expand it", line)
    selector = generator.get("selector")
    if selector and (not nested or ctx.apply_nested_selectors):
        sets = [p for p in sets if _selects(selector, p)]
    template = body.get("template") if isinstance(body, dict) and not nested else None  # nested ones are ignored
    return [ParamSet(p, name, template if isinstance(template, dict) else None) for p in sets]


def _bounded(sets: list, line: int) -> list:
    if len(sets) > MAX_PARAM_SETS:
        raise GenerationError(f"the generator yields more than {MAX_PARAM_SETS:,} parameter sets", line)
    return sets


def _with_values(params: dict, values: Any, ctx: Context, line: int) -> dict:
    if not isinstance(values, dict) or not values:
        return params
    rendered: dict[str, str] = {}
    for key, value in values.items():
        try:
            rendered[str(key)] = ctx.lang.render(str(value), params)
        except gotemplate.TemplateError as exc:
            raise GenerationError(f"values.{key}: {exc}", line) from None
    out = dict(params)
    if ctx.lang.go:
        out["values"] = rendered
    else:
        out.update({f"values.{k}": v for k, v in rendered.items()})
    return out


# ---------------------------------------------------------------- list


def _list(body: Any, ctx: Context, line: int) -> list[dict]:
    if not isinstance(body, dict):
        raise GenerationError("list generator without elements", line)
    out: list[dict] = []
    for element in body.get("elements") or []:
        if not isinstance(element, dict):
            raise GenerationError("a list element is not a mapping", line)
        if ctx.lang.go:
            out.append(dict(element))
            continue
        params: dict[str, str] = {}
        for key, value in element.items():
            if key == "values":
                if not isinstance(value, dict):
                    raise GenerationError("error parsing values map", _line(element, key))
                for k, v in value.items():
                    if not isinstance(v, str):
                        raise GenerationError(f"list element values.{k} is not a string", _line(value, k))
                    params[f"values.{k}"] = v
            elif not isinstance(value, str):
                raise GenerationError(f"list element key {key!r} is not a string (with goTemplate off every value must be)", _line(element, key))
            else:
                params[str(key)] = value
        out.append(params)
    text = body.get("elementsYaml")
    if isinstance(text, str) and text.strip():
        if "{{" in text:
            raise GenerationError("elementsYaml still holds template placeholders after interpolation", _line(body, "elementsYaml"))
        docs, errors = load_text(text)
        data = docs[0].data if docs else []
        if errors or not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
            raise GenerationError("elementsYaml is not a YAML list of mappings", _line(body, "elementsYaml"))
        out.extend(dict(e) for e in data)
    return _bounded(out, line)


# ---------------------------------------------------------------- git


def _git(body: Any, ctx: Context, line: int) -> tuple[list[dict], str]:
    if not isinstance(body, dict):
        raise GenerationError("git generator without repoURL", line)
    url = body.get("repoURL")
    if not ctx.is_this_repo(url if isinstance(url, str) else None):
        from .repourl import sanitize

        shown = sanitize(str(url or ""))
        raise NotFollowed("repository", shown, f"the git generator reads {shown or 'no repoURL'}, which is not this repository: not fetched", _line(body, "repoURL"))
    prefix = body.get("pathParamPrefix") or ""
    if body.get("directories"):
        return _git_directories(body, ctx, line, prefix), "git-directories"
    if body.get("files"):
        return _git_files(body, ctx, line, prefix), "git-files"
    raise GenerationError("git generator with neither directories nor files", line)


def _path_params(ctx: Context, directory: str, filename: str | None, prefix: str) -> dict:
    base = posixpath.basename(directory)
    if ctx.lang.go:
        info: dict[str, Any] = {"path": directory, "basename": base, "basenameNormalized": gotemplate.sanitize_name(base)}
        if filename is not None:
            info["filename"] = filename
            info["filenameNormalized"] = gotemplate.sanitize_name(filename)
        info["segments"] = directory.split("/")
        return {prefix: {"path": info}} if prefix else {"path": info}
    name = f"{prefix}.path" if prefix else "path"
    out = {name: directory, f"{name}.basename": base, f"{name}.basenameNormalized": gotemplate.sanitize_name(base)}
    if filename is not None:
        out[f"{name}.filename"] = filename
        out[f"{name}.filenameNormalized"] = gotemplate.sanitize_name(filename)
    out.update({f"{name}[{i}]": s for i, s in enumerate(directory.split("/")) if s})
    return out


def _git_directories(body: dict, ctx: Context, line: int, prefix: str) -> list[dict]:
    requests = [d for d in body["directories"] if isinstance(d, dict) and isinstance(d.get("path"), str)]
    out = []
    for directory in ctx.dirs():
        included = any(not r.get("exclude") and paths.go_match(r["path"], directory) for r in requests)
        excluded = any(r.get("exclude") and paths.go_match(r["path"], directory) for r in requests)
        if included and not excluded:
            out.append(_with_values(_path_params(ctx, directory, None, prefix), body.get("values"), ctx, line))
    return _bounded(out, line)


def _read_generator_file(tree: paths.Tree, rel: str, line: int) -> list[dict]:
    text = tree.read_text(rel, MAX_GENERATOR_FILE)
    if text is None:
        raise GenerationError(f"unable to process file '{rel}': it is not a readable text file of at most 1 MiB "
                              "inside this repository", line)
    docs, errors = load_text(text)
    if errors:
        raise GenerationError(f"unable to process file '{rel}': {errors[0].message} (line {errors[0].line})", line)
    data = docs[0].data if docs else {}
    if isinstance(data, dict):
        return [dict(data)]
    if isinstance(data, list) and all(isinstance(e, dict) for e in data):
        return [dict(e) for e in data]
    raise GenerationError(f"unable to process file '{rel}': it holds neither a mapping nor a list of mappings", line)


def _git_files(body: dict, ctx: Context, line: int, prefix: str) -> list[dict]:
    requests = [f for f in body["files"] if isinstance(f, dict) and isinstance(f.get("path"), str)]
    chosen: set[str] = set()
    for request in requests:
        if not request.get("exclude"):
            chosen.update(f for f in ctx.files() if paths.git_files_match(request["path"], f))
    for request in requests:
        if request.get("exclude"):
            chosen.difference_update({f for f in chosen if paths.git_files_match(request["path"], f)})
    out = []
    for rel in sorted(chosen):
        for found in _read_generator_file(ctx.tree, rel, line):
            directory, filename = posixpath.dirname(rel) or ".", posixpath.basename(rel)
            if ctx.lang.go:
                params = dict(found)
                params.update(_path_params(ctx, directory, filename, prefix))
            else:
                params = flatten(found)
                params.update(_path_params(ctx, directory, filename, prefix))
            out.append(_with_values(params, body.get("values"), ctx, line))
    return _bounded(out, line)


# ---------------------------------------------------------------- clusters


def _secret_field(data: Any, key: str) -> str | None:
    string_data = data.get("stringData") if isinstance(data.get("stringData"), dict) else {}
    if isinstance(string_data.get(key), str):
        return string_data[key]
    encoded = data.get("data") if isinstance(data.get("data"), dict) else {}
    if isinstance(encoded.get(key), str):
        try:
            return base64.b64decode(encoded[key], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None


def cluster_secrets(docs: list[Doc]) -> list[dict]:
    """Argo CD cluster Secrets declared in the repository: name, server, labels, annotations
    (never the ``config``, which holds credentials)."""
    out = []
    for doc in docs:
        data = doc.data
        if not isinstance(data, dict) or data.get("kind") != "Secret" or data.get("apiVersion") != "v1":
            continue
        meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
        if labels.get("argocd.argoproj.io/secret-type") != "cluster":
            continue
        name, server = _secret_field(data, "name"), _secret_field(data, "server")
        if not server:
            continue
        annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
        out.append({"name": name or server, "server": server, "project": _secret_field(data, "project") or "",
                    "labels": {str(k): str(v) for k, v in labels.items()},
                    "annotations": {str(k): str(v) for k, v in annotations.items()},
                    "file": doc.file, "line": doc.line})
    return sorted(out, key=lambda c: (c["name"], c["server"]))


def _selector_matches(selector: Any, labels: dict[str, str]) -> bool:
    if not isinstance(selector, dict):
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(str(key)) != str(value):
            return False
    for expr in selector.get("matchExpressions") or []:
        if not isinstance(expr, dict):
            continue
        key, op = str(expr.get("key")), str(expr.get("operator"))
        values = [str(v) for v in expr.get("values") or []]
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _selects(selector: Any, params: dict) -> bool:
    """A generator's post-selector, matched against the parameters' top-level string values."""
    return _selector_matches(selector, {k: v for k, v in params.items() if isinstance(v, str)})


def _clusters(body: Any, ctx: Context, line: int) -> list[dict]:
    body = body if isinstance(body, dict) else {}
    selector = body.get("selector") if isinstance(body.get("selector"), dict) else {}
    has_selector = bool(selector.get("matchLabels") or selector.get("matchExpressions"))
    secrets = [c for c in cluster_secrets(ctx.docs) if _selector_matches(selector, c["labels"])]
    clusters = []
    if not has_selector and not any(c["server"].rstrip("/") == IN_CLUSTER for c in secrets):
        clusters.append({"name": "in-cluster", "server": IN_CLUSTER, "project": "", "labels": {}, "annotations": {}, "local": True})
    clusters.extend(secrets)
    declared = len(secrets)
    ctx.notes.append(("clusters", "clusters",
                      "the cluster generator lists the clusters registered in Argo CD; without cluster access k8slint knows "
                      + ("Argo CD's own cluster (in-cluster)" if not has_selector else "no local cluster (the selector leaves it out)")
                      + f" and {declared} cluster Secret{'s' if declared != 1 else ''} declared in this repository", line))
    out = []
    for cluster in clusters:
        if ctx.lang.go:
            params: dict[str, Any] = {"name": cluster["name"], "nameNormalized": gotemplate.sanitize_name(cluster["name"]),
                                      "server": cluster["server"], "project": cluster["project"]}
            if not cluster.get("local"):
                params["metadata"] = {"labels": dict(cluster["labels"]), "annotations": dict(cluster["annotations"])}
        else:
            params = {"name": cluster["name"], "nameNormalized": gotemplate.sanitize_name(cluster["name"]),
                      "server": cluster["server"], "project": cluster["project"]}
            params.update({f"metadata.labels.{k}": v for k, v in cluster["labels"].items()})
            params.update({f"metadata.annotations.{k}": v for k, v in cluster["annotations"].items()})
        out.append(_with_values(params, body.get("values"), ctx, line))
    return out


# ---------------------------------------------------------------- matrix and merge


def _children(body: Any, line: int, what: str) -> list:
    generators = body.get("generators") if isinstance(body, dict) else None
    if not isinstance(generators, list):
        raise GenerationError(f"{what} generator without generators", line)
    return generators


def _matrix(body: Any, ctx: Context, line: int, nested: bool) -> tuple[list[dict], str]:
    children = _children(body, line, "matrix")
    if len(children) < 2:
        raise GenerationError("found less than two generators, Matrix support only two", line)
    if len(children) > 2:
        raise GenerationError("found more than two generators in a matrix", line)
    first = expand(children[0], ctx, nested=True)
    names = [first[0].generator if first else _kind(children[0]) or "?"]
    out: list[dict] = []
    second_name = _kind(children[1]) or "?"
    for a in first:
        for b in expand(children[1], ctx, outer=a.params, nested=True):
            second_name = b.generator
            if ctx.lang.go:
                out.append(_deep_fill(_deep_fill({}, a.params), b.params))
            else:
                clash = next((k for k in a.params if k in b.params and a.params[k] != b.params[k]), None)
                if clash is not None:
                    raise GenerationError(f"found duplicate key {clash} with different value, a: {a.params[clash]} ,b: {b.params[clash]}", line)
                out.append({**a.params, **b.params})
        _bounded(out, line)
    names.append(second_name)
    return out, f"matrix({','.join(names)})"


def _merge(body: Any, ctx: Context, line: int, nested: bool) -> tuple[list[dict], str]:
    children = _children(body, line, "merge")
    if len(children) < 2:
        raise GenerationError("found less than two generators, Merge requires two or more", line)
    keys = [str(k) for k in (body.get("mergeKeys") or [])]
    if not keys:
        raise GenerationError("no merge keys were specified, Merge requires at least one", line)
    sets = [expand(child, ctx, nested=True) for child in children]

    def key_of(params: dict) -> str:
        return json.dumps({k: params.get(k) for k in sorted(set(keys))}, sort_keys=True, default=str)

    base = [dict(p.params) for p in sets[0]]
    for others in sets[1:]:
        by_key: dict[str, dict] = {}
        for other in others:
            k = key_of(other.params)
            if k in by_key:
                raise GenerationError("the parameters from a generator were not unique by the given mergeKeys, "
                                      f"Merge requires all param sets to be unique. Duplicate key was {k}", line)
            by_key[k] = other.params
        for i, params in enumerate(base):
            override = by_key.get(key_of(params))
            if override is not None:
                base[i] = _deep_override(params, override) if ctx.lang.go else {**params, **override}
    names = [s[0].generator if s else (_kind(c) or "?") for s, c in zip(sets, children)]
    return base, f"merge({','.join(names)})"

