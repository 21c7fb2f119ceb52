"""Container templates: resource requests/limits, and no command override in app containers."""

from __future__ import annotations

from typing import Iterator

from ..model import Violation
from ..workloads import Container, is_helm_hook
from . import template


def _where(container: Container) -> str:
    obj = container.obj
    ns = f"{obj.namespace}/" if obj.namespace else ""
    kind = "init container" if container.group == "initContainers" else "container"
    return f"{kind} '{container.name}' of {obj.kind} {ns}{obj.name}"


def _is_helm_test(container: Container) -> bool:
    hook = container.obj.annotations().get("helm.sh/hook")
    return isinstance(hook, str) and any(part.strip().startswith("test") for part in hook.split(","))


RESOURCE_NAMES = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"]


@template(scope="container", params={
    "require": {"type": "array", "items": {"type": "string", "pattern": r"^(requests|limits)\.[^.\s]"}, "default": RESOURCE_NAMES,
                "description": "The requests and limits every container must set (`requests.<resource>`, `limits.<resource>`)."},
})
def resources(container: Container, params: dict, ctx) -> Iterator[Violation]:
    """A container (init containers included; ephemeral containers cannot set resources) that
    leaves out one of ``params.require`` (default: requests and limits for cpu and memory).
    Helm test hooks are exempt."""
    if container.group == "ephemeralContainers" or _is_helm_test(container):
        return
    spec = container.data.get("resources")
    spec = spec if isinstance(spec, dict) else {}
    missing = []
    for item in params["require"]:
        section, _, resource = str(item).partition(".")
        values = spec.get(section)
        if not isinstance(values, dict) or values.get(resource) in (None, ""):
            missing.append(item)
    if not missing:
        return
    path = container.path + (("resources",) if "resources" in container.data else ())
    yield Violation(
        f"{_where(container)} sets no {', '.join(missing)}: apps share a server, so every container states "
        "CPU and memory requests and limits",
        path,
        key=container.name,
    )


@template(scope="container", params={})
def no_command_override(container: Container, params: dict, ctx) -> Iterator[Violation]:
    """A regular container of a long-running workload (Deployment, StatefulSet, DaemonSet,
    ReplicaSet, Rollout) that sets ``command:``. Jobs, CronJobs and bare Pods (one-off tasks
    such as migrations run a command by design), init containers, ephemeral containers and Helm
    hooks are not app containers and are exempt; ``args:`` is configuration and allowed."""
    if container.group != "containers" or not container.workload.long_running or is_helm_hook(container.obj):
        return
    command = container.data.get("command")
    if not command:
        return
    first = command[0] if isinstance(command, list) else command
    words = first.split() if isinstance(first, str) else []
    shown = f" (starts with '{words[0][:60]}')" if words else ""  # the executable only: the rest may hold settings
    yield Violation(
        f"{_where(container)} overrides the image's command{shown}: how the app runs is defined "
        "by its image; pass settings with args or env instead",
        container.path + ("command",),
        key=container.name,
    )
