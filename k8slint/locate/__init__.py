"""Map (object, path inside it) to the source file and line a person should edit.

A plain manifest is its own source. A kustomize object is traced through its base, patches and
kustomization entries (:mod:`k8slint.locate.kustomize`); a Helm object through its template,
helpers and values files (:mod:`k8slint.locate.helm`), with the template line kept as a related
location when a values file is the primary one; a generated ConfigMap/Secret to its generator
entry. Last resort: the rendered stream. Source files are parsed once per run and shared by
every finding (:class:`k8slint.sources.SourceCache`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .helm import HelmProvenance
from .kustomize import KustomizeProvenance
from ..model import K8sObject, Location
from ..documents import SourceCache, find_doc, image_name, walk

__all__ = ["Locator", "Place", "SourceCache", "find_doc", "image_name", "walk"]


@dataclass(frozen=True)
class Place:
    """Where a finding goes: the source line, the rendered one when it differs, and related lines."""

    location: Location
    rendered: Location | None = None
    related: tuple = ()


class Locator:
    def __init__(self, cache: SourceCache, target_file: str) -> None:
        self.cache = cache
        self.target_file = target_file  # where problems with no better place point
        self.kustomize = KustomizeProvenance(cache)
        self.helm = HelmProvenance(cache)

    def locate(self, obj: K8sObject, path: tuple, part: str = "") -> Location:
        return self._trace(obj, path, part)[0]

    def rendered(self, obj: K8sObject, path: tuple) -> Location:
        line, _ = walk(obj.data, path)
        return Location(obj.stream_file, line or 1)

    def place(self, obj: K8sObject, path: tuple, part: str = "") -> Place:
        """The source location, the rendered one when it differs, and the related locations."""
        if _plain(obj):  # a plain file is its own source: one walk, not two
            line, _ = walk(obj.data, path)
            return Place(Location(obj.origin, line or 1))
        location, related = self._trace(obj, path, part)
        rendered = self.rendered(obj, path)
        return Place(location, None if rendered == location else rendered, related)

    def _trace(self, obj: K8sObject, path: tuple, part: str) -> tuple[Location, tuple]:
        try:
            return self._source(obj, path, part)
        except (RecursionError, ValueError, TypeError, KeyError, IndexError, AttributeError):
            # a source shaped in a way not foreseen: the rendered line is still a true answer
            return self.rendered(obj, path), ()

    def _source(self, obj: K8sObject, path: tuple, part: str) -> tuple[Location, tuple]:
        if _plain(obj):
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


def _plain(obj: K8sObject) -> bool:
    return (obj.origin is not None and obj.origin == obj.stream_file and not obj.transformers
            and not obj.origin_generator and obj.helm_template is None)
