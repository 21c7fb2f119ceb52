"""Lookups that cross-object (render-scope) templates share, built once per render.

Each builder runs once through ``Index.cached`` and turns the render into dictionaries, so a
rule looks an object up by name or by label instead of looping over every object.

Namespaces: an object without ``metadata.namespace`` lands in the default namespace its
render source states (``K8sObject.default_namespace``: the Helm release namespace when one was
given with ``--namespace`` / ``helm.namespace``); otherwise its namespace is decided at apply
time, and a lookup treats it as matching any namespace (never crying wolf about a namespace
k8slint cannot know).
"""

from __future__ import annotations

from typing import Any, Iterable

from ..model import K8sObject
from ..workloads import POD_SPEC_PATHS


def effective_namespace(obj: K8sObject, ctx=None) -> str | None:
    """The namespace an object lands in, when known: its own, else the one its renderer states."""
    return obj.namespace or obj.default_namespace


def same_namespace(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def shown(obj: K8sObject, ctx=None) -> str:
    ns = effective_namespace(obj, ctx) if ctx is not None else obj.namespace
    return f"{obj.kind} {ns + '/' if ns else ''}{obj.name}"


def by_name(index, ctx, kinds: Iterable[str]) -> dict[tuple[str, str], list[K8sObject]]:
    """(kind, name) -> objects, for the given kinds."""
    kinds = tuple(sorted(kinds))

    def build(idx) -> dict:
        out: dict[tuple[str, str], list[K8sObject]] = {}
        for kind in kinds:
            for obj in idx.by_kind.get(kind, ()):
                out.setdefault((kind, obj.name), []).append(obj)
        return out

    return index.cached("by-name:" + ",".join(kinds), build)


def find(index, ctx, kind: str, name: str, namespace: str | None) -> list[K8sObject]:
    return [o for o in by_name(index, ctx, (kind,)).get((kind, name), ()) if same_namespace(effective_namespace(o, ctx), namespace)]


def pod_labels(workload) -> dict:
    labels = workload.template_metadata.get("labels")
    return labels if isinstance(labels, dict) else {}


class LabelIndex:
    """Objects by (label key, value), to find what a selector matches without a scan."""

    def __init__(self, items: list[tuple[Any, dict, str | None]]) -> None:
        self.items = items  # (thing, labels, namespace)
        self.postings: dict[tuple[str, str], list[int]] = {}
        self._in_namespace: dict[tuple[str | None, tuple[str, str]], list[int]] = {}  # (namespace or None, pair)
        self._sets: dict[tuple, frozenset[int]] = {}
        for position, (_, labels, ns) in enumerate(items):
            for key, value in labels.items():
                pair = (str(key), str(value))
                self.postings.setdefault(pair, []).append(position)
                self._in_namespace.setdefault((ns, pair), []).append(position)

    def _posting_set(self, pair: tuple[str, str], namespaces: set | None) -> frozenset[int]:
        """Positions carrying ``pair`` - in ``namespaces`` or without a namespace, when given."""
        if namespaces is None:
            key: tuple = ("any", pair)
            found = self._sets.get(key)
            if found is None:
                found = self._sets[key] = frozenset(self.postings.get(pair, ()))
            return found
        parts = []
        for ns in (*sorted(namespaces), None):
            key = ("in", ns, pair)
            found = self._sets.get(key)
            if found is None:
                found = self._sets[key] = frozenset(self._in_namespace.get((ns, pair), ()))
            parts.append(found)
        return frozenset().union(*parts)

    def _candidates(self, match_labels: dict, namespaces: set | None):
        if not match_labels:
            return range(len(self.items))
        sets = sorted((self._posting_set((str(k), str(v)), namespaces) for k, v in match_labels.items()), key=len)
        found = sets[0]
        for other in sets[1:]:
            found = found & other
        return found

    def _fits(self, position: int, expressions: list | None, namespaces: set | None) -> bool:
        _, labels, ns = self.items[position]
        if namespaces is not None and ns is not None and ns not in namespaces:
            return False
        return not expressions or all(_expression(e, labels) for e in expressions)

    def match(self, match_labels: dict, expressions: list | None = None, namespaces: set | None = None) -> list:
        """Things whose labels satisfy matchLabels and matchExpressions, in ``namespaces`` (None = any),
        in the order they were indexed.

        Posting sets (per label, and per namespace) are built once and intersected smallest first
        (a set intersection walks the smaller side): neither a label every object carries
        (app.kubernetes.io/managed-by: Helm) nor the same app in many namespaces costs a pass over
        every object per selector."""
        return [self.items[p][0] for p in sorted(self._candidates(match_labels, namespaces))
                if self._fits(p, expressions, namespaces)]

    def matches_any(self, match_labels: dict, expressions: list | None = None, namespaces: set | None = None) -> bool:
        """Whether :meth:`match` would find anything (stops at the first)."""
        return any(self._fits(p, expressions, namespaces) for p in self._candidates(match_labels, namespaces))

    def __len__(self) -> int:
        return len(self.items)


def _expression(expression: Any, labels: dict) -> bool:
    if not isinstance(expression, dict):
        return True
    key = expression.get("key")
    operator = expression.get("operator")
    values = [str(v) for v in expression.get("values") or []]
    present = key in labels
    if operator == "In":
        return present and str(labels[key]) in values
    if operator == "NotIn":
        return not present or str(labels[key]) not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    return True


def template_labels(obj: K8sObject) -> dict | None:
    """The pod-template labels of a workload kind (Deployment, CronJob, Pod, ...), also when its
    template has no pod spec; None for an object that is not a workload kind."""
    path = POD_SPEC_PATHS.get(obj.kind)
    if path is None:
        return None
    node: Any = obj.data
    for step in (*path[:-1], "metadata", "labels"):
        node = node.get(step) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def workload_labels(index, ctx) -> LabelIndex:
    """Every workload object (pod spec or not: a Deployment whose template has only labels is
    still what a Service or HPA next to it points at) by its pod-template labels."""

    def build(idx) -> LabelIndex:
        items = []
        for obj in idx.objects:
            labels = template_labels(obj)
            if labels is not None:
                items.append((obj, labels, effective_namespace(obj, ctx)))
        return LabelIndex(items)

    return index.cached("workload-labels", build)


def unreadable_hint(index) -> str:
    """'; a document at FILE:LINE could not be read and may be the one' when the render dropped
    documents with parse errors, so a rule that finds nothing does not claim nothing is there."""
    where = [f"{loc.file}:{loc.line}" for loc in getattr(index, "unreadable", ())]
    if not where:
        return ""
    if len(where) == 1:
        return f"; a document at {where[0]} could not be read and may be the one"
    shown = ", ".join(where[:3]) + (", ..." if len(where) > 3 else "")
    return f"; {len(where)} documents ({shown}) could not be read and one of them may be it"


def service_labels(index, ctx) -> LabelIndex:
    """Every Service by its own labels (what a ServiceMonitor selects)."""

    def build(idx) -> LabelIndex:
        return LabelIndex([(svc, svc.labels(), effective_namespace(svc, ctx)) for svc in idx.by_kind.get("Service", ())])

    return index.cached("service-labels", build)


def service_ports(service: K8sObject) -> list[dict]:
    spec = service.data.get("spec")
    ports = spec.get("ports") if isinstance(spec, dict) else None
    return [p for p in ports if isinstance(p, dict)] if isinstance(ports, list) else []


def get_in(data: Any, *path: Any) -> Any:
    for step in path:
        if isinstance(data, dict) and isinstance(step, str):
            data = data.get(step)
        elif isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
            data = data[step]
        else:
            return None
    return data
