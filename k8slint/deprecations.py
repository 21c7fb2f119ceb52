"""Deprecated and removed Kubernetes API versions since 1.16 (the upstream deprecated-API migration guide).

Each entry: (apiVersion, kind) -> deprecated in, removed in (no longer served), replacement.
"""

from __future__ import annotations


from .records import record


@record(frozen=True)
class Move:
    """A deprecated or removed apiVersion of a kind: when, and what replaces it."""

    api_version: str
    kind: str
    deprecated: tuple[int, int]
    removed: tuple[int, int] | None
    replacement: str  # "apps/v1 Deployment", or advice when nothing replaces it

    def __init__(
            self, api_version: str, kind: str, deprecated: tuple[int, int], removed: tuple[int, int] | None,
            replacement: str
    ) -> None:
        object.__setattr__(self, "api_version", api_version)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "deprecated", deprecated)
        object.__setattr__(self, "removed", removed)
        object.__setattr__(self, "replacement", replacement)


_PSA = "no replacement: use Pod Security Admission (pod-security.kubernetes.io/* namespace labels)"

_TABLE = [
    # removed in 1.16
    *[Move("extensions/v1beta1", k, (1, 9), (1, 16), f"apps/v1 {k}") for k in ("Deployment", "DaemonSet", "ReplicaSet")],
    *[Move("apps/v1beta1", k, (1, 9), (1, 16), f"apps/v1 {k}") for k in ("Deployment", "StatefulSet", "ReplicaSet", "ControllerRevision")],
    *[Move("apps/v1beta2", k, (1, 9), (1, 16), f"apps/v1 {k}")
      for k in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision")],
    Move("extensions/v1beta1", "NetworkPolicy", (1, 9), (1, 16), "networking.k8s.io/v1 NetworkPolicy"),
    Move("extensions/v1beta1", "PodSecurityPolicy", (1, 10), (1, 16), _PSA),
    # removed in 1.22
    Move("extensions/v1beta1", "Ingress", (1, 14), (1, 22), "networking.k8s.io/v1 Ingress"),
    Move("networking.k8s.io/v1beta1", "Ingress", (1, 19), (1, 22), "networking.k8s.io/v1 Ingress"),
    Move("networking.k8s.io/v1beta1", "IngressClass", (1, 19), (1, 22), "networking.k8s.io/v1 IngressClass"),
    *[Move("admissionregistration.k8s.io/v1beta1", k, (1, 16), (1, 22), f"admissionregistration.k8s.io/v1 {k}")
      for k in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")],
    Move("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", (1, 16), (1, 22), "apiextensions.k8s.io/v1 CustomResourceDefinition"),
    Move("apiregistration.k8s.io/v1beta1", "APIService", (1, 19), (1, 22), "apiregistration.k8s.io/v1 APIService"),
    Move("authentication.k8s.io/v1beta1", "TokenReview", (1, 19), (1, 22), "authentication.k8s.io/v1 TokenReview"),
    *[Move("authorization.k8s.io/v1beta1", k, (1, 19), (1, 22), f"authorization.k8s.io/v1 {k}")
      for k in ("SubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview")],
    Move("certificates.k8s.io/v1beta1", "CertificateSigningRequest", (1, 19), (1, 22), "certificates.k8s.io/v1 CertificateSigningRequest"),
    Move("coordination.k8s.io/v1beta1", "Lease", (1, 19), (1, 22), "coordination.k8s.io/v1 Lease"),
    *[Move("rbac.authorization.k8s.io/v1beta1", k, (1, 17), (1, 22), f"rbac.authorization.k8s.io/v1 {k}")
      for k in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")],
    Move("scheduling.k8s.io/v1beta1", "PriorityClass", (1, 14), (1, 22), "scheduling.k8s.io/v1 PriorityClass"),
    *[Move("storage.k8s.io/v1beta1", k, (1, 19), (1, 22), f"storage.k8s.io/v1 {k}")
      for k in ("CSIDriver", "StorageClass", "VolumeAttachment")],
    Move("storage.k8s.io/v1beta1", "CSINode", (1, 17), (1, 22), "storage.k8s.io/v1 CSINode"),
    # removed in 1.25
    Move("batch/v1beta1", "CronJob", (1, 21), (1, 25), "batch/v1 CronJob"),
    Move("batch/v2alpha1", "CronJob", (1, 8), (1, 21), "batch/v1 CronJob"),
    Move("discovery.k8s.io/v1beta1", "EndpointSlice", (1, 21), (1, 25), "discovery.k8s.io/v1 EndpointSlice"),
    Move("events.k8s.io/v1beta1", "Event", (1, 19), (1, 25), "events.k8s.io/v1 Event"),
    Move("autoscaling/v2beta1", "HorizontalPodAutoscaler", (1, 22), (1, 25), "autoscaling/v2 HorizontalPodAutoscaler"),
    Move("policy/v1beta1", "PodDisruptionBudget", (1, 21), (1, 25), "policy/v1 PodDisruptionBudget"),
    Move("policy/v1beta1", "PodSecurityPolicy", (1, 21), (1, 25), _PSA),
    Move("node.k8s.io/v1beta1", "RuntimeClass", (1, 20), (1, 25), "node.k8s.io/v1 RuntimeClass"),
    # removed in 1.26, 1.27, 1.29, 1.32
    Move("autoscaling/v2beta2", "HorizontalPodAutoscaler", (1, 23), (1, 26), "autoscaling/v2 HorizontalPodAutoscaler"),
    *[Move("flowcontrol.apiserver.k8s.io/v1beta1", k, (1, 23), (1, 26), f"flowcontrol.apiserver.k8s.io/v1 {k}")
      for k in ("FlowSchema", "PriorityLevelConfiguration")],
    Move("storage.k8s.io/v1beta1", "CSIStorageCapacity", (1, 24), (1, 27), "storage.k8s.io/v1 CSIStorageCapacity"),
    *[Move("flowcontrol.apiserver.k8s.io/v1beta2", k, (1, 26), (1, 29), f"flowcontrol.apiserver.k8s.io/v1 {k}")
      for k in ("FlowSchema", "PriorityLevelConfiguration")],
    *[Move("flowcontrol.apiserver.k8s.io/v1beta3", k, (1, 29), (1, 32), f"flowcontrol.apiserver.k8s.io/v1 {k}")
      for k in ("FlowSchema", "PriorityLevelConfiguration")],
    # deprecated, still served
    Move("v1", "Endpoints", (1, 33), None, "discovery.k8s.io/v1 EndpointSlice"),
]

TABLE: dict[tuple[str, str], Move] = {(m.api_version, m.kind): m for m in _TABLE}


def lookup(api_version: str, kind: str) -> Move | None:
    return TABLE.get((api_version, kind))


def status(api_version: str, kind: str, target: tuple[int, int]) -> tuple[str, Move] | None:
    """("removed" | "deprecated", move) for an apiVersion/kind at Kubernetes ``target``, else None."""
    move = lookup(api_version, kind)
    if move is None:
        return None
    if move.removed is not None and target >= move.removed:
        return "removed", move
    if target >= move.deprecated:
        return "deprecated", move
    return None
