"""Probe templates: long-running containers need readiness and liveness probes."""

from __future__ import annotations

from typing import Iterator

from ..model import Violation, some
from ..workloads import Container, is_helm_hook
from . import template


@template(scope="container", params={
    "probe": {"enum": ["readinessProbe", "livenessProbe", "startupProbe"], "description": "The probe every long-running container must have."},
    "why": {"type": "string", "minLength": 1, "description": "What goes wrong without it (the end of the message)."},
})
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


PROBES = ("readinessProbe", "livenessProbe", "startupProbe")
PROBE_HANDLERS = ("httpGet", "tcpSocket", "grpc")


@template(scope="container", params={})
def probe_port(container: Container, params: dict, ctx) -> Iterator[Violation]:
    """A probe (readiness, liveness, startup) whose named port is not declared in the
    container's ``ports``. Numeric ports are not checked (an app may listen on an undeclared port).
    Probes that share one undeclared name are one finding (one edit declares it), at the first."""
    ports = container.data.get("ports")
    declared = {p["name"] for p in ports if isinstance(p, dict) and isinstance(p.get("name"), str)} if isinstance(ports, list) else set()
    obj = container.obj
    ns = f"{obj.namespace}/" if obj.namespace else ""
    undeclared: dict[str, list[tuple[str, str]]] = {}  # port name -> [(probe, handler)], in PROBES order
    for probe in PROBES:
        spec = container.data.get(probe)
        if not isinstance(spec, dict):
            continue
        for handler in PROBE_HANDLERS:
            action = spec.get(handler)
            port = action.get("port") if isinstance(action, dict) else None
            if isinstance(port, str) and not port.isdigit() and port not in declared:
                undeclared.setdefault(port, []).append((probe, handler))
    known = some(sorted(declared), 10) or "none"
    for port, uses in undeclared.items():
        probes = [probe for probe, _ in uses]
        who = probes[0] if len(probes) == 1 else ", ".join(probes[:-1]) + " and " + probes[-1]
        never = "the probe can never succeed" if len(probes) == 1 else "these probes can never succeed"
        probe, handler = uses[0]
        yield Violation(
            f"{who} of container '{container.name}' of {obj.kind} {ns}{obj.name} use{'s' if len(probes) == 1 else ''} "
            f"port '{port}', which the container does not declare (named ports: {known}): {never}",
            container.path + (probe, handler, "port"),
            key=f"{container.name}/{probe}",  # the first probe: the fingerprint of a single-probe finding is unchanged
        )
