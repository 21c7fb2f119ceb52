"""All objects of one render, indexed once for cross-object rules."""

from __future__ import annotations

from typing import Any

from ..model import K8sObject
from ..workloads import workload_of


class Index:
    """All objects of one render, indexed once for cross-object rules."""

    def __init__(self, objects: list[K8sObject]) -> None:
        self.objects = objects
        self.by_kind: dict[str, list[K8sObject]] = {}
        self.by_key: dict[tuple, list[K8sObject]] = {}
        for obj in objects:
            self.by_kind.setdefault(obj.kind, []).append(obj)
            self.by_key.setdefault((obj.group, obj.kind, obj.namespace, obj.name), []).append(obj)
        self._workloads: dict[int, Any] = {}
        self._lookups: dict[str, Any] = {}
        self._by_kind_name: dict[tuple, list[K8sObject]] | None = None
        self.unreadable: list = []  # Locations of the render's parse-errors: documents that may be missing here

    def cached(self, name: str, build) -> Any:
        """A lookup that cross-object rules share, built once per render: ``build(index)``."""
        if name not in self._lookups:
            self._lookups[name] = build(self)
        return self._lookups[name]

    def get(self, kind: str, name: str, namespace: str | None = None) -> list[K8sObject]:
        """Objects of ``kind`` named ``name`` (in ``namespace`` or with none), in render order.

        A dict lookup, not a scan of every object of the kind: rules call this once per object
        (a pod's ServiceAccount, a volume's claim), which would otherwise be quadratic."""
        by_name = self._by_kind_name
        if by_name is None:
            by_name = self._by_kind_name = {}
            for obj in self.objects:
                by_name.setdefault((obj.kind, obj.name), []).append(obj)
        found = by_name.get((kind, name), ())
        return [o for o in found if namespace is None or o.namespace in (namespace, None)]

    def workload(self, obj: K8sObject):
        key = id(obj)
        if key not in self._workloads:
            self._workloads[key] = workload_of(obj)
        return self._workloads[key]
