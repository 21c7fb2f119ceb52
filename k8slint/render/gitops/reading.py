"""Read every GitOps object of a repository into deployment units, following app-of-apps.

Which objects are roots: an Application (or ApplicationSet, Flux Kustomization, HelmRelease)
whose manifest no unit deploys. One that a unit deploys is that unit's child: right away when
the parent is a plain directory source (its manifests are the files themselves), or after the
parent is rendered (a kustomization or chart that holds Applications) when the integration
calls :meth:`Reading.children` with the render. Following stops at ``max_depth`` and where an
object would deploy one of its own ancestors (a cycle; an app-of-apps whose folder holds its own
manifest manages itself, and is read once): both are noted.
"""

from __future__ import annotations

import copy
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..kustomization import INCLUDES, references
from ...load import YList, YMap, load_text
from . import argocd, flux, paths
from .collect import OVERLAP, Collector, line_of, text
from .model import Deployment, Doc, Note, Problem, Project
from .repourl import RepoMatcher, git_remotes

DEFAULT_MAX_DEPTH = 5
MAX_FILE = 16 << 20
GITOPS_MARKERS = ("argoproj.io/", "toolkit.fluxcd.io/")
_MAX_TEMPLATE_SCAN = 1 << 20


@dataclass
class Options:
    """``repo_urls``: the URLs that mean "this repository" (config); empty: the git remotes."""

    repo_urls: list[str] = field(default_factory=list)
    max_depth: int = DEFAULT_MAX_DEPTH


_KINDS = frozenset(("Application", "ApplicationSet", "AppProject", "Kustomization", "HelmRelease"))


def object_kind(data: Any) -> str | None:
    """Which GitOps object a document is, or None."""
    kind = data.get("kind") if isinstance(data, dict) else None
    if not isinstance(kind, str) or kind not in _KINDS:  # most documents: one lookup
        return None
    for kind in ("Application", "ApplicationSet", "AppProject"):
        if argocd.is_argo(data, kind):
            return kind
    for kind in ("Kustomization", "HelmRelease"):
        if flux.is_flux(data, kind):
            return kind
    return None


def object_key(data: Any, kind: str, default_namespace: str | None = None) -> str:
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    fallback = argocd.DEFAULT_NAMESPACE if kind.startswith("App") else flux.DEFAULT_NAMESPACE
    namespace = text(meta.get("namespace")) or default_namespace or fallback
    return f"{kind}/{namespace}/{text(meta.get('name')) or ''}"


@dataclass
class _Object:
    doc: Doc
    kind: str
    key: str  # kind/namespace/name: the same key may stand in two files (one folder per cluster)

    @property
    def uid(self) -> tuple:
        return (self.doc.file, self.doc.line, self.key)


class Reading:
    """The result of reading a repository, and the state :meth:`children` needs."""

    def __init__(self, root: Path, docs: list[Doc], options: Options) -> None:
        self.root = root
        self.options = options
        urls = options.repo_urls or git_remotes(root)
        self.collector = Collector(root, RepoMatcher(urls), docs)
        self.docs = docs
        self.sources = flux.Sources(docs)
        self.units: list[Deployment] = []
        self.projects: list[Project] = []
        self._chain: dict[int, tuple[str, ...]] = {}  # unit id -> object keys from the root down to its own
        self._deferred: dict[tuple, _Object] = {}  # raw objects a pending unit's render should produce
        self._coverage: dict[tuple, tuple[set[str], bool]] = {}
        self._made: dict[tuple, tuple[list[Deployment], Collector, Doc]] = {}
        self._charts: dict[str, bool] = {}  # chart folder -> its templates mention GitOps objects
        self._by_file: dict[str, list[_Object]] = {}  # the repository's GitOps objects by file
        self._project_keys: set[tuple] = set()
        self._children_seen: set[tuple] = set()
        self._closures: dict[str, tuple[set[str], set[str]]] = {}
        self._loaded: dict[str, list[Any]] = {}  # file -> its documents' data (the given documents first)
        for doc in docs:
            self._loaded.setdefault(doc.file, []).append(doc.data)

    # -------------------------------------------------------------- public results

    @property
    def notes(self) -> list[Note]:
        return sorted(self.collector.notes.values(), key=lambda n: (n.file, n.line, n.kind, n.subject))

    @property
    def problems(self) -> list[Problem]:
        return sorted(self.collector.problems, key=lambda p: (p.file, p.line, p.rule, p.message))

    def sorted_units(self) -> list[Deployment]:
        return sorted(self.units, key=lambda u: (u.file, u.line, u.name, u.parent or "", u.depth))

    def pending(self) -> list[Deployment]:
        """Units whose render may hold more GitOps objects: render them, then call children()."""
        return [u for u in self.sorted_units() if u.follow]

    def deployed_paths(self) -> set[str]:
        """Every folder a unit deploys: source paths, and the folders their kustomizations include."""
        out: set[str] = set()
        for unit in self.units:
            for source in unit.followed_sources():
                if source.path:
                    out.add(source.path)
                if source.kind == "kustomize" and source.path:
                    out |= self.closure(source.path)[1]
                if source.kustomize:
                    out |= set(source.kustomize.components)
        return out

    def unclaimed(self) -> list[tuple[str, str, int]]:
        """(object key, file, line) of manifests a pending unit covers that no children() call
        has produced (yet)."""
        return sorted((o.key, o.doc.file, line_of(o.doc.data)) for o in self._deferred.values())

    # -------------------------------------------------------------- reading

    def _patch_files(self) -> set[str]:
        """Files kustomizations use as patches: their objects are changes, not objects to deploy."""
        out: set[str] = set()
        for doc in self.docs:
            if doc.file.rsplit("/", 1)[-1] not in paths.KUSTOMIZATION_FILES:
                continue
            base = posixpath.dirname(doc.file) or "."
            for entry, _, key in references(doc.data):
                if key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
                    target = paths.join(base, entry)
                    if target is not None:
                        out.add(target)
        return out

    def _objects(self, docs: list[Doc], skip: set[str] | None = None) -> list[_Object]:
        out = []
        for doc in docs:
            if skip and doc.file in skip:
                continue
            kind = object_kind(doc.data)
            if kind == "AppProject":
                found = argocd.project(doc.data, doc.file)
                if found is not None and (found.namespace, found.name, found.file, found.line) not in self._project_keys:
                    self._project_keys.add((found.namespace, found.name, found.file, found.line))
                    self.projects.append(found)
            elif kind is not None:
                out.append(_Object(doc, kind, object_key(doc.data, kind)))
        return out

    @staticmethod
    def _made_key(obj: _Object, default_namespace: str | None) -> tuple:
        """The parent's namespace matters only to an Application that names none itself."""
        meta = obj.doc.data.get("metadata") if isinstance(obj.doc.data.get("metadata"), dict) else {}
        needs = obj.kind == "Application" and not text(meta.get("namespace"))
        return (id(obj.doc), default_namespace if needs else None)

    def _made_units(self, obj: _Object, default_namespace: str | None = None) -> list[Deployment]:
        """Units of an object, read once per object (and namespace default); fresh copies each call,
        since the same manifest may be deployed by two parents."""
        key = self._made_key(obj, default_namespace)
        made = self._made.get(key)
        if made is None:  # the entry keeps the document alive, so its id is not reused
            own = self.collector.fork()
            made = self._made[key] = (self._units_of(obj, own, default_namespace), own, obj.doc)
        return [copy.copy(u) for u in made[0]]

    def _units_of(self, obj: _Object, collector: Collector, default_namespace: str | None = None) -> list[Deployment]:
        data, file = obj.doc.data, obj.doc.file
        if obj.kind == "Application":
            unit = argocd.application(data, file, collector, default_namespace=default_namespace or argocd.DEFAULT_NAMESPACE)
            return [unit] if unit else []
        if obj.kind == "ApplicationSet":
            return argocd.applicationset(data, file, collector, self.docs)
        if obj.kind == "Kustomization":
            unit = flux.kustomization(obj.doc, collector, self.sources)
            return [unit] if unit else []
        unit = flux.helmrelease(obj.doc, collector, self.sources)
        return [unit] if unit else []

    def closure(self, rel: str) -> tuple[set[str], set[str]]:
        """(files, folders) a kustomization deploys through resources/components/bases, read once."""
        found = self._closures.get(rel)
        if found is None:
            seen: set[str] = set()
            found = self._closures[rel] = (self._kustomize_closure(rel, seen), seen)
        return found

    def _kustomize_closure(self, rel: str, seen: set[str]) -> set[str]:
        if rel in seen:
            return set()
        seen.add(rel)
        kfile = self.collector.tree.kustomization_file(rel)
        if kfile is None:
            return set()
        datas = self._loaded.get(kfile)
        if datas is None:  # not among the documents given: read it (once)
            content = self.collector.tree.read_text(kfile, MAX_FILE)
            datas = self._loaded[kfile] = [d.data for d in load_text(content)[0]] if content is not None else []
        out: set[str] = set()
        for data in datas:
            for entry, _, key in references(data):
                if key not in INCLUDES or "://" in entry or entry.startswith(("github.com/", "git@")):
                    continue
                target = paths.join(rel, entry)
                if target is None:
                    continue
                if self.collector.tree.is_dir(target):
                    out |= self._kustomize_closure(target, seen)
                elif self.collector.tree.is_file(target):
                    out.add(target)
        return out

    def _chart_has_gitops(self, rel: str) -> bool:
        if rel not in self._charts:
            self._charts[rel] = self._scan_chart(rel)
        return self._charts[rel]

    def _scan_chart(self, rel: str) -> bool:
        total = 0
        templates = posixpath.join(rel, "templates")
        tree = self.collector.tree
        for found in tree.all_files(templates) if tree.is_dir(templates) else []:
            content = tree.read_text(found, _MAX_TEMPLATE_SCAN)
            if content is None:
                continue
            total += len(content)
            if any(marker in content for marker in GITOPS_MARKERS):
                return True
            if total > _MAX_TEMPLATE_SCAN:
                return True  # too much to scan: render it and see
        return False

    def coverage(self, unit: Deployment) -> tuple[set[str], bool]:
        """(repo files whose objects the unit deploys, whether they reach it unchanged): a plain
        directory source deploys its files as they are; a kustomization transforms them."""
        cache_key = tuple((s.kind, s.path, s.directory.files if s.directory else None,
                           bool(s.kustomize and not s.kustomize.empty())) for s in unit.followed_sources())
        if cache_key in self._coverage:
            return self._coverage[cache_key]
        files: set[str] = set()
        immediate = True
        for source in unit.followed_sources():
            if source.kind == "directory" and source.directory is not None:
                files |= set(source.directory.files)
                if source.kustomize is not None and not source.kustomize.empty():
                    immediate = False
            elif source.kind == "kustomize" and source.path is not None:
                files |= self.closure(source.path)[0]
                immediate = False
        self._coverage[cache_key] = (files, immediate)
        return files, immediate

    def _add(self, unit: Deployment, parent: Deployment | None, chain: tuple[str, ...]) -> None:
        unit.parent = parent.key if parent else None
        unit.depth = parent.depth + 1 if parent else 0
        self._chain[id(unit)] = chain
        self.units.append(unit)

    def _set_follow(self, unit: Deployment) -> None:
        files, immediate = self.coverage(unit)
        covered = [o for f in sorted(files) for o in self._by_file.get(f, [])]
        if covered and not immediate:
            unit.follow = True
            for obj in covered:
                self._deferred.setdefault(obj.uid, obj)
        for source in unit.followed_sources():
            if source.kind == "helm" and source.path and self._chart_has_gitops(source.path):
                unit.follow = True

    def _expand(self, obj: _Object, parent: Deployment | None, chain: tuple[str, ...], reached: set[tuple],
                default_namespace: str | None = None) -> None:
        """Units of ``obj`` and, through plain directory sources, of what they deploy."""
        reached.add(obj.uid)
        chain = chain + (obj.key,)
        units = self._made_units(obj, default_namespace)
        self.collector.absorb(self._made[self._made_key(obj, default_namespace)][1])
        for unit in units:
            self._add(unit, parent, chain)
            if unit.depth >= self.options.max_depth:
                files, _ = self.coverage(unit)
                beyond = [o for f in sorted(files) for o in self._by_file.get(f, [])]
                reached.update(o.uid for o in beyond)  # known, not followed: never read as roots
                charts = [s for s in unit.followed_sources() if s.kind == "helm" and s.path and self._chart_has_gitops(s.path)]
                if beyond or charts:
                    self.collector.note("depth", unit.key, f"{unit.label()} deploys further GitOps objects, deeper than "
                                        f"{self.options.max_depth} levels: not followed", unit.file, unit.line)
                continue
            self._set_follow(unit)
            files, immediate = self.coverage(unit)
            if not immediate:
                continue
            for file in sorted(files):
                for child in self._by_file.get(file, []):
                    if child.key in chain:
                        self._note_cycle(unit, child, chain)
                        continue
                    self._expand(child, unit, chain, reached, unit.destination.namespace)

    def _note_cycle(self, unit: Deployment, child: _Object, chain: tuple[str, ...]) -> None:
        source = unit.source
        line = source.line if source else unit.line
        if child.key == chain[-1]:
            self.collector.note("self-managed", child.key, f"{unit.label()} deploys its own manifest ({child.doc.file}): "
                                "it manages itself; read once", unit.file, line)
        else:
            loop = " -> ".join(k.split("/", 1)[1] for k in chain[chain.index(child.key):]) + f" -> {child.key.split('/', 1)[1]}"
            self.collector.note("cycle", child.key, f"{unit.label()} deploys {child.key}, one of the objects that deploy it "
                                f"({loop}): the cycle is followed once", unit.file, line)

    def read(self) -> "Reading":
        objects = self._objects(self.docs, self._patch_files())
        for obj in objects:
            self._by_file.setdefault(obj.doc.file, []).append(obj)
        owned: set[tuple] = set()
        for obj in objects:
            for unit in self._made_units(obj):
                files, _ = self.coverage(unit)
                owned.update(o.uid for f in files for o in self._by_file.get(f, []) if o.uid != obj.uid)
        reached: set[tuple] = set()
        for obj in objects:
            if obj.uid not in owned:
                self._expand(obj, None, (), reached)
        # objects owned only by objects nothing reaches (two Applications deploying each other):
        # the first of them is read as a root
        while True:
            left = [o for o in objects if o.uid not in reached and o.uid not in self._deferred]
            if not left:
                break
            self._expand(left[0], None, (), reached)
        self._report_duplicates()
        return self

    def _report_duplicates(self) -> None:
        """Two units of one kind and name deployed by the same parent (so into the same Argo CD or
        cluster): one overwrites the other. Roots may go to different clusters and are not compared."""
        seen: dict[tuple[str, str], Deployment] = {}
        for unit in self.sorted_units():
            if unit.parent is None:
                continue
            other = seen.setdefault((unit.parent, unit.key), unit)
            if other is not unit and (other.file, other.line, other.generated) != (unit.file, unit.line, unit.generated):
                self.collector.problem(OVERLAP, f"{unit.label()} has the same name as {other.label()} "
                                       f"({other.file}:{other.line}), and both are deployed by {unit.parent}: one overwrites "
                                       "the other", unit.file, unit.line, unit.key)

    # -------------------------------------------------------------- after a render

    def children(self, parent: Deployment, rendered: list[Doc]) -> list[Deployment]:
        """The GitOps objects found in ``parent``'s render, as its child units (and theirs, through
        plain directory sources). A rendered object identical to a manifest of the repository is
        read from that manifest, so lines point at the file a person edits."""
        objects = self._objects(rendered)
        if not objects:
            return []
        if parent.depth + 1 > self.options.max_depth:
            self.collector.note("depth", parent.key, f"{parent.label()} deploys further GitOps objects, deeper than "
                                f"{self.options.max_depth} levels: not followed", parent.file, parent.line)
            return []
        chain = self._chain.get(id(parent), (parent.key,))
        before = len(self.units)
        reached: set[tuple] = set()
        for obj in objects:
            seen = (id(parent), obj.key, obj.doc.file)
            if seen in self._children_seen:  # the same render given twice: nothing new
                continue
            self._children_seen.add(seen)
            raw = next((o for o in self._deferred.values() if o.key == obj.key and o.doc.data == obj.doc.data), None)
            if raw is not None:
                self._deferred.pop(raw.uid, None)
                obj = raw
            else:
                similar = next((o for o in self._deferred.values() if o.key == obj.key and o.doc.file == obj.doc.file), None)
                if similar is not None:  # changed by the render (a patch, a namespace): lines from the manifest
                    self._deferred.pop(similar.uid, None)
                    obj = _Object(Doc(similar.doc.file, relocate(obj.doc.data, similar.doc.data), similar.doc.line), obj.kind, obj.key)
            if obj.key in chain:
                self._note_cycle(parent, obj, chain)
                continue
            self._expand(obj, parent, chain, reached, parent.destination.namespace)
        return self.units[before:]


def relocate(rendered: Any, manifest: Any) -> Any:
    """A rendered object with the lines of the manifest it came from: keys and list items the
    manifest has keep their own lines, the others (added by a patch) the line of the nearest
    enclosing one. Values are the render's."""
    if isinstance(rendered, dict):
        out = YMap(rendered)
        out.line = getattr(manifest, "line", 1)
        out.klines = {}
        for key, value in rendered.items():
            inner = manifest.get(key) if isinstance(manifest, dict) else None
            out.klines[key] = manifest.key_line(key) if isinstance(manifest, YMap) and key in manifest else out.line
            out[key] = relocate(value, inner if inner is not None else _Anchor(out.klines[key]))
        return out
    if isinstance(rendered, list):
        items = YList()
        items.line = getattr(manifest, "line", 1)
        items.ilines = []
        for i, value in enumerate(rendered):
            inner = manifest[i] if isinstance(manifest, list) and i < len(manifest) else None
            line = manifest.item_line(i) if isinstance(manifest, YList) and i < len(manifest) else items.line
            items.ilines.append(line)
            items.append(relocate(value, inner if inner is not None else _Anchor(line)))
        return items
    return rendered


class _Anchor:
    """Stands for a part the manifest lacks: everything inside takes this line."""

    def __init__(self, line: int) -> None:
        self.line = line


def documents(root: Path, max_file_size: int = MAX_FILE) -> list[Doc]:
    """The repository's YAML documents that the gitops reader looks at (GitOps objects, Flux
    sources, ConfigMaps, Secrets, kustomizations), loaded once; Helm chart templates are skipped.
    A convenience for callers that have not loaded the repository themselves."""
    markers = ("argoproj.io/", "fluxcd.io/", "kind: ConfigMap", "kind: Secret", "Generator")
    out: list[Doc] = []
    tree = paths.Tree(root)
    for rel in tree.all_files():
        parts = rel.split("/")
        if not rel.endswith(paths.MANIFEST_SUFFIXES) and parts[-1] != "Kustomization":
            continue
        if "templates" in parts[:-1] and any(tree.is_file("/".join(parts[:i] + ["Chart.yaml"])) for i in range(len(parts))):
            continue
        content = tree.read_text(rel, max_file_size)
        if content is None or not (any(m in content for m in markers) or parts[-1] in paths.KUSTOMIZATION_FILES):
            continue
        loaded, _ = load_text(content)
        out.extend(Doc(rel, d.data, d.line) for d in loaded if isinstance(d.data, dict))
    return out


def read(root: Path, docs: list[Doc], options: Options | None = None) -> Reading:
    """Every deployment unit of the repository at ``root`` from its loaded documents."""
    return Reading(root, docs, options or Options()).read()
