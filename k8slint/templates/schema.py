"""Schema templates: built-in kinds against Kubernetes' OpenAPI schema, custom resources against
their CRD's schema, and apiVersions deprecated or removed at the target Kubernetes version.

Validators are compiled once per (Kubernetes version, apiVersion, kind) or per CRD schema and
reused for every object of the run (see k8slint/k8s_schema.py).
"""

from __future__ import annotations

from dataclasses import field
from typing import Any, Iterator

from .. import deprecations, k8s_schema
from ..model import K8sObject, Violation
from . import template
from ..records import FACTORY, record


@record
class _RunState:
    """What the schema rules keep for one run (on ``settings.cache``)."""

    target: tuple[int, int]
    schema_version: tuple[int, int] | None
    skipped: set = field(default_factory=set)  # (apiVersion, kind) already reported as not validated
    render_crds: tuple = (None, {})  # (the Index they were read from, {(group, version, kind): CrdVersion})
    compiled: dict = field(default_factory=dict)  # id(CrdVersion) -> (CrdVersion, compiled validator)
    native: dict = field(default_factory=dict)  # (apiVersion, kind) -> (a built-in group?, its validator or None)
    custom: dict = field(default_factory=dict)  # apiVersion -> (group, version) of a custom resource, None if built-in
    warmed: set = field(default_factory=set)  # (apiVersion, kind) of custom resources the warm-up compiled for

    def __init__(
            self, target: tuple[int, int], schema_version: tuple[int, int] | None, skipped: set = FACTORY,
            render_crds: tuple = (None, {}), compiled: dict = FACTORY, native: dict = FACTORY, custom: dict = FACTORY,
            warmed: set = FACTORY
    ) -> None:
        self.target = target
        self.schema_version = schema_version
        self.skipped = set() if skipped is FACTORY else skipped
        self.render_crds = render_crds
        self.compiled = {} if compiled is FACTORY else compiled
        self.native = {} if native is FACTORY else native
        self.warmed = set() if warmed is FACTORY else warmed
        self.custom = {} if custom is FACTORY else custom


def run_state(settings: Any) -> _RunState:
    state = settings.cache.get("schema")
    if state is None:
        target = k8s_schema.target_version(settings)
        state = _RunState(target, k8s_schema.schema_version(target)[0])
        settings.cache["schema"] = state
    return state


def user_crds(settings: Any) -> dict:
    """CRDs from config ``crds:`` and ``--crd``, read once per run by the settings (raises crds.CRDError)."""
    return settings.user_crds()


def _who(obj: K8sObject) -> str:
    return f"{obj.kind} {obj.namespace + '/' if obj.namespace else ''}{obj.name}"


def _native(state: _RunState, key: tuple[str, str], settings: Any) -> tuple[bool, Any]:
    """(a built-in group?, its validator or None) of an (apiVersion, kind), kept on the run state."""
    store = settings.cache.get("folder")  # the user's cache folder (None: --no-cache)
    version = state.schema_version
    builtin = k8s_schema.is_builtin_group(version, k8s_schema.split_api_version(key[0])[0], store)
    known = state.native[key] = (builtin, k8s_schema.native_validator(version, *key, store) if builtin else None)
    return known


def _validators(objects: list[K8sObject], params: dict, settings: Any) -> None:
    """kubernetes-schema's warm-up: the validators of these objects' kinds compiled."""
    state = run_state(settings)
    if state.schema_version is None:
        return
    native = state.native
    for obj in objects:
        key = (obj.api_version, obj.kind)
        if key not in native:
            _native(state, key, settings)


@template(scope="object", params={}, warm=_validators)
def kubernetes_schema(obj: K8sObject, params: dict, ctx) -> Iterator[Violation]:
    """A built-in kind validates against the Kubernetes OpenAPI schema, unknown fields rejected."""
    state = run_state(ctx.settings)
    version = state.schema_version
    if version is None:
        return
    key = (obj.api_version, obj.kind)
    known = state.native.get(key) or _native(state, key, ctx.settings)  # worked out once per apiVersion and kind
    builtin, compiled = known
    if not builtin:
        return  # a custom resource: crd-schema
    if compiled is None:
        if deprecations.lookup(obj.api_version, obj.kind) is not None:
            return  # a moved API: deprecated-api says where it went
        kinds = k8s_schema.kinds_of(version, obj.api_version)
        import difflib

        close = difflib.get_close_matches(obj.kind, kinds, n=1)
        if kinds:
            hint = f" (did you mean {close[0]}?)" if close else ""
            message = f"{_who(obj)}: Kubernetes {k8s_schema.fmt(version)} has no kind {obj.kind} in {obj.api_version}{hint}"
            path: tuple = ("kind",)
        else:
            message = f"{_who(obj)}: Kubernetes {k8s_schema.fmt(version)} serves no apiVersion {obj.api_version}"
            path = ("apiVersion",)
        yield Violation(message, path, key="unknown-kind")
        return
    if compiled.validator.is_valid(obj.data):
        return
    from ..schema_errors import validate  # explains a failure: loaded by the first object that fails

    for problem in validate(compiled, obj.data):
        yield Violation(f"{_who(obj)}: {problem.text} ({compiled.title} schema)", problem.path, key=problem.key)


def _render_crds(state: _RunState, index: Any) -> dict:
    if index is None:
        return {}
    if state.render_crds[0] is not index:
        state.render_crds = (index, _crd_versions(index.by_kind.get("CustomResourceDefinition", ())))
    return state.render_crds[1]


def _crd_versions(definitions: Any) -> dict:
    """{(group, version, kind): CrdVersion} of a render's CustomResourceDefinition objects."""
    from .. import crds  # custom resources only: a check of built-in kinds never loads it

    found = {}
    for crd in definitions:
        for version in crds.crd_versions(crd.data, "in the render"):
            found[(version.group, version.version, version.kind)] = version
    return found


def _shipped(group: str, version: str, kind: str) -> Any:
    """The validator of the schema k8slint ships for a custom resource, or None."""
    from .. import crds

    shipped = crds.shipped_schema(group, version, kind)
    if shipped is None:
        return None
    name = crds.shipped_file_name(group, version, kind)
    return k8s_schema.compile_schema(shipped, f"k8slint schemas/crds/{name}", "shipped:" + name)


def _compiled_for(state: _RunState, crd: Any) -> Any:  # crd: a crds.CrdVersion
    from .. import crds

    hit = state.compiled.get(id(crd))
    if hit is not None and hit[0] is crd:
        return hit[1]
    schema = crds.to_json_schema(crd.openapi)
    try:
        compiled = k8s_schema.compile_schema(schema, f"CRD {crd.crd_name} {crd.version} {crd.origin}", crds.digest(schema))
    except ValueError as exc:  # jsonschema-rs rejects the schema itself (a bad regex, an unknown type)
        compiled = f"its CustomResourceDefinition's schema cannot be used ({str(exc).splitlines()[0][:200]})"
    state.compiled[id(crd)] = (crd, compiled)
    return compiled


def _custom(state: _RunState, api_version: str, settings: Any) -> tuple[str, str] | None:
    """(group, version) of a custom resource's apiVersion, None for a built-in one (kept per apiVersion)."""
    if api_version in state.custom:
        return state.custom[api_version]
    group, version = k8s_schema.split_api_version(api_version)
    builtin = not group or (state.schema_version and k8s_schema.is_builtin_group(state.schema_version, group,
                                                                                  settings.cache.get("folder")))
    custom = state.custom[api_version] = None if builtin else (group, version)
    return custom


def _crd_validators(objects: list[K8sObject], params: dict, settings: Any) -> None:
    """crd-schema's warm-up: the validators of these custom resources' kinds compiled, found as the
    rule finds them (a CRD in the same render, then --crd and crds:, then shipped)."""
    state = run_state(settings)
    wanted: dict[tuple, K8sObject] = {}
    for obj in objects:
        custom = _custom(state, obj.api_version, settings)
        if custom is not None and (obj.api_version, obj.kind) not in state.warmed:
            wanted.setdefault((*custom, obj.kind), obj)
    if not wanted:
        return
    in_render = _crd_versions(o for o in objects if o.kind == "CustomResourceDefinition")
    for key, obj in wanted.items():
        crd = in_render.get(key) or user_crds(settings).get(key)
        if crd is None:
            _shipped(*key)
        elif crd.openapi is not None:
            _compiled_for(state, crd)
        state.warmed.add((obj.api_version, obj.kind))  # once a run: a kind's next CRD is left to the check


@template(scope="object", params={}, warm=_crd_validators)
def crd_schema(obj: K8sObject, params: dict, ctx) -> Iterator[Violation]:
    """A custom resource validates against its CRD's schema: from the render, --crd, or shipped."""
    state = run_state(ctx.settings)
    custom = _custom(state, obj.api_version, ctx.settings)  # worked out once per apiVersion
    if custom is None:
        return
    group, version = custom
    key = (group, version, obj.kind)
    compiled = None
    for source in (_render_crds(state, ctx.index), user_crds(ctx.settings)):
        crd = source.get(key)
        if crd is not None:
            if crd.openapi is None:
                compiled = "its CustomResourceDefinition has no openAPIV3Schema"
            else:
                compiled = _compiled_for(state, crd)
            break
        same_kind = sorted(v.version for (g, _, k), v in source.items() if g == group and k == obj.kind)
        if same_kind:
            crd_name = next(v.crd_name for (g, _, k), v in source.items() if g == group and k == obj.kind)
            origin = next(v.origin for (g, _, k), v in source.items() if g == group and k == obj.kind)
            yield Violation(
                f"{_who(obj)}: {crd_name} ({origin}) has no version {version} (it defines {', '.join(same_kind)})",
                ("apiVersion",), key="unknown-version",
            )
            return
    if compiled is None:
        compiled = _shipped(group, version, obj.kind)
    if compiled is None or isinstance(compiled, str):
        if (obj.api_version, obj.kind) in state.skipped:
            return
        state.skipped.add((obj.api_version, obj.kind))
        why = compiled or "schema not known; pass --crd with its CustomResourceDefinition (file or folder) to validate it"
        yield Violation(f"{obj.api_version} {obj.kind} not validated (reported once per kind): {why}",
                        ("kind",), key="skipped", severity="info")
        return
    if compiled.validator.is_valid(obj.data):
        return
    from ..schema_errors import validate

    for problem in validate(compiled, obj.data):
        yield Violation(f"{_who(obj)}: {problem.text} ({compiled.title})", problem.path, key=problem.key)


@template(scope="object", params={})
def deprecated_api(obj: K8sObject, params: dict, ctx) -> Iterator[Violation]:
    """apiVersions removed (error) or deprecated (warning) at the target Kubernetes version."""
    state = run_state(ctx.settings)
    found = deprecations.status(obj.api_version, obj.kind, state.target)
    if found is None:
        return
    status, move = found
    target = k8s_schema.fmt(state.target)
    if status == "removed":
        yield Violation(
            f"{_who(obj)} uses {move.api_version} {move.kind}, removed in Kubernetes {k8s_schema.fmt(move.removed)} "
            f"(target {target}): use {move.replacement}",
            ("apiVersion",), key="removed",
        )
    else:
        until = f", removed in {k8s_schema.fmt(move.removed)}" if move.removed else ""
        yield Violation(
            f"{_who(obj)} uses {move.api_version} {move.kind}, deprecated since Kubernetes {k8s_schema.fmt(move.deprecated)}"
            f"{until} (target {target}): use {move.replacement}",
            ("apiVersion",), key="deprecated", severity="warning",
        )
