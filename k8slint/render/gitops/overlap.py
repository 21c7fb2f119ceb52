"""Two deployment units that deploy the same object to the same cluster (the post-mortem's
duplicated Deployments): found from what each unit rendered, reported as data for the
``gitops-overlap`` rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .collect import OVERLAP
from .model import Deployment, Problem

# kinds that have no namespace (an object without one keeps none, whatever the destination)
CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "StorageClass", "CustomResourceDefinition", "ClusterRole",
    "ClusterRoleBinding", "PriorityClass", "IngressClass", "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "APIService", "ClusterIssuer", "GatewayClass", "FlowSchema",
    "PriorityLevelConfiguration", "CertificateSigningRequest",
})


@dataclass(frozen=True)
class Deployed:
    """One object a unit's render holds, with the file and line a person edits."""

    group: str
    kind: str
    namespace: str | None
    name: str
    file: str
    line: int


def _identity(unit: Deployment, obj: Deployed) -> tuple:
    namespace = obj.namespace
    if not namespace and obj.kind not in CLUSTER_SCOPED:
        namespace = unit.destination.namespace or "default"
    return unit.destination.cluster(), obj.group, obj.kind, namespace or "", obj.name


def overlaps(rendered: Iterable[tuple[Deployment, Iterable[Deployed]]]) -> list[Problem]:
    """One problem per object per unit after the first that deploys it to the same cluster."""
    first: dict[tuple, tuple[Deployment, Deployed]] = {}
    out: list[Problem] = []
    ordered = sorted(rendered, key=lambda pair: (pair[0].file, pair[0].line, pair[0].name, pair[0].parent or ""))
    for unit, objects in ordered:
        for obj in sorted(set(objects), key=lambda o: (o.file, o.line, o.kind, o.namespace or "", o.name)):
            identity = _identity(unit, obj)
            earlier = first.get(identity)
            if earlier is None:
                first[identity] = (unit, obj)
                continue
            other, _ = earlier
            if other is unit or (other.key == unit.key and other.parent == unit.parent):
                continue
            cluster, group, kind, namespace, name = identity
            shown = f"{group + '/' if group else ''}{kind} {namespace + '/' if namespace else ''}{name}"
            out.append(Problem(OVERLAP, f"{unit.label()} deploys {shown}, which {other.label()} ({other.file}:{other.line}) "
                               f"also deploys to the same cluster ({cluster}): the two fight over one object",
                               obj.file, obj.line, unit.key))
    return out
