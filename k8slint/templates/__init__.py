"""Check templates: plain functions that yield :class:`~k8slint.model.Violation`.

A template is registered by name in the ``k8slint.templates`` entry-point group (the
built-ins exactly like a third-party package would); a rule file names it and gives its
params. ``@template(scope=...)`` only records what the function is called with:

- ``object``: every object (``subject`` is a K8sObject)
- ``podspec``: every pod-bearing object (``subject`` is a workloads.Workload)
- ``container``: every container (``subject`` is a workloads.Container)
- ``render``: once per render (``subject`` is the check stage's Index of all objects)
- ``repo``: once per repository (``subject`` is a check.context.RepoFiles)
- ``source``: once per target (``subject`` is the Target)

Every template is called as ``fn(subject, params, ctx)``; ``ctx`` is the
:class:`k8slint.check.context.Context`: the environment, the policy environment, the rule, the
render's index, and the repository's files (read only through it). A template imports only
value types (``k8slint.model``, ``workloads``, ``sensitive``, ``load``), schema helpers and
``k8slint.check.context``; ``tests/test_layout.py`` keeps it so.
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
