"""Flux objects -> deployment units: Kustomization (kustomize.toolkit.fluxcd.io) and HelmRelease
(helm.toolkit.fluxcd.io), when what they deploy comes from this repository.

A source is this repository when it is a ``GitRepository`` whose ``url`` is this repository,
the bootstrap ``GitRepository`` named ``flux-system`` when the repository does not declare it
(``flux bootstrap`` writes that one for the repository itself), or an ``ExternalArtifact`` that an
``ArtifactGenerator`` assembles from such a GitRepository with ``<dir>/**`` copies (the layout of
the flux2-kustomize-helm-example): an artifact path is mapped back to the repository folder it
was copied from. HelmRepository, OCIRepository and Bucket sources are noted, never fetched.

``valuesFrom`` ConfigMaps and Secrets are read from the repository's manifests (and from
``configMapGenerator``/``secretGenerator`` entries of its kustomizations); Secret values are
marked sensitive. One that the repository does not declare is noted: it may come from the cluster.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
from typing import Any

from ...load import load_text
from . import paths
from .collect import SOURCE, Collector, line_of, text
from .model import (IN_CLUSTER, Deployment, Destination, DirectoryOptions, Doc, HelmOptions, InlineValues,
                    KustomizeOptions, Source, ValueFile)
from .repourl import sanitize

KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
HELM_GROUP = "helm.toolkit.fluxcd.io"
SOURCE_GROUP = "source.toolkit.fluxcd.io"
ARTIFACT_GROUP = "source.extensions.fluxcd.io"
BOOTSTRAP = "flux-system"
DEFAULT_NAMESPACE = "default"
MAX_VALUES_FILE = 16 << 20


def _group(data: Any) -> str:
    api = data.get("apiVersion") if isinstance(data, dict) else None
    return api.rsplit("/", 1)[0] if isinstance(api, str) and "/" in api else ""


def is_flux(data: Any, kind: str) -> bool:
    group = {"Kustomization": KUSTOMIZE_GROUP, "HelmRelease": HELM_GROUP}.get(kind, SOURCE_GROUP)
    if kind == "ArtifactGenerator":
        group = ARTIFACT_GROUP
    return isinstance(data, dict) and data.get("kind") == kind and _group(data) == group


def _map(node: Any, key: str) -> dict:
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, dict) else {}


def _list(node: Any, key: str) -> list:
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, list) else []


def _meta(data: Any) -> tuple[str | None, str]:
    meta = _map(data, "metadata")
    return text(meta.get("name")), text(meta.get("namespace")) or DEFAULT_NAMESPACE


def nearest(docs: list[Doc], file: str) -> list[Doc]:
    """``docs`` nearest first to ``file`` in the folder tree: a repository that keeps one folder
    per cluster (clusters/production, clusters/staging) declares same-named objects in each, and
    an object refers to the one of its own cluster."""
    here = file.split("/")[:-1]

    def shared(doc: Doc) -> int:
        there = doc.file.split("/")[:-1]
        n = 0
        while n < min(len(here), len(there)) and here[n] == there[n]:
            n += 1
        return n

    return sorted(docs, key=lambda d: (-shared(d), d.file, d.line))


_SOURCES_READ = frozenset(("GitRepository", "OCIRepository", "HelmRepository", "Bucket", "HelmChart", "ExternalArtifact",
                           "ArtifactGenerator", "ConfigMap", "Secret", "SealedSecret", "ExternalSecret", "Kustomization"))


class Sources:
    """The Flux source objects of the repository, by (kind, namespace, name)."""

    def __init__(self, docs: list[Doc]) -> None:
        self.objects: dict[tuple[str, str, str], list[Doc]] = {}
        self.generators: list[Doc] = []
        self.config: dict[tuple[str, str], list[Doc]] = {}  # (kind, name) -> ConfigMaps/Secrets
        self.generated: dict[tuple[str, str], list[tuple[Doc, dict]]] = {}  # (kind, name) -> kustomize generator entries
        self.encrypted: set[str] = set()  # names of SealedSecrets/ExternalSecrets/SOPS Secrets
        for doc in docs:
            data = doc.data
            if not isinstance(data, dict):
                continue
            kind = data.get("kind")
            if kind is not None and not (isinstance(kind, str) and kind in _SOURCES_READ):  # a Deployment...: nothing to keep
                continue
            name, namespace = _meta(data)
            if kind in ("GitRepository", "OCIRepository", "HelmRepository", "Bucket", "HelmChart", "ExternalArtifact") \
                    and _group(data) == SOURCE_GROUP and name:
                self.objects.setdefault((kind, namespace, name), []).append(doc)
            elif is_flux(data, "ArtifactGenerator"):
                self.generators.append(doc)
            elif kind in ("ConfigMap", "Secret") and data.get("apiVersion") == "v1" and name:
                if kind == "Secret" and isinstance(data.get("sops"), dict):
                    self.encrypted.add(name)
                else:
                    self.config.setdefault((kind, name), []).append(doc)
            elif kind in ("SealedSecret", "ExternalSecret") and name:
                self.encrypted.add(name)
            elif kind == "Kustomization" and _group(data) == "kustomize.config.k8s.io" or \
                    (kind is None and doc.file.rsplit("/", 1)[-1] in paths.KUSTOMIZATION_FILES):
                for key, cm_kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
                    for entry in _list(data, key):
                        if isinstance(entry, dict) and text(entry.get("name")):
                            self.generated.setdefault((cm_kind, text(entry["name"])), []).append((doc, entry))

    def get(self, kind: str, namespace: str, name: str, near: str) -> Doc | None:
        found = self.objects.get((kind, namespace, name))
        return nearest(found, near)[0] if found else None


class _Root:
    """Where a Flux source's artifact comes from in this repository: path -> repo path."""

    def __init__(self, copies: list[tuple[str, str]] | None = None) -> None:
        self.copies = copies  # None: the artifact is the repository itself; else (artifact dir, repo dir)

    def map(self, rel: str) -> str | None:
        inside = paths.join(".", rel)
        if inside is None:
            return None
        if self.copies is None:
            return inside
        best = None
        for target, origin in self.copies:
            if target == "." or inside == target or inside.startswith(target + "/"):
                if best is None or len(target) > len(best[0]):
                    best = (target, origin)
        if best is None:
            return None
        rest = inside if best[0] == "." else inside[len(best[0]):].lstrip("/")
        return paths.join(best[1], rest or ".")


def _artifact_copies(sources: Sources, name: str, namespace: str, c: Collector, file: str, line: int) -> _Root | None:
    for doc in nearest(sources.generators, file):
        gen_name, gen_ns = _meta(doc.data)
        if gen_ns != namespace:
            continue
        spec = _map(doc.data, "spec")
        aliases: dict[str, bool] = {}
        for src in _list(spec, "sources"):
            if isinstance(src, dict) and text(src.get("alias")):
                ref_ns = text(src.get("namespace")) or gen_ns
                aliases[text(src["alias"])] = src.get("kind") == "GitRepository" and _git_is_this(
                    sources, text(src.get("name")) or "", ref_ns, c, doc.file, line_of(src))
        for artifact in _list(spec, "artifacts"):
            if not isinstance(artifact, dict) or text(artifact.get("name")) != name:
                continue
            copies = []
            for op in _list(artifact, "copy"):
                origin, target = text(op.get("from")) or "", text(op.get("to")) or ""
                alias, _, inner = origin.lstrip("@").partition("/")
                if not origin.startswith("@") or not target.startswith("@artifact/") and target != "@artifact":
                    continue
                if not aliases.get(alias):
                    c.note("artifact", f"{gen_ns}/{gen_name}:{name}", f"ArtifactGenerator {gen_name}: artifact {name} copies from "
                           f"@{alias}, which is not this repository: not followed", doc.file, line_of(op, "from"))
                    return None
                if not inner.endswith("/**"):
                    c.note("artifact", f"{gen_ns}/{gen_name}:{name}", f"ArtifactGenerator {gen_name}: artifact {name} copies "
                           f"{origin}: only '<folder>/**' copies are mapped back to the repository", doc.file, line_of(op, "from"))
                    return None
                target_dir = paths.join(".", target[len("@artifact"):].lstrip("/")) or "."
                origin_dir = paths.join(".", inner[:-3])
                if origin_dir is None:
                    return None
                copies.append((target_dir, origin_dir))
            return _Root(copies)
    c.note("artifact", f"{namespace}/{name}", f"ExternalArtifact {name} is made by no ArtifactGenerator of this repository: not followed", file, line)
    return None


def _git_is_this(sources: Sources, name: str, namespace: str, c: Collector, file: str, line: int) -> bool:
    doc = sources.get("GitRepository", namespace, name, file)
    if doc is None:
        if name == BOOTSTRAP:
            c.note("flux-bootstrap", f"{namespace}/{name}", f"GitRepository {name} is not declared in this repository: taken as "
                   "this repository (flux bootstrap writes it for the repository it bootstraps)", file, line)
            return True
        c.note("flux-source", f"GitRepository/{namespace}/{name}", f"GitRepository {name} is not declared in this repository: "
               "what it points at is not followed", file, line)
        return False
    url = _map(doc.data, "spec").get("url")
    if c.matcher.known:
        if c.matcher(url if isinstance(url, str) else None):
            return True
        c.other_repo(url, doc.file, line_of(_map(doc.data, "spec"), "url"))
        return False
    return c.generator_repo(url, doc.file, line_of(_map(doc.data, "spec"), "url"))


def _source_root(ref: dict, own_ns: str, sources: Sources, c: Collector, file: str, line: int) -> tuple[_Root | None, str]:
    """(where the referenced source's files are in this repository, or None; what it is)."""
    kind = text(ref.get("kind")) or "GitRepository"
    name = text(ref.get("name")) or ""
    namespace = text(ref.get("namespace")) or own_ns
    if kind == "GitRepository":
        return (_Root() if _git_is_this(sources, name, namespace, c, file, line) else None), f"GitRepository {name}"
    if kind == "ExternalArtifact":
        return _artifact_copies(sources, name, namespace, c, file, line), f"ExternalArtifact {name}"
    doc = sources.get(kind, namespace, name, file)
    url = text(_map(doc.data, "spec").get("url")) if doc else None
    shown = sanitize(url) if url else f"{kind} {namespace}/{name}"
    note_kind = "oci" if kind == "OCIRepository" or (url or "").startswith("oci://") else \
        "helm-repository" if kind == "HelmRepository" else "flux-source"
    c.note(note_kind, shown, f"{kind} {name} ({shown}) is not this repository: not fetched", file, line)
    return None, f"{kind} {name}"


def _destination(spec: dict, namespace: str | None) -> Destination:
    kube = _map(spec, "kubeConfig")
    secret = text(_map(kube, "secretRef").get("name"))
    if secret:
        return Destination(None, f"kubeconfig:{secret}", namespace)
    return Destination(IN_CLUSTER, None, namespace)


# ---------------------------------------------------------------- Kustomization


def _unit(doc: Doc, kind: str, default_namespace: bool) -> tuple[Deployment, dict, str | None] | None:
    """The deployment unit of a Flux object (None without a name), its spec and its
    targetNamespace; ``default_namespace``: the object's own namespace is the destination when
    no targetNamespace is set (a HelmRelease's release namespace)."""
    data = doc.data
    name, namespace = _meta(data)
    if not name:
        return None
    spec = _map(data, "spec")
    target_ns = text(spec.get("targetNamespace"))
    destination = _destination(spec, target_ns or (namespace if default_namespace else None))
    unit = Deployment("flux", kind, name, namespace, doc.file, line_of(_map(data, "metadata"), "name"),
                      destination=destination)
    return unit, spec, target_ns


def kustomization(doc: Doc, c: Collector, sources: Sources) -> Deployment | None:
    made = _unit(doc, "Kustomization", default_namespace=False)
    if made is None:
        return None
    unit, spec, target_ns = made
    name, namespace = unit.name, unit.namespace
    raw_path = text(spec.get("path")) or "./"
    line = line_of(spec, "path") if "path" in spec else line_of(spec, "sourceRef")
    ref = _map(spec, "sourceRef")
    root, what = _source_root(ref, namespace, sources, c, doc.file, line_of(spec, "sourceRef"))
    if root is None:
        unit.sources = (Source("unknown", what, doc.file, line, why_not=f"{what} is not this repository"),)
        return unit
    rel = root.map(raw_path)
    if rel is None:
        c.problem(SOURCE, f"Kustomization {name}: path {raw_path} is outside what {what} holds of this repository", doc.file, line, unit.key)
        unit.sources = (Source("unknown", what, doc.file, line, why_not="outside the repository"),)
        return unit
    if not c.tree.is_dir(rel):
        shown = f" ({rel})" if rel != paths.strip_dot(raw_path) else ""
        c.problem(SOURCE, f"Kustomization {name}: path {raw_path}{shown} does not exist in this repository", doc.file, line, unit.key)
        unit.sources = (Source("unknown", what, doc.file, line, path=rel, why_not="the path does not exist"),)
        return unit
    options = _kustomize_options(spec, rel, name, doc.file, c, unit.key)
    if c.tree.kustomization_file(rel) is not None:
        source = Source("kustomize", what, doc.file, line, path=rel, followed=True, kustomize=options)
    else:  # Flux generates a kustomization of every manifest below the path
        files = c.tree.directory_files(rel, True, suffixes=(".yaml", ".yml"))
        source = Source("directory", what, doc.file, line, path=rel, followed=True, kustomize=options,
                        directory=DirectoryOptions(True, None, None, files))
    unit.sources = (source,)
    return unit


def _kustomize_options(spec: dict, rel: str, name: str, file: str, c: Collector, unit: str) -> KustomizeOptions:
    common = _map(spec, "commonMetadata")
    components = []
    items = _list(spec, "components")
    for i, item in enumerate(items):
        if isinstance(item, str):
            target = paths.join(rel, item)
            if target is None or not c.tree.is_dir(target):
                c.problem(SOURCE, f"Kustomization {name}: component {item} does not exist in this repository", file,
                          items.item_line(i) if hasattr(items, "item_line") else line_of(spec, "components"), unit)
            else:
                components.append(target)
    post = _map(spec, "postBuild")
    if _list(post, "substituteFrom"):
        c.note("substitute-from", unit, f"Kustomization {name}: postBuild.substituteFrom values are not read "
               "(variables they define stay as written)", file, line_of(post, "substituteFrom"))
    return KustomizeOptions(
        name_prefix=text(spec.get("namePrefix")), name_suffix=text(spec.get("nameSuffix")),
        namespace=text(spec.get("targetNamespace")),
        images=tuple(dict(i) for i in _list(spec, "images") if isinstance(i, dict)),
        common_labels={str(k): text(v) or "" for k, v in _map(common, "labels").items()}, labels_in_selectors=False,
        common_annotations={str(k): text(v) or "" for k, v in _map(common, "annotations").items()},
        patches=tuple(p for p in _list(spec, "patches") if isinstance(p, dict)),
        components=tuple(components),
        substitute={str(k): text(v) or "" for k, v in _map(post, "substitute").items()},
        line=line_of(spec),
    )


# ---------------------------------------------------------------- HelmRelease


def _config_value(sources: Sources, kind: str, name: str, key: str, namespace: str, near: str) -> tuple[Any, Doc | None, str]:
    """(text of data[key] or None, the document, why not) for a ConfigMap/Secret of the repository."""
    candidates = sources.config.get((kind, name), [])
    docs = nearest([d for d in candidates if text(_map(d.data, "metadata").get("namespace")) in (None, namespace)], near)
    for doc in docs:
        data = doc.data
        if kind == "Secret" and isinstance(_map(data, "stringData").get(key), str):
            return _map(data, "stringData")[key], doc, ""
        raw = _map(data, "data").get(key)
        if isinstance(raw, str):
            if kind == "ConfigMap":
                return raw, doc, ""
            try:
                return base64.b64decode(raw, validate=True).decode("utf-8"), doc, ""
            except (binascii.Error, UnicodeDecodeError):
                return None, doc, "its value is not valid base64 UTF-8"
        return None, doc, f"it has no key {key}"
    return None, None, "not declared"


def _generated_value(sources: Sources, c: Collector, kind: str, name: str, key: str, near: str) -> tuple[Any, Doc | None]:
    entries = sources.generated.get((kind, name), [])
    order = {id(d): i for i, d in enumerate(nearest([d for d, _ in entries], near))}
    for doc, entry in sorted(entries, key=lambda pair: order[id(pair[0])]):
        base = posixpath.dirname(doc.file) or "."
        for item in _list(entry, "files"):
            if not isinstance(item, str):
                continue
            file_key, sep, file_path = item.partition("=")
            file_key, file_path = (file_key, file_path) if sep else (posixpath.basename(item), item)
            if file_key != key:
                continue
            rel = paths.join(base, file_path)
            content = c.tree.read_text(rel, MAX_VALUES_FILE) if rel is not None else None
            return (content, Doc(rel, None, 1)) if content is not None else (None, doc)
        for item in _list(entry, "literals"):
            if isinstance(item, str) and item.partition("=")[0] == key:
                return item.partition("=")[2], doc
    return None, None


def _values_from(spec: dict, name: str, namespace: str, file: str, c: Collector, sources: Sources, unit: str) -> list[InlineValues]:
    out = []
    for entry in _list(spec, "valuesFrom"):
        if not isinstance(entry, dict):
            continue
        kind = text(entry.get("kind")) or "ConfigMap"
        ref = text(entry.get("name")) or ""
        key = text(entry.get("valuesKey")) or "values.yaml"
        target = text(entry.get("targetPath"))
        optional = entry.get("optional") is True
        line = line_of(entry, "name")
        label = f"valuesFrom {kind} {ref}"
        raw, doc, why = _config_value(sources, kind, ref, key, namespace, file)
        if doc is None:
            raw, doc = _generated_value(sources, c, kind, ref, key, file)
            why = "" if raw is not None else why
        if raw is None:
            if doc is not None and not optional:
                c.problem(SOURCE, f"HelmRelease {name}: {label}: {why or f'it has no key {key}'}", file, line, unit)
            elif ref in sources.encrypted:
                c.note("values-from", f"{unit}:{kind}/{ref}", f"HelmRelease {name}: {label} is kept encrypted in this repository: "
                       "its values are not known", file, line)
            elif doc is None:
                c.note("values-from", f"{unit}:{kind}/{ref}", f"HelmRelease {name}: {label} is not declared in this repository: "
                       "its values are not known", file, line)
            continue
        sensitive = kind == "Secret"
        where = doc.file if doc is not None else file
        if target:
            out.append(InlineValues(label, raw, where, line, sensitive, target_path=target))
            continue
        docs, errors = load_text(raw)
        if errors or (docs and not isinstance(docs[0].data, dict)):
            message = f"HelmRelease {name}: {label} key {key} is not a YAML mapping of values"
            c.problem(SOURCE, message if sensitive else message + (f" ({errors[0].message})" if errors else ""), file, line, unit)
            continue
        out.append(InlineValues(label, docs[0].data if docs else {}, where, line, sensitive))
    return out


def helmrelease(doc: Doc, c: Collector, sources: Sources) -> Deployment | None:
    made = _unit(doc, "HelmRelease", default_namespace=True)
    if made is None:
        return None
    unit, spec, target_ns = made
    name, namespace = unit.name, unit.namespace
    chart_spec = _map(_map(spec, "chart"), "spec")
    chart_file, chart_node = doc.file, chart_spec
    if not chart_spec and _map(spec, "chartRef"):
        ref = _map(spec, "chartRef")
        kind = text(ref.get("kind")) or "HelmChart"
        ref_ns = text(ref.get("namespace")) or namespace
        chart_doc = sources.get("HelmChart", ref_ns, text(ref.get("name")) or "", doc.file) if kind == "HelmChart" else None
        if chart_doc is None:
            _, what = _source_root(ref, namespace, sources, c, doc.file, line_of(spec, "chartRef"))
            unit.sources = (Source("helm", what, doc.file, line_of(spec, "chartRef"), why_not=f"{what} is not this repository"),)
            return unit
        chart_file, chart_node = chart_doc.file, _map(chart_doc.data, "spec")
    if not chart_node:
        unit.sources = (Source("unknown", "", doc.file, line_of(spec), why_not="no chart"),)
        return unit
    chart = text(chart_node.get("chart")) or ""
    chart_line = line_of(chart_node, "chart")
    root, what = _source_root(_map(chart_node, "sourceRef"), namespace, sources, c, chart_file, line_of(chart_node, "sourceRef"))
    if root is None:
        unit.sources = (Source("helm", what, chart_file, chart_line, chart=chart, why_not=f"{what} is not this repository"),)
        return unit
    rel = root.map(chart)
    if rel is None or not c.tree.is_file(posixpath.join(rel, "Chart.yaml")):
        where = f" ({rel})" if rel and rel != paths.strip_dot(chart) else ""
        c.problem(SOURCE, f"HelmRelease {name}: chart {chart}{where} is not a chart of this repository (no Chart.yaml)",
                  chart_file, chart_line, unit.key)
        unit.sources = (Source("unknown", what, chart_file, chart_line, path=rel, why_not="the chart does not exist"),)
        return unit
    ignore = chart_node.get("ignoreMissingValuesFiles") is True
    value_files = []
    items = _list(chart_node, "valuesFiles")
    for i, item in enumerate(items):
        if not isinstance(item, str):
            continue
        line = items.item_line(i) if hasattr(items, "item_line") else chart_line
        target = root.map(item)
        exists = c.tree.is_file(target)
        if not exists and not ignore:
            c.problem(SOURCE, f"HelmRelease {name}: values file {item} does not exist in this repository", chart_file, line, unit.key)
        value_files.append(ValueFile(item, line, target, exists=exists))
    inline = _values_from(spec, name, namespace, doc.file, c, sources, unit.key)
    if isinstance(spec.get("values"), dict):
        inline.append(InlineValues("values", spec["values"], doc.file, line_of(spec, "values")))
    release = text(spec.get("releaseName")) or (f"{target_ns}-{name}" if target_ns else name)
    helm = HelmOptions(release_name=release, value_files=tuple(value_files), inline=tuple(inline),
                       ignore_missing_value_files=ignore, chart_values=not value_files,
                       skip_crds=_map(spec, "install").get("crds") == "Skip", namespace=target_ns or namespace)
    unit.sources = (Source("helm", what, chart_file, chart_line, path=rel, followed=True, helm=helm),)
    return unit
