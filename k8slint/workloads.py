"""Find the pod spec and containers inside workload objects, once per object."""

from __future__ import annotations

from dataclasses import field
from typing import Any, Iterator

from .model import K8sObject
from .records import FACTORY, record

POD_SPEC_PATHS: dict[str, tuple] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Rollout": ("spec", "template", "spec"),  # Argo Rollouts
    "PodTemplate": ("template", "spec"),
}
LONG_RUNNING = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Rollout"})
CONTAINER_GROUPS = ("containers", "initContainers", "ephemeralContainers")


@record
class Container:
    """One container of a pod spec and where it sits in its object."""

    data: dict
    group: str  # containers | initContainers | ephemeralContainers
    path: tuple
    workload: "Workload"

    def __init__(self, data: dict, group: str, path: tuple, workload: "Workload") -> None:
        self.data = data
        self.group = group
        self.path = path
        self.workload = workload

    @property
    def name(self) -> str:
        value = self.data.get("name")
        return value if isinstance(value, str) else f"#{self.path[-1]}"

    @property
    def obj(self) -> K8sObject:
        return self.workload.obj


@record
class Workload:
    """An object that carries a pod spec (Deployment, CronJob, Pod, ...)."""

    obj: K8sObject
    spec: dict
    path: tuple
    containers: list[Container] = field(default_factory=list)

    def __init__(self, obj: K8sObject, spec: dict, path: tuple, containers: list[Container] = FACTORY) -> None:
        self.obj = obj
        self.spec = spec
        self.path = path
        self.containers = [] if containers is FACTORY else containers

    @property
    def long_running(self) -> bool:
        return self.obj.kind in LONG_RUNNING

    @property
    def template_metadata(self) -> dict:
        if len(self.path) < 2:
            return self.obj.metadata
        node: Any = self.obj.data
        for step in self.path[:-1]:
            node = node.get(step) if isinstance(node, dict) else None
        meta = node.get("metadata") if isinstance(node, dict) else None
        return meta if isinstance(meta, dict) else {}

    def iter_containers(self, groups: tuple = CONTAINER_GROUPS) -> Iterator[Container]:
        for container in self.containers:
            if container.group in groups:
                yield container


def is_helm_hook(obj: K8sObject) -> bool:
    return "helm.sh/hook" in obj.annotations()


def workload_of(obj: K8sObject) -> Workload | None:
    """The object's pod spec with its containers, or None for objects without one."""
    path = POD_SPEC_PATHS.get(obj.kind)
    if path is None:
        return None
    node: Any = obj.data
    for step in path:
        node = node.get(step) if isinstance(node, dict) else None
        if node is None:
            return None
    if not isinstance(node, dict):
        return None
    workload = Workload(obj, node, path)
    for group in CONTAINER_GROUPS:
        items = node.get(group)
        if isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, dict):
                    workload.containers.append(Container(item, group, (*path, group, index), workload))
    return workload


def app_name(obj: K8sObject, workload: Workload | None = None) -> str | None:
    """The app an object belongs to: app.kubernetes.io/name or app label (object, then pod template)."""
    sources = [obj.labels()]
    if workload is not None:
        labels = workload.template_metadata.get("labels")
        if isinstance(labels, dict):
            sources.append(labels)
    for labels in sources:
        for key in ("app.kubernetes.io/name", "app"):
            value = labels.get(key)
            if isinstance(value, str) and value:
                return value
    return None
