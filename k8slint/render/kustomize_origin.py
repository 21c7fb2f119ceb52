"""Where each object of a kustomize build comes from, worked out from the kustomization tree, so
that a build need not ask kustomize for its provenance annotations (``buildMetadata``): they take
~40% of a build's CPU (25 overlays in one build: ~1.4 s with them, ~0.9 s without), and both are
needed (either one alone costs as much as the two).

What is worked out is what k8slint reads from those annotations (:mod:`k8slint.render.kustomize`):

- an object's origin: the resource file that declares it, or the kustomization whose
  ``configMapGenerator``/``secretGenerator`` makes it (and that generator's kind);
- its transformations: the kustomization files whose transformers ran over the resource set it
  was in, in the order they ran, each with its transformer kinds (the fields' builtins, then
  ``transformers:`` files of builtin configurations, listed under their own file). kustomize lists every
  transformer that ran over the set, not only those that changed the object (a patch for a
  Deployment is listed on a ConfigMap beside it).

:func:`model` replays kustomize's accumulation (``kusttarget.accumulateTarget``): a
kustomization's resources (a resource folder is built on its own, then added), then its
components (each runs over the parent's set as it stands), then its generators, then its own
transformers over everything in its set. Each object keeps the names kustomize can give it on the
way (``namePrefix``/``nameSuffix``, a Namespace named by ``namespace``, a generated name's hash),
and :meth:`Provenance.assign` places the rendered objects only when each has exactly one object
of the tree that can have its kind and name, and each object of the tree is rendered exactly once.

Only trees made of what is modelled here are modelled (:func:`model` gives None otherwise, and the
build asks kustomize for the annotations, as before): local resources (files and folders),
components, the two generators, patches of the three kinds, images, labels, annotations,
replicas, replacements, namespace, prefix and suffix. Output :meth:`~Provenance.assign` cannot
place (a name a patch changed, two candidates, an object a patch deleted) makes the render build
again with the annotations: a provenance is never guessed. ``tests/test_kustomize_origin.py`` compares every
answer with kustomize's own annotations on the fixtures and the corpus.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ..sources import relative
from .kustomization import is_remote

# kustomization fields that make, name or place no object beyond what is modelled here
_MODELLED = frozenset({
    "apiVersion", "kind", "metadata", "resources", "bases", "components", "namespace", "namePrefix", "nameSuffix",
    "commonLabels", "labels", "commonAnnotations", "images", "replicas", "patches", "patchesStrategicMerge",
    "patchesJson6902", "replacements", "configMapGenerator", "secretGenerator", "generatorOptions", "sortOptions",
    "transformers",
})
# builtin transformers a ``transformers:`` file may configure here: none renames an object or a Namespace
_EXTERNAL = frozenset({"LabelTransformer", "AnnotationsTransformer", "ImageTagTransformer", "PatchTransformer",
                       "PatchStrategicMergeTransformer", "PatchJson6902Transformer", "ReplicaCountTransformer"})
_GENERATORS = (("configMapGenerator", "ConfigMap", "ConfigMapGenerator"), ("secretGenerator", "Secret", "SecretGenerator"))
# kustomize's builtin transformers in the order one kustomization runs them, with the field that
# configures each; a list field runs one transformer per entry (``labels``: two)
_TRANSFORMERS = (
    ("patchesStrategicMerge", "PatchStrategicMergeTransformer"), ("patches", "PatchTransformer"),
    ("namespace", "NamespaceTransformer"), ("namePrefix", "PrefixTransformer"), ("nameSuffix", "SuffixTransformer"),
    ("commonLabels", "LabelTransformer"), ("labels", "LabelTransformer"), ("commonAnnotations", "AnnotationsTransformer"),
    ("patchesJson6902", "PatchJson6902Transformer"), ("replicas", "ReplicaCountTransformer"),
    ("images", "ImageTagTransformer"), ("replacements", "ReplacementTransformer"),
)
_UNPREFIXED = frozenset({"CustomResourceDefinition", "APIService"})  # kinds kustomize gives no prefix or suffix
_HASH = re.compile(r"-[a-z0-9]{10}$")
_MAX_OBJECTS = 100_000  # a tree that declares more is left to kustomize's own annotations


class _Made:
    """One object the tree declares or generates, as the accumulation goes."""

    __slots__ = ("kind", "origin", "generator", "names", "transformers")

    def __init__(self, kind: str, origin: str, generator: str | None, names: set[str]) -> None:
        self.kind = kind
        self.origin = origin
        self.generator = generator
        self.names = names
        self.transformers: list[tuple[str, str]] = []


class Provenance:
    """What :func:`model` found for one target: each object's candidates by kind."""

    def __init__(self, made: list[_Made]) -> None:
        self.by_kind: dict[str, list[_Made]] = {}
        for item in made:
            self.by_kind.setdefault(item.kind, []).append(item)

    def place(self, kind: str, name: str) -> tuple[str, str | None, tuple] | None:
        """(origin, generator kind or None, transformations) of the rendered object ``kind``/``name``,
        or None when not exactly one object of the tree can have been given that name."""
        item = self._one(kind, name)
        return None if item is None else (item.origin, item.generator, tuple(item.transformers))

    def assign(self, objects: list) -> bool:
        """Set each rendered object's ``origin``, ``origin_generator`` and ``transformers``; False
        (and nothing set) unless every object of the tree is placed on exactly one rendered object
        and every rendered object is placed."""
        placed = []
        used: set[int] = set()
        for obj in objects:
            item = self._one(obj.kind, obj.name)
            if item is None or id(item) in used:
                return False
            used.add(id(item))
            placed.append((obj, item))
        if len(used) != sum(len(items) for items in self.by_kind.values()):
            return False  # an object of the tree is not in the output (deleted by a patch): not as modelled
        for obj, item in placed:
            obj.origin, obj.origin_generator, obj.transformers = item.origin, item.generator, tuple(item.transformers)
        return True

    def _one(self, kind: Any, name: Any) -> _Made | None:
        if not isinstance(kind, str) or not isinstance(name, str):
            return None
        unhashed = _HASH.sub("", name)
        found = [m for m in self.by_kind.get(kind, ()) if name in m.names or (m.generator and unhashed in m.names)]
        return found[0] if len(found) == 1 else None


def model(directory: Path, settings) -> Provenance | None:
    """The provenance of what the kustomization in ``directory`` builds, or None when its tree uses
    anything not modelled here (see the module docstring); worked out once per folder a run."""
    known = settings.cache.setdefault("kustomize-provenance", {})
    key = os.path.normpath(directory)
    if key not in known:
        made: list[_Made] = []
        try:
            found = Provenance(made) if _accumulate(Path(key), settings, made, 0) else None
        except (RecursionError, ValueError, TypeError, OSError):
            found = None
        known[key] = found
    return known[key]


def _accumulate(folder: Path, settings, made: list[_Made], depth: int) -> bool:
    """Add what the kustomization in ``folder`` builds to ``made`` (its parent's set, for a
    component; a new list, for a resource folder), as kustomize does; False when not modelled."""
    if depth > 50 or len(made) > _MAX_OBJECTS:
        return False
    node = settings.kustomizations.at(folder)
    if node is None or not isinstance(node.data, dict) or node.error:
        return False
    data = node.data
    if set(data) - _MODELLED or os.path.realpath(folder) != os.path.abspath(folder):
        return False
    if data.get("kind") not in (None, "Kustomization", "Component"):
        return False
    for key in ("resources", "bases"):
        for entry in _entries(data, key, folder):
            path = Path(os.path.normpath(folder / entry))
            if path.is_dir():
                own = _built(path, settings, depth + 1)
                if own is None:
                    return False
                made.extend(own)
            elif not _declared(path, settings, made):
                return False
    for entry in _entries(data, "components", folder):
        path = Path(os.path.normpath(folder / entry))
        if not path.is_dir() or not _accumulate(path, settings, made, depth + 1):
            return False
    for field, kind, generator in _GENERATORS:
        for entry in _list(data, field):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                return False
            if entry.get("behavior") in ("merge", "replace"):
                continue  # changes an object made before (whose origin it keeps)
            made.append(_Made(kind, node.rel, generator, {entry["name"]}))
    if _may_delete(data, folder, settings):
        return False
    kinds = _transformers(data)
    external = _external(data, folder, settings)
    if kinds is None or external is None:
        return False
    entries = [(node.rel, kind) for kind in kinds] + external
    if entries:
        for item in made:
            item.transformers.extend(entries)
    _rename(data, made)
    return True


def _built(folder: Path, settings, depth: int) -> list[_Made] | None:
    """What a resource folder builds on its own (then added to its parent's set), worked out once
    per folder a run (the base of fifty overlays is accumulated once): new objects each time."""
    known = settings.cache.setdefault("kustomize-provenance-folders", {})
    key = os.path.normpath(folder)
    if key not in known:
        own: list[_Made] = []
        modelled = _accumulate(folder, settings, own, depth)
        known[key] = tuple((m.kind, m.origin, m.generator, frozenset(m.names), tuple(m.transformers))
                           for m in own) if modelled else None
    found = known[key]
    if found is None:
        return None
    made = []
    for kind, origin, generator, names, transformers in found:
        item = _Made(kind, origin, generator, set(names))
        item.transformers = list(transformers)
        made.append(item)
    return made


def _entries(data: dict, key: str, folder: Path) -> list[str]:
    """A resources/bases/components list: local paths only (ValueError otherwise)."""
    entries = _list(data, key)
    for entry in entries:
        if not isinstance(entry, str) or "\n" in entry or is_remote(entry, folder):
            raise ValueError(key)
    return entries


def _list(data: dict, key: str) -> list:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(key)
    return value


def _transformers(data: dict) -> list[str] | None:
    """The kinds of the builtin transformers the kustomization runs, in order (None: a field
    whose value is not what kustomize reads, left to kustomize)."""
    kinds: list[str] = []
    for field, kind in _TRANSFORMERS:
        value = data.get(field)
        if value is None:
            continue
        if isinstance(value, list):
            kinds.extend([kind] * (len(value) * (2 if field == "labels" else 1)))  # kustomize runs two per labels entry
        elif isinstance(value, dict):
            if value:
                kinds.append(kind)
        elif isinstance(value, str):
            if value:
                kinds.append(kind)
        else:
            return None
    return kinds


def _may_delete(data: dict, folder: Path, settings) -> bool:
    """Whether a strategic-merge patch of the kustomization holds a ``$patch`` directive (which
    can delete or replace a whole object): such a build is left to kustomize's annotations rather
    than built twice (once without, then with them)."""
    for key in ("patches", "patchesStrategicMerge"):
        for entry in _list(data, key):
            text = entry.get("patch") if isinstance(entry, dict) else entry
            path = entry.get("path") if isinstance(entry, dict) else (entry if "\n" not in str(entry) else None)
            if isinstance(text, str) and "\n" in text and "$patch" in text:
                return True
            if isinstance(path, str) and path:
                file = Path(os.path.normpath(folder / path))
                rel = relative(file, settings.repo_root)
                if not rel.startswith("../") and any("$patch" in line for line in settings.sources.lines(rel)):
                    return True
    return False


def _external(data: dict, folder: Path, settings) -> list[tuple[str, str]] | None:
    """What ``transformers:`` runs after the builtin fields' transformers, as kustomize lists it
    (the configuration's file, its kind): files of builtin configurations that rename nothing
    (:data:`_EXTERNAL`), one per document; None otherwise."""
    kinds: list[tuple[str, str]] = []
    for entry in _list(data, "transformers"):
        if not isinstance(entry, str) or "\n" in entry:
            return None
        path = Path(os.path.normpath(folder / entry))
        if os.path.realpath(path) != os.path.abspath(path) or not path.is_file():
            return None
        rel = relative(path, settings.repo_root)
        if rel.startswith("../") or os.path.isabs(rel) or settings.sources.errors(rel):
            return None
        for doc in settings.sources.docs(rel):
            config = doc.data
            if config is None:
                continue
            if not isinstance(config, dict) or config.get("apiVersion") != "builtin" or config.get("kind") not in _EXTERNAL:
                return None
            kinds.append((rel, config["kind"]))
    return kinds


def _rename(data: dict, made: list[_Made]) -> None:
    """The names kustomize can give the set's objects after this kustomization's transformers."""
    prefix, suffix, namespace = data.get("namePrefix") or "", data.get("nameSuffix") or "", data.get("namespace")
    if not isinstance(prefix, str) or not isinstance(suffix, str):
        raise ValueError("namePrefix")
    for item in made:
        if (prefix or suffix) and item.kind not in _UNPREFIXED:
            item.names |= {prefix + name + suffix for name in item.names}
        if item.kind == "Namespace" and isinstance(namespace, str) and namespace:
            item.names.add(namespace)


def _declared(path: Path, settings, made: list[_Made]) -> bool:
    """Add the objects the resource file ``path`` declares; False when it cannot be read as such."""
    if os.path.realpath(path) != os.path.abspath(path) or not path.is_file():
        return False
    root = settings.repo_root
    rel = relative(path, root)
    if rel.startswith("../") or os.path.isabs(rel):
        return False
    docs = settings.sources.docs(rel)
    if settings.sources.errors(rel) or (not docs and settings.sources.read(rel)[0] is None):
        return False  # refused by the loader, or unreadable (an empty file declares nothing)
    for doc in docs:
        data: Any = doc.data
        if data is None:
            continue
        if not isinstance(data, dict):
            return False
        kind = data.get("kind")
        items = data.get("items") if isinstance(kind, str) and kind.endswith("List") else [data]
        if not isinstance(items, list):
            return False
        for item in items:
            if not isinstance(item, dict):
                return False
            kind, meta = item.get("kind"), item.get("metadata")
            name = meta.get("name") if isinstance(meta, dict) else None
            if not isinstance(kind, str) or not isinstance(name, str):
                return False
            made.append(_Made(kind, rel, None, {name}))
    return True
