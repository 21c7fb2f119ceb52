"""Check templates: plain functions that yield :class:`~k8slint.model.Violation`.

A template is found by name: the built-ins are the ``@template`` functions of the modules of
this package (named by ``name=``, else the function's name with ``-`` for ``_``); a third-party
package registers its own in the ``k8slint.templates`` entry-point group. A rule file names a
template and gives its params. ``@template(scope=..., params=...)`` records what the function
is called with:

- ``object``: every object (``subject`` is a K8sObject)
- ``podspec``: every pod-bearing object (``subject`` is a workloads.Workload)
- ``container``: every container (``subject`` is a workloads.Container)
- ``render``: once per render (``subject`` is the check stage's Index of all objects)
- ``repo``: once per repository (``subject`` is a check.context.RepoFiles)
- ``source``: once per target (``subject`` is the Target)

``params`` maps each param's name to its JSON Schema, with its ``default`` (where it has one:
a param without a default must be set by the rule) and a ``description``. Rule files and
``.k8slint.yaml`` are validated against it when they load (unknown or wrongly typed params
are an error naming the file and line), and the template receives every param, defaults
filled in: it reads ``params["x"]``, never ``params.get("x", default)``. ``params={}``
declares a template without params; a third-party template that declares nothing gets its
params unchecked.

``warm=fn``, optional, for ``object`` templates: ``fn(objects, params, settings)`` fills the
caches the template reads for a render's objects (a validator per kind), called with each
render's objects while other targets still render (:mod:`k8slint.check.warm`). It must not
change what the template reports, and it reports nothing: an error it meets is left for the
check to meet and report.

Every template is called as ``fn(subject, params, ctx)``; ``ctx`` is the
:class:`k8slint.check.context.Context`: the environment, the policy environment, the rule, the
render's index, and the repository's files (read only through it). A template imports only
value types (``k8slint.model``, ``workloads``, ``sensitive``, ``load``), schema helpers and
``k8slint.check.context``; ``tests/test_layout.py`` keeps it so.
"""

from __future__ import annotations

from typing import Callable

SCOPES = ("object", "podspec", "container", "render", "repo", "source")


def params_schema(params: dict | None) -> dict | None:
    """The JSON Schema of a template's params object, from ``{name: schema}`` (None: undeclared)."""
    if params is None:
        return None
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": params,
        "required": sorted(name for name, schema in params.items() if "default" not in schema),
    }


def template(scope: str, params: dict | None = None, name: str | None = None, warm: Callable | None = None) -> Callable:
    if scope not in SCOPES:
        raise ValueError(f"unknown template scope {scope!r}")
    for key, schema in (params or {}).items():
        if not isinstance(schema, dict) or "description" not in schema:
            raise ValueError(f"param {key!r}: a JSON Schema with a description")

    def mark(fn: Callable) -> Callable:
        fn.k8slint_scope = scope  # type: ignore[attr-defined]
        fn.k8slint_params = params_schema(params)  # type: ignore[attr-defined]
        fn.k8slint_name = name or fn.__name__.replace("_", "-")  # type: ignore[attr-defined]
        fn.k8slint_warm = warm  # type: ignore[attr-defined]
        return fn

    return mark
