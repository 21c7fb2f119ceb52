"""Map (object, path inside it) to the source file and line a person should edit.

A plain manifest is its own source. A kustomize object is traced through its base, patches and
kustomization entries (:mod:`k8slint.locate.kustomize`); a Helm object through its template,
helpers and values files (:mod:`k8slint.locate.helm`), with the template line kept as a related
location when a values file is the primary one; a generated ConfigMap/Secret to its generator
entry. Last resort: the rendered stream. Source files are parsed once per run and shared by
every finding (:class:`k8slint.sources.SourceCache`).
"""

from __future__ import annotations

from functools import cached_property

from .. import lazyre
from ..model import K8sObject, Location
from ..documents import SourceCache, find_doc, image_name, walk
from ..records import record

_GENERATED_HASH = lazyre.compile(r"-[0-9a-z]{10}$")  # kustomize's content-hash suffix of a generated ConfigMap/Secret

__all__ = ["Locator", "Place", "SourceCache", "find_doc", "image_name", "plain_source", "walk"]


@record(frozen=True)
class Place:
    """Where a finding goes: the source line, the rendered one when it differs, and related lines."""

    location: Location
    rendered: Location | None = None
    related: tuple = ()

    def __init__(self, location: Location, rendered: Location | None = None, related: tuple = ()) -> None:
        object.__setattr__(self, "location", location)
        object.__setattr__(self, "rendered", rendered)
        object.__setattr__(self, "related", related)


class Locator:
    def __init__(self, cache: SourceCache, target_file: str) -> None:
        self.cache = cache
        self.target_file = target_file  # where problems with no better place point

    # The tracers are made (and their modules imported, ~10 ms) when a rendered object needs one:
    # a check of plain files never does.
    @cached_property
    def kustomize(self):
        from .kustomize import KustomizeProvenance

        return KustomizeProvenance(self.cache)

    @cached_property
    def helm(self):
        from .helm import HelmProvenance

        return HelmProvenance(self.cache)

    def locate(self, obj: K8sObject, path: tuple, part: str = "") -> Location:
        return self._trace(obj, path, part)[0]

    def rendered(self, obj: K8sObject, path: tuple) -> Location:
        line, _ = walk(obj.data, path)
        return Location(obj.stream_file, line or 1)

    def place(self, obj: K8sObject, path: tuple, part: str = "") -> Place:
        """The source location, the rendered one when it differs, and the related locations."""
        if plain_source(obj):  # a plain file is its own source: one walk, not two
            line, _ = walk(obj.data, path)
            return Place(Location(obj.origin, line or 1))
        location, related = self._trace(obj, path, part)
        rendered = self.rendered(obj, path)
        return Place(location, None if rendered == location else rendered, related)

    def source_identity(self, obj: K8sObject) -> tuple[str, str | None]:
        """The object's name and namespace as its source writes them, the same in every target that
        renders that source: a kustomize object's name before the overlays' namePrefix/nameSuffix
        (and a generated one's without its content hash) and the namespace its base states, not the
        overlay's; a Helm object's name (its namespace is the release's, chosen per target)."""
        if plain_source(obj):
            return obj.name, obj.namespace
        if obj.helm_template is not None:
            return obj.name, None
        if obj.origin_generator:
            return _GENERATED_HASH.sub("", obj.name), None
        if obj.origin or obj.transformers:
            try:
                names = self.kustomize.names(obj)
                base = self.kustomize.base(obj, names)
            except (RecursionError, ValueError, TypeError, KeyError, IndexError, AttributeError):
                return obj.name, obj.namespace
            meta = base.get("metadata") if isinstance(base, dict) else None
            namespace = meta.get("namespace") if isinstance(meta, dict) else None
            return names[-1], namespace if isinstance(namespace, str) and namespace else None
        return obj.name, obj.namespace

    def _trace(self, obj: K8sObject, path: tuple, part: str) -> tuple[Location, tuple]:
        try:
            return self._source(obj, path, part)
        except (RecursionError, ValueError, TypeError, KeyError, IndexError, AttributeError):
            # a source shaped in a way not foreseen: the rendered line is still a true answer
            return self.rendered(obj, path), ()

    def _source(self, obj: K8sObject, path: tuple, part: str) -> tuple[Location, tuple]:
        if plain_source(obj):
            line, _ = walk(obj.data, path)
            return Location(obj.origin, line or 1), ()
        if obj.origin and obj.helm_template is not None:
            found = self.helm.trace(obj, path, part)
            if found is not None:
                return found
        elif obj.origin and obj.origin_generator:
            return self.kustomize.generator(obj, path), ()
        elif obj.origin or obj.transformers:
            found = self.kustomize.locate(obj, path, part)
            if found is not None:
                return found, ()
        if obj.origin is None and obj.stream_file.endswith("(rendered)"):
            return Location(self.target_file, 1), ()
        return self.rendered(obj, path), ()


def plain_source(obj: K8sObject) -> bool:
    """A plain manifest: its own source (no kustomize or Helm provenance to trace)."""
    return (obj.origin is not None and obj.origin == obj.stream_file and not obj.transformers
            and not obj.origin_generator and obj.helm_template is None)
