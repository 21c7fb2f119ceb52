"""Turn a target (overlay, chart x values, file, directory, stdin) into Kubernetes objects.

Each renderer returns a :class:`Render`: the objects, where each came from, and the
problems met on the way (``render-error``, ``parse-error``) as findings-to-be, never as
exceptions. Heavy modules (the Helm SDK, subprocess plumbing) are imported only here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..model import K8sObject, Location

if TYPE_CHECKING:
    from ..targets import Target


@dataclass
class Problem:
    rule: str  # "render-error" or "parse-error"
    message: str
    location: Location


@dataclass
class Render:
    target: "Target"
    objects: list[K8sObject] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    failed: bool = False  # nothing could be rendered at all
    notes: list[str] = field(default_factory=list)


def render(target: "Target", settings) -> Render:
    """Dispatch on the target's kind; never raises for bad input."""
    if target.kind == "kustomize":
        from .kustomize import render_kustomization

        return render_kustomization(target, settings)
    if target.kind == "helm":
        from .helm import render_chart

        return render_chart(target, settings)
    from .plain import render_plain

    return render_plain(target, settings)
