"""Argo CD objects -> deployment units: Application, ApplicationSet (expanded), AppProject.

An Application's sources are resolved against this repository the way Argo CD's repo-server
resolves them: ``path`` from the repository root, its type from the explicit ``helm``/
``kustomize``/``directory``/``plugin`` field or else from the files there (a kustomization
wins over a Chart.yaml, as in Argo CD's discovery), Helm ``valueFiles`` relative to the chart
path (``$ref/...`` through a ``ref:`` source), ``fileParameters`` likewise. Other repositories,
Helm repository charts, OCI sources, URLs and plugins are noted, never fetched or run.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from ...load import YMap, load_text
from . import generators, gotemplate, paths
from .collect import APPSET, SOURCE, Collector, line_of, text
from .model import (Deployment, Destination, DirectoryOptions, Doc, Generated, HelmOptions, InlineValues,
                    KustomizeOptions, Parameter, Project, Source, ValueFile)
from .repourl import is_oci, sanitize

GROUP = "argoproj.io"
DEFAULT_NAMESPACE = "argocd"
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def is_argo(data: Any, kind: str) -> bool:
    api = data.get("apiVersion") if isinstance(data, dict) else None
    return isinstance(api, str) and api.startswith(GROUP + "/") and data.get("kind") == kind


def _map(node: Any, key: str) -> dict:
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, dict) else {}


def _list(node: Any, key: str) -> list:
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, list) else []


def _placeholder_hint(value: str) -> str:
    if "{{" in value:
        return " (a template placeholder that no generator parameter filled)"
    if "<no value>" in value:
        return " (a template field that no generator parameter has)"
    if "map[" in value or "[" in value and "]" in value and " " in value:
        return " (a whole generator parameter printed where one of its fields was meant, e.g. {{.path}} for {{.path.path}})"
    return ""


def kustomize_image(entry: str) -> dict:
    """Argo CD's ``kustomize.images`` entry (``kustomize edit set image`` syntax) as a
    kustomization ``images:`` item."""
    name, sep, rest = entry.partition("=")
    if not sep:
        name, rest = "", entry
    digest = None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
    tag = None
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        rest, tag = rest[:colon], rest[colon + 1:]
    out: dict[str, str] = {"name": name or rest}
    if name and rest and rest != name:
        out["newName"] = rest
    if tag:
        out["newTag"] = tag
    if digest:
        out["digest"] = digest
    return out


# ---------------------------------------------------------------- sources


class _AppContext:
    """One Application being read: where it is and what its ``ref:`` sources are."""

    def __init__(self, collector: Collector, file: str, name: str, namespace: str | None, unit: str) -> None:
        self.c = collector
        self.file = file
        self.name = name
        self.namespace = namespace
        self.unit = unit
        self.refs: dict[str, bool] = {}  # ref name -> is this repository

    def problem(self, message: str, line: int, rule: str = SOURCE) -> None:
        self.c.problem(rule, message, self.file, line, self.unit)


def _source_type(src: dict, rel: str, ctx: _AppContext) -> tuple[str, str | None]:
    """(kind, explicit field) for a source whose path exists."""
    explicit = [k for k in ("helm", "kustomize", "directory", "plugin") if isinstance(src.get(k), dict)]
    has_kustomization = ctx.c.tree.kustomization_file(rel) is not None
    has_chart = ctx.c.tree.is_file(posixpath.join(rel, "Chart.yaml"))
    if len(explicit) > 1:
        ctx.problem(f"{ctx.name}: the source sets {' and '.join(explicit)}: Argo CD refuses more than one source type",
                    line_of(src, explicit[1]))
        return "unknown", None
    if explicit:
        kind = explicit[0]
        if kind == "helm" and not has_chart:
            ctx.problem(f"{ctx.name}: the source has helm options but {rel} has no Chart.yaml", line_of(src, "helm"))
            return "unknown", None
        if kind == "kustomize" and not has_kustomization:
            ctx.problem(f"{ctx.name}: the source has kustomize options but {rel} has no kustomization file",
                        line_of(src, "kustomize"))
            return "unknown", None
        if kind == "plugin":
            return "unknown", "plugin"
        return kind, kind
    if has_kustomization:
        return "kustomize", None
    if has_chart:
        return "helm", None
    return "directory", None


def _value_file(item: str, line: int, chart: str | None, helm: dict, ctx: _AppContext) -> ValueFile:
    ignore = helm.get("ignoreMissingValueFiles") is True
    if _URL.match(item):
        shown = sanitize(item)
        ctx.c.note("values-url", shown, f"values file {shown} is a URL: not fetched", ctx.file, line)
        return ValueFile(item, line, None, remote=True)
    if item.startswith("$"):
        ref, _, rest = item[1:].partition("/")
        if ref not in ctx.refs:
            ctx.problem(f"{ctx.name}: values file {item} names source ref '{ref}', which no source of the Application declares", line)
            return ValueFile(item, line, None)
        if not ctx.refs[ref]:
            return ValueFile(item, line, None, remote=True)
        rel = paths.join(".", rest)
    elif chart is None:  # a file inside a chart that is not in this repository
        return ValueFile(item, line, None, remote=True)
    else:
        rel = paths.join(chart, item)
    if rel is None:
        ctx.problem(f"{ctx.name}: values file {item} leaves the repository", line)
        return ValueFile(item, line, None)
    exists = ctx.c.tree.is_file(rel)
    if not exists and not ignore:
        where = f" ({rel})" if rel != item else ""
        ctx.problem(f"{ctx.name}: values file {item}{where} does not exist in this repository{_placeholder_hint(item)}", line)
    return ValueFile(item, line, rel, exists=exists)


def _values_text(helm: dict, ctx: _AppContext) -> InlineValues | None:
    raw = helm.get("values")
    if not isinstance(raw, str) or not raw.strip():
        return None
    docs, errors = load_text(raw)
    line = line_of(helm, "values")
    if errors:
        ctx.problem(f"{ctx.name}: helm.values is not valid YAML: {errors[0].message}", line + errors[0].line)
        return None
    data = docs[0].data if docs else None
    if data is not None and not isinstance(data, dict):
        ctx.problem(f"{ctx.name}: helm.values must be a mapping of values", line)
        return None
    return InlineValues("helm.values", data or {}, ctx.file, line)


def _helm(src: dict, rel: str | None, app_name: str, dest: Destination, ctx: _AppContext) -> HelmOptions:
    helm = _map(src, "helm")
    value_files = []
    items = _list(helm, "valueFiles")
    for i, item in enumerate(items):
        if isinstance(item, str):
            value_files.append(_value_file(item, items.item_line(i) if hasattr(items, "item_line") else 1, rel, helm, ctx))
    inline = []
    if isinstance(helm.get("valuesObject"), dict):
        inline.append(InlineValues("helm.valuesObject", helm["valuesObject"], ctx.file, line_of(helm, "valuesObject")))
    else:
        found = _values_text(helm, ctx)
        if found is not None:
            inline.append(found)
    parameters = []
    for entry in _list(helm, "parameters"):
        if isinstance(entry, dict) and text(entry.get("name")):
            parameters.append(Parameter(text(entry["name"]), text(entry.get("value")) or "", line_of(entry, "name"),
                                        entry.get("forceString") is True))
    file_parameters = []
    for entry in _list(helm, "fileParameters"):
        if isinstance(entry, dict) and text(entry.get("name")) and text(entry.get("path")) and rel is not None:
            target = paths.join(rel, text(entry["path"]))
            line = line_of(entry, "path")
            if target is None or not ctx.c.tree.is_file(target):
                ctx.problem(f"{ctx.name}: helm file parameter {entry['name']} reads {entry['path']}, which does not exist "
                            "in this repository", line)
            else:
                file_parameters.append((text(entry["name"]), target, line))
    release = text(helm.get("releaseName")) or app_name
    return HelmOptions(
        release_name=release, value_files=tuple(value_files), inline=tuple(inline), parameters=tuple(parameters),
        file_parameters=tuple(file_parameters), ignore_missing_value_files=helm.get("ignoreMissingValueFiles") is True,
        skip_crds=helm.get("skipCrds") is True, namespace=text(helm.get("namespace")) or dest.namespace,
        kube_version=text(helm.get("kubeVersion")),
        api_versions=tuple(v for v in (text(x) for x in _list(helm, "apiVersions")) if v),
    )


def _kustomize(src: dict, rel: str, ctx: _AppContext) -> KustomizeOptions:
    k = _map(src, "kustomize")
    components = []
    items = _list(k, "components")
    for i, item in enumerate(items):
        if not isinstance(item, str):
            continue
        target = paths.join(rel, item)
        if target is None or not ctx.c.tree.is_dir(target):
            ctx.problem(f"{ctx.name}: kustomize component {item} does not exist in this repository",
                        items.item_line(i) if hasattr(items, "item_line") else line_of(k, "components"))
        else:
            components.append(target)
    labels = _map(k, "commonLabels")
    annotations = _map(k, "commonAnnotations")
    return KustomizeOptions(
        name_prefix=text(k.get("namePrefix")), name_suffix=text(k.get("nameSuffix")), namespace=text(k.get("namespace")),
        images=tuple(kustomize_image(i) for i in _list(k, "images") if isinstance(i, str)),
        common_labels={str(a): text(b) or "" for a, b in labels.items()},
        common_annotations={str(a): text(b) or "" for a, b in annotations.items()},
        patches=tuple(p for p in _list(k, "patches") if isinstance(p, dict)),
        replicas=tuple(r for r in _list(k, "replicas") if isinstance(r, dict)),
        components=tuple(components), line=line_of(src, "kustomize") if k else 0,
    )


def _directory(src: dict, rel: str, ctx: _AppContext) -> DirectoryOptions:
    d = _map(src, "directory")
    if isinstance(d.get("jsonnet"), dict) and d["jsonnet"]:
        ctx.c.note("jsonnet", ctx.unit, f"{ctx.name}: jsonnet options: .jsonnet files are not evaluated", ctx.file, line_of(d, "jsonnet"))
    recurse = d.get("recurse") is True
    include, exclude = text(d.get("include")), text(d.get("exclude"))
    return DirectoryOptions(recurse, include, exclude, ctx.c.tree.directory_files(rel, recurse, include, exclude))


def _source(src: Any, app_name: str, dest: Destination, ctx: _AppContext) -> Source:
    if not isinstance(src, dict):
        return Source("unknown", "", ctx.file, line_of(src), why_not="not a mapping")
    url = src.get("repoURL")
    shown = sanitize(str(url)) if isinstance(url, str) else ""
    raw_path = text(src.get("path"))
    chart = text(src.get("chart"))
    ref = text(src.get("ref"))
    revision = text(src.get("targetRevision"))
    line = line_of(src, "path") if raw_path is not None else line_of(src, "chart") if chart else line_of(src)
    if chart is not None:
        kind = "oci" if is_oci(shown) or "://" not in shown else "helm-repository"
        ctx.c.note(kind, f"{shown} {chart}", f"Helm chart {chart} from {shown} is not in this repository: not fetched",
                   ctx.file, line_of(src, "chart"))
        return Source("helm", shown, ctx.file, line, chart=chart, ref=ref, target_revision=revision,
                      helm=_helm(src, None, app_name, dest, ctx), why_not="a chart from a Helm repository")
    if is_oci(shown):
        ctx.c.note("oci", shown, f"OCI source {shown} is not in this repository: not fetched", ctx.file, line_of(src, "repoURL"))
        return Source("unknown", shown, ctx.file, line, ref=ref, target_revision=revision, why_not="an OCI artifact")
    rel = paths.join(".", raw_path) if raw_path is not None else ("." if not ref else None)
    if not ctx.c.this_repo(url, rel, ctx.file, line_of(src, "repoURL")):
        if ref:
            ctx.refs[ref] = False
        ctx.c.other_repo(url, ctx.file, line_of(src, "repoURL"))
        return Source("unknown", shown, ctx.file, line, ref=ref, target_revision=revision, why_not="another repository")
    if ref:
        ctx.refs[ref] = True
    if raw_path is None and ref:
        return Source("unknown", shown, ctx.file, line, ref=ref, target_revision=revision, followed=False,
                      why_not="a values-only source (ref)")
    if rel is None:
        ctx.problem(f"{ctx.name}: source path {raw_path} leaves the repository", line)
        return Source("unknown", shown, ctx.file, line, ref=ref, target_revision=revision, why_not="outside the repository")
    if not ctx.c.tree.is_dir(rel):
        ctx.problem(f"{ctx.name}: source path {raw_path} does not exist in this repository{_placeholder_hint(raw_path)}", line)
        return Source("unknown", shown, ctx.file, line, path=rel, ref=ref, target_revision=revision, why_not="the path does not exist")
    kind, explicit = _source_type(src, rel, ctx)
    if explicit == "plugin":
        plugin = text(_map(src, "plugin").get("name")) or "(discovered)"
        ctx.c.note("plugin", plugin, f"config management plugin {plugin}: k8slint runs no plugins", ctx.file, line_of(src, "plugin"))
        return Source("unknown", shown, ctx.file, line, path=rel, ref=ref, target_revision=revision, why_not="a plugin source")
    if kind == "unknown":
        return Source("unknown", shown, ctx.file, line, path=rel, ref=ref, target_revision=revision,
                      why_not="the source type does not match the folder")
    return Source(
        kind, shown, ctx.file, line, path=rel, followed=True, ref=ref, target_revision=revision,
        helm=_helm(src, rel, app_name, dest, ctx) if kind == "helm" else None,
        kustomize=_kustomize(src, rel, ctx) if kind == "kustomize" else None,
        directory=_directory(src, rel, ctx) if kind == "directory" else None,
    )


# ---------------------------------------------------------------- Application


def destination(spec: Any) -> Destination:
    dest = _map(spec, "destination")
    return Destination(text(dest.get("server")), text(dest.get("name")), text(dest.get("namespace")))


def application(data: Any, file: str, collector: Collector, *, default_namespace: str = DEFAULT_NAMESPACE,
                namespace: str | None = None, generated: Generated | None = None,
                line: int | None = None) -> Deployment | None:
    """One Application object -> a unit (None when it has no name)."""
    meta = _map(data, "metadata")
    name = text(meta.get("name"))
    if not name:
        return None
    namespace = namespace or text(meta.get("namespace")) or default_namespace
    spec = _map(data, "spec")
    dest = destination(spec)
    unit = Deployment("argocd", "Application", name, namespace, file, line or line_of(meta, "name"),
                      destination=dest, project=text(spec.get("project")), generated=generated)
    ctx = _AppContext(collector, file, name, namespace, unit.key)
    raw_sources = _list(spec, "sources") if spec.get("sources") else [spec.get("source")] if spec.get("source") else []
    # ref sources first, so `$ref/...` values files resolve whatever the order
    order = sorted(range(len(raw_sources)), key=lambda i: 0 if isinstance(raw_sources[i], dict) and raw_sources[i].get("ref") else 1)
    sources: list[Source | None] = [None] * len(raw_sources)
    for i in order:
        sources[i] = _source(raw_sources[i], name, dest, ctx)
    unit.sources = tuple(s for s in sources if s is not None)
    return unit


# ---------------------------------------------------------------- ApplicationSet


def _patch_merge(base: Any, patch: Any) -> Any:
    """templatePatch: a JSON merge of mappings (lists are replaced); lines come from the patch."""
    if not (isinstance(base, dict) and isinstance(patch, dict)):
        return patch
    out = YMap()
    out.line = getattr(base, "line", 1)
    klines = dict(getattr(base, "klines", {}))
    for key, value in base.items():
        out[key] = value
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
            continue
        out[key] = _patch_merge(base.get(key), value) if isinstance(value, dict) else value
        klines[key] = line_of(patch, key)
    out.klines = klines
    return out


def _shift_lines(node: Any, offset: int) -> None:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, YMap):
            item.line += offset
            item.klines = {k: v + offset for k, v in item.klines.items()}
            stack.extend(item.values())
        elif isinstance(item, list) and hasattr(item, "ilines"):
            item.line += offset
            item.ilines = [v + offset for v in item.ilines]
            stack.extend(item)


def applicationset(data: Any, file: str, collector: Collector, docs: list[Doc]) -> list[Deployment]:
    """The Applications an ApplicationSet generates (none when Argo CD would refuse it)."""
    meta = _map(data, "metadata")
    name = text(meta.get("name")) or "(unnamed)"
    namespace = text(meta.get("namespace")) or DEFAULT_NAMESPACE
    key = f"{namespace}/{name}"
    spec = _map(data, "spec")
    options = [str(o) for o in _list(spec, "goTemplateOptions")]
    lang = generators.Language(spec.get("goTemplate") is True, "missingkey=error" in options)
    ctx = generators.Context(collector.tree, lang, lambda url: collector.generator_repo(url, file, line_of(spec)),
                             docs, spec.get("applyNestedSelectors") is True, dirs=collector.tree.all_dirs, files=collector.tree.all_files)
    template = spec.get("template") if isinstance(spec.get("template"), dict) else YMap()
    appset_line = line_of(meta, "name")

    def refuse(message: str, line: int) -> list[Deployment]:
        collector.problem(APPSET, f"ApplicationSet {name}: {message}: Argo CD generates no Application from it", file, line, f"ApplicationSet/{key}")
        return []

    param_sets: list[generators.ParamSet] = []
    for generator in _list(spec, "generators"):
        try:
            param_sets.extend(generators.expand(generator, ctx))
        except generators.NotFollowed as exc:
            if exc.kind == "repository":
                collector.note("repository", exc.subject, f"{exc.subject} is not this repository: generators reading it are not expanded", file, exc.line)
            else:
                collector.note(exc.kind, f"{key}:{exc.subject}", f"ApplicationSet {name}: {exc}", file, exc.line)
        except generators.GenerationError as exc:
            return refuse(str(exc), exc.line)
    for kind, subject, message, line in ctx.notes:
        collector.note(kind, f"{key}:{subject}", f"ApplicationSet {name}: {message}", file, line)

    patch_text = spec.get("templatePatch") if lang.go and isinstance(spec.get("templatePatch"), str) else None
    out: list[Deployment] = []
    seen: dict[str, int] = {}
    for param_set in param_sets:
        tmpl = generators.merge_template(param_set.template, template)
        try:
            rendered = generators.render_tree(tmpl, param_set.params, lang)
            if patch_text is not None:
                patch_src = lang.render(patch_text, param_set.params) if param_set.params else patch_text
                patch_docs, errors = load_text(patch_src)
                if errors or (patch_docs and not isinstance(patch_docs[0].data, dict)):
                    return refuse("templatePatch does not render to a YAML mapping", line_of(spec, "templatePatch"))
                if patch_docs:
                    _shift_lines(patch_docs[0].data, line_of(spec, "templatePatch"))
                    rendered = _patch_merge(rendered, patch_docs[0].data)
        except gotemplate.Unsupported as exc:
            collector.note("template", key, f"ApplicationSet {name}: {exc}: not expanded", file, appset_line)
            return []
        except gotemplate.TemplateError as exc:
            return refuse(f"template: {exc}", getattr(exc, "line", None) or line_of(spec, "template"))
        app_meta = _map(rendered, "metadata")
        app_name = text(app_meta.get("name")) or ""
        name_line = line_of(app_meta, "name") if "name" in app_meta else line_of(template)
        if not _DNS_SUBDOMAIN.match(app_name) or len(app_name) > 253:
            return refuse(f"a generated Application is named {app_name!r}, which is not a valid Kubernetes name"
                          f"{_placeholder_hint(app_name)}", name_line)
        if app_name in seen:
            return refuse(f"two generated Applications are named {app_name}", name_line)
        seen[app_name] = 1
        made = Generated(key, file, appset_line, param_set.generator, tuple(sorted(generators.flatten(param_set.params).items())))
        # Argo CD creates generated Applications in the ApplicationSet's namespace
        unit = application(rendered, file, collector, namespace=namespace, generated=made, line=name_line)
        if unit is not None:
            out.append(unit)
    return out


# ---------------------------------------------------------------- AppProject


def project(data: Any, file: str) -> Project | None:
    meta = _map(data, "metadata")
    name = text(meta.get("name"))
    if not name:
        return None
    spec = _map(data, "spec")
    return Project(
        name, text(meta.get("namespace")) or DEFAULT_NAMESPACE, file, line_of(meta, "name"),
        source_repos=tuple(v for v in (text(r) for r in _list(spec, "sourceRepos")) if v),
        destinations=tuple(Destination(text(d.get("server")), text(d.get("name")), text(d.get("namespace")))
                           for d in _list(spec, "destinations") if isinstance(d, dict)),
    )
