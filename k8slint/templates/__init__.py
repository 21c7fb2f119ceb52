"""Check templates: plain functions that yield :class:`~k8slint.model.Violation`.

A template is registered by name in the ``k8slint.templates`` entry-point group (the
built-ins exactly like a third-party package would); a rule file names it and gives its
params. ``@template(scope=...)`` only records what the function is called with:

- ``object``: every object (``subject`` is a K8sObject)
- ``podspec``: every pod-bearing object (``subject`` is a workloads.Workload)
- ``container``: every container (``subject`` is a workloads.Container)
- ``render``: once per render (``subject`` is the engine's Index of all objects)
- ``repo``: once per repository (``subject`` is the engine's RepoFiles)
- ``source``: once per target (``subject`` is the engine's TargetSources)

Every template is called as ``fn(subject, params, ctx)``; ``ctx`` carries the environment,
the policy environment, the rule and the run's caches.
"""

from __future__ import annotations

from typing import Callable

SCOPES = ("object", "podspec", "container", "render", "repo", "source")


def template(scope: str) -> Callable:
    if scope not in SCOPES:
        raise ValueError(f"unknown template scope {scope!r}")

    def mark(fn: Callable) -> Callable:
        fn.k8slint_scope = scope  # type: ignore[attr-defined]
        return fn

    return mark
