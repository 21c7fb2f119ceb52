"""Object identity within a render: duplicates, and the namespace every object lands in."""

from __future__ import annotations

from typing import Iterator

from ..model import K8sObject, Location, Violation
from . import template
from .lookup import effective_namespace, get_in

# Built-in cluster-scoped kinds; kinds starting with "Cluster" and CRDs of the render that
# declare `scope: Cluster` are cluster-scoped too, and params.cluster-scoped adds more.
CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "StorageClass", "CustomResourceDefinition", "PriorityClass",
    "IngressClass", "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment", "APIService",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
    "PodSecurityPolicy", "CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration", "GatewayClass",
    "ComponentStatus", "SelfSubjectReview", "TokenReview", "SelfSubjectAccessReview", "SubjectAccessReview",
    "SelfSubjectRulesReview", "VolumeSnapshotClass", "VolumeSnapshotContent", "IPAddress", "ServiceCIDR",
    "DeviceClass", "ResourceSlice", "StorageVersionMigration",
})


def _origin(obj: K8sObject) -> str:
    return obj.origin or obj.stream_file


@template(scope="render", params={})
def duplicate_object(index, params: dict, ctx) -> Iterator[Violation]:
    """The same (group, kind, namespace, name) twice in one render."""
    seen: dict[tuple, list[K8sObject]] = {}
    for obj in index.objects:
        if not obj.kind or not obj.name:
            continue
        key = (obj.group, obj.kind, effective_namespace(obj, ctx) or "", obj.name)
        seen.setdefault(key, []).append(obj)
    for (group, kind, ns, name), objs in seen.items():
        if len(objs) < 2:
            continue
        first = objs[0]
        for number, obj in enumerate(objs[1:], 2):
            same_file = _origin(obj) == _origin(first)
            yield Violation(
                f"{kind}{'.' + group if group else ''} {ns + '/' if ns else ''}{name} is rendered {len(objs)} times "
                f"(occurrence {number}; the first comes from {_origin(first)}{', the same file' if same_file else ''}): "
                "the last one applied silently wins",
                ("metadata", "name"), obj=obj, key=f"#{number}",
            )


def _cluster_scoped(index, params: dict) -> frozenset:
    def build(idx) -> frozenset:
        kinds = set(CLUSTER_SCOPED) | set(params["cluster-scoped"])
        for crd in idx.by_kind.get("CustomResourceDefinition", ()):
            if get_in(crd.data, "spec", "scope") == "Cluster" and isinstance(get_in(crd.data, "spec", "names", "kind"), str):
                kinds.add(get_in(crd.data, "spec", "names", "kind"))
        return frozenset(kinds)

    return index.cached("cluster-scoped-kinds", build)


@template(scope="render", name="namespace", params={
    "forbidden": {"type": "array", "items": {"type": "string"}, "default": ["default"],
                  "description": "Namespaces no object may land in."},
    "cluster-scoped": {"type": "array", "items": {"type": "string"}, "default": [],
                       "description": "Kinds that are cluster-scoped besides the built-in ones and the render's CRDs with `scope: Cluster`."},
})
def namespace_set(index, params: dict, ctx) -> Iterator[Violation]:
    """Every namespaced object has a namespace after rendering, and it is not `default`.

    Helm: an object without metadata.namespace is installed into the release namespace. With
    a release namespace given (--namespace, helm.namespace) that is its namespace; without one
    the namespace is chosen at install time (helm -n, an Argo CD Application's destination), so
    only objects that name a namespace themselves are checked.
    """
    cluster = _cluster_scoped(index, params)
    forbidden = set(params["forbidden"])
    target = ctx.target
    missing: list[K8sObject] = []
    namespaced = 0
    for obj in index.objects:
        kind = obj.kind
        if not kind or kind in cluster or kind.startswith("Cluster") or kind == "List":
            continue
        if obj.api_version.startswith("kustomize.config.k8s.io/"):
            continue
        namespaced += 1
        ns = effective_namespace(obj, ctx)
        if ns is None:
            if not obj.namespace_at_install:
                missing.append(obj)
            continue
        if ns not in forbidden:
            continue
        if obj.namespace_at_install:
            continue  # `namespace: {{ .Release.Namespace }}` rendered without a release namespace
        explicit = obj.namespace is not None
        yield Violation(
            f"{kind} {ns}/{obj.name} is in the '{ns}' namespace"
            f"{'' if explicit else ' (the Helm release namespace)'}: each app lives in its own namespace",
            ("metadata", "namespace") if explicit else ("metadata",), obj=obj, key="default",
        )
    if not missing:
        return
    kfile = ctx.kustomization_file(target)
    if kfile is not None and len(missing) == namespaced and len(missing) > 1:
        yield Violation(
            f"none of the {len(missing)} namespaced objects of {target.display} has a namespace after rendering, so they land "
            f"in whatever namespace kubectl's context points at (usually default): set `namespace:` in {kfile}",
            location=Location(kfile, 1), key="all-missing",
        )
        return
    for obj in missing:
        yield Violation(
            f"{obj.kind} {obj.name} has no namespace after rendering, so it lands in whatever namespace kubectl's "
            "context points at (usually default): set metadata.namespace, or `namespace:` in the kustomization",
            ("metadata",), obj=obj, key="missing",
        )
