"""Probe templates: long-running containers need readiness and liveness probes."""

from __future__ import annotations

from typing import Iterator

from ..model import Violation
from ..workloads import Container, is_helm_hook
from . import template


@template(scope="container")
def probe_required(container: Container, params: dict, ctx) -> Iterator[Violation]:
    """A regular container of a long-running workload (Deployment, StatefulSet, DaemonSet,
    ReplicaSet, Rollout) lacks the probe named by ``params.probe``. Jobs, CronJobs, bare Pods,
    Helm hooks, init and ephemeral containers are exempt."""
    if container.group != "containers" or not container.workload.long_running or is_helm_hook(container.obj):
        return
    probe = params["probe"]
    if isinstance(container.data.get(probe), dict):
        return
    obj = container.obj
    ns = f"{obj.namespace}/" if obj.namespace else ""
    yield Violation(
        f"container '{container.name}' of {obj.kind} {ns}{obj.name} has no {probe}: {params['why']}",
        container.path,
        key=container.name,
    )
