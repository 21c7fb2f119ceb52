"""Storage templates: PersistentVolumeClaim naming."""

from __future__ import annotations

import re
from typing import Iterator

from .. import lazyre
from ..model import K8sObject, Violation, some
from ..workloads import POD_SPEC_PATHS, app_name, workload_of
from . import template
from .lookup import unreadable_hint

_LABEL = lazyre.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def suggest(name: str, app: str | None, suffix: str, owner: str | None = None) -> str:
    """A compliant name close to ``name``: ``{app}-{purpose}{suffix}``.

    ``app`` is the claim's own app (its label); when it has none, ``owner`` (the app of the
    workload that mounts it, else its namespace) supplies the app part if the name has only a
    purpose. The purpose is what the name already says, never the app repeated: a claim
    ``data`` of app ``data`` becomes ``data-storage-pvc``, not ``data-data-pvc``."""
    stem = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    if stem.endswith(suffix):
        stem = stem[: -len(suffix)].strip("-")
    prefix = app or owner
    if app and stem.startswith(app + "-") and len(stem) > len(app) + 1:
        return stem + suffix
    if not app and "-" in stem:
        return stem + suffix  # already an app part and a purpose part; nothing says which app
    if app and stem.startswith(app + "-"):
        stem = stem[len(app) + 1:]
    if not prefix:
        prefix = "<app>"
    purpose = stem if stem and stem != prefix else ("storage" if prefix == "data" else "data")
    return f"{prefix}-{purpose}{suffix}"


def _mounted_by(index, claim: K8sObject) -> K8sObject | None:
    """The first workload of the render (in render order) whose pod mounts ``claim``."""

    def build(idx) -> dict[tuple, K8sObject]:
        mounts: dict[tuple, K8sObject] = {}
        for obj in idx.objects:
            workload = idx.workload(obj) if obj.kind in POD_SPEC_PATHS else None
            volumes = workload.spec.get("volumes") if workload is not None else None
            for volume in volumes if isinstance(volumes, list) else ():
                source = volume.get("persistentVolumeClaim") if isinstance(volume, dict) else None
                name = source.get("claimName") if isinstance(source, dict) else None
                if isinstance(name, str):
                    mounts.setdefault((obj.namespace, name), obj)
        return mounts

    if index is None:
        return None
    return index.cached("claim-mounted-by", build).get((claim.namespace, claim.name))


def _owner(obj: K8sObject, ctx) -> tuple[str | None, str]:
    """The app part for a claim without an app label, and where it came from (for the message):
    the app (else the name) of the workload that mounts it, else its namespace."""
    workload = _mounted_by(getattr(ctx, "index", None), obj)
    if workload is not None:
        app = app_name(workload, workload_of(workload))
        return app or workload.name, f"{workload.kind} {workload.name}, which mounts it"
    if obj.namespace:
        return obj.namespace, "its namespace"
    return None, "nothing names its app"


def _problem(name: str, app: str | None, suffix: str) -> str | None:
    if not name.endswith(suffix):
        return f"does not end in '{suffix}'"
    stem = name[: -len(suffix)]
    if not _LABEL.fullmatch(stem) or "-" not in stem:
        return "needs an app part and a purpose part of lowercase letters and digits before the suffix"
    if app and not (stem.startswith(app + "-") and len(stem) > len(app) + 1):
        return f"does not start with its app '{app}-' followed by a purpose"
    return None


@template(scope="object", params={
    "suffix": {"type": "string", "minLength": 1, "default": "-pvc", "description": "What every claim name ends with."},
    "require-app-prefix": {"type": "boolean", "default": True,
                           "description": "Claim names start with the app's name (its `app.kubernetes.io/name`/`app` label)."},
})
def pvc_naming(obj: K8sObject, params: dict, ctx) -> Iterator[Violation]:
    """PVC names (and StatefulSet volumeClaimTemplates names) follow {app}-{purpose}-pvc."""
    suffix = params["suffix"]
    if obj.kind == "PersistentVolumeClaim":
        app = app_name(obj) if params["require-app-prefix"] else None
        problem = _problem(obj.name, app, suffix)
        if problem:
            ns = f"{obj.namespace}/" if obj.namespace else ""
            labelled = app or app_name(obj)
            owner, why = (None, "") if labelled else _owner(obj, ctx)
            example = suggest(obj.name, labelled, suffix, owner)
            source = f" (app from {why})" if owner and example.startswith(owner + "-") and not labelled else ""
            yield Violation(
                f"PersistentVolumeClaim {ns}{obj.name} {problem}: PVC names follow {{app}}-{{purpose}}{suffix}, "
                f"e.g. '{example}'{source}",
                ("metadata", "name"),
            )
    elif obj.kind == "StatefulSet":
        templates = obj.data.get("spec", {}).get("volumeClaimTemplates") if isinstance(obj.data.get("spec"), dict) else None
        if not isinstance(templates, list):
            return
        workload = workload_of(obj)
        labelled = app_name(obj, workload)
        app = labelled if params["require-app-prefix"] else None
        owner = labelled or obj.name  # the StatefulSet mounts the claims it creates
        for index, item in enumerate(templates):
            meta = item.get("metadata") if isinstance(item, dict) else None
            name = meta.get("name") if isinstance(meta, dict) else None
            if not isinstance(name, str):
                continue
            problem = _problem(name, app, suffix)
            if problem:
                yield Violation(
                    f"volumeClaimTemplates '{name}' of StatefulSet {obj.namespace + '/' if obj.namespace else ''}{obj.name} "
                    f"{problem}: claim names follow {{app}}-{{purpose}}{suffix}, e.g. '{suggest(name, labelled, suffix, owner)}'",
                    ("spec", "volumeClaimTemplates", index, "metadata", "name"),
                    key=name,
                )


def _claim_templates(obj: K8sObject):
    spec = obj.data.get("spec")
    templates = spec.get("volumeClaimTemplates") if isinstance(spec, dict) else None
    if not isinstance(templates, list):
        return
    for index, item in enumerate(templates):
        if isinstance(item, dict):
            meta = item.get("metadata")
            name = meta.get("name") if isinstance(meta, dict) else None
            yield index, str(name or f"#{index}"), item.get("spec") if isinstance(item.get("spec"), dict) else {}


@template(scope="object", params={
    "allowed": {"type": "array", "items": {"type": "string"}, "default": [],
                "description": "The storage classes a claim may use (empty: any class, as long as it is stated)."},
    "default-hint": {"type": "string", "default": "local-path", "description": "The class the message suggests."},
})
def pvc_storage_class(obj: K8sObject, params: dict, ctx) -> Iterator[Violation]:
    """A PVC (or StatefulSet volumeClaimTemplate) without an explicit ``storageClassName``, or
    with one outside ``params.allowed`` when that list is not empty. ``storageClassName: ""``
    (static binding, no class) is explicit and accepted."""
    allowed = params["allowed"]
    ns = f"{obj.namespace}/" if obj.namespace else ""
    if obj.kind == "PersistentVolumeClaim":
        spec = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
        items = [((), f"PersistentVolumeClaim {ns}{obj.name}", spec, "")]
    elif obj.kind == "StatefulSet":
        items = [(("spec", "volumeClaimTemplates", i, "spec"), f"volumeClaimTemplates '{name}' of StatefulSet {ns}{obj.name}", spec, name)
                 for i, name, spec in _claim_templates(obj)]
    else:
        return
    default = params["default-hint"]
    for base, what, spec, key in items:
        value = spec.get("storageClassName")
        if value is None:
            yield Violation(
                f"{what} does not state storageClassName, so it gets whatever default StorageClass the cluster has: "
                f"set it explicitly (k3s: '{default}')" + (f"; allowed: {some(allowed, 10)}" if allowed else ""),
                base + (("spec",) if not base else ()),
                key=key,
            )
        elif allowed and value != "" and value not in allowed:
            yield Violation(
                f"{what} uses storageClassName '{value}', which is not an allowed class ({some(allowed, 10)})",
                (base or ("spec",)) + ("storageClassName",),
                key=key,
            )


@template(scope="podspec", params={})
def claim_exists(workload, params: dict, ctx) -> Iterator[Violation]:
    """A pod volume's ``persistentVolumeClaim.claimName`` names no PersistentVolumeClaim of the
    same render (same namespace)."""
    volumes = workload.spec.get("volumes")
    if not isinstance(volumes, list) or ctx.index is None:
        return
    obj = workload.obj
    ns = f"{obj.namespace}/" if obj.namespace else ""
    for position, volume in enumerate(volumes):
        claim = volume.get("persistentVolumeClaim") if isinstance(volume, dict) else None
        name = claim.get("claimName") if isinstance(claim, dict) else None
        if not isinstance(name, str) or not name or ctx.index.get("PersistentVolumeClaim", name, obj.namespace):
            continue
        known = _claim_names(ctx.index, obj.namespace)
        hint = f" (claims in this render: {some(known)})" if known else " (this render has no PersistentVolumeClaim)"
        yield Violation(
            f"volume '{volume.get('name')}' of {obj.kind} {ns}{obj.name} mounts claim '{name}', which is not in this render"
            f"{hint}: the pod stays Pending until that claim exists; add the PVC beside the app{unreadable_hint(ctx.index)}",
            workload.path + ("volumes", position, "persistentVolumeClaim", "claimName"),
            key=name,
        )


@template(scope="object", params={
    "root": {"type": "string", "pattern": "^/", "default": "/data", "description": "The folder data volumes live under."},
})
def hostpath_data_root(obj: K8sObject, params: dict, ctx) -> Iterator[Violation]:
    """A PersistentVolume whose ``hostPath``/``local`` path is not under
    ``<root>/<namespace-or-app>/`` (root ``/data`` by default). The namespace comes from the
    PV's claimRef, the app from its labels; when neither is known any ``/data/<name>/`` path
    passes. Pod hostPath volumes (node agents reading /proc or /var/log) are not data and are
    not checked."""
    if obj.kind != "PersistentVolume":
        return
    spec = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
    root = "/" + params["root"].strip("/")
    for source in ("hostPath", "local"):
        holder = spec.get(source)
        path = holder.get("path") if isinstance(holder, dict) else None
        if not isinstance(path, str):
            continue
        parts = [p for p in path.split("/") if p]
        owners = []
        claim = spec.get("claimRef")
        if isinstance(claim, dict) and isinstance(claim.get("namespace"), str):
            owners.append(claim["namespace"])
        app = app_name(obj)
        if app:
            owners.append(app)
        root_parts = [p for p in root.split("/") if p]
        under_root = parts[: len(root_parts)] == root_parts and len(parts) > len(root_parts)
        owner = parts[len(root_parts)] if under_root else None
        if under_root and (not owners or owner in owners):
            continue
        expected = f"{root}/{owners[0]}/..." if owners else f"{root}/<namespace-or-app>/..."
        problem = f"is not under {root}/" if not under_root else f"puts it under {root}/{owner}/, not its {'/'.join(owners)} folder"
        yield Violation(
            f"PersistentVolume {obj.name} keeps data at {source} path '{path}', which {problem}: "
            f"node data lives under {expected} so it can be found, backed up and cleaned per app",
            ("spec", source, "path"),
            key=source,
        )


def _claim_names(index, namespace: str | None) -> list[str]:
    """The render's claim names visible from ``namespace`` (all of them for None), sorted: the
    claims are grouped once per render and each namespace's list made once, not per missing claim."""

    def build(idx) -> tuple[dict, dict]:
        grouped: dict[str | None, set[str]] = {}
        for claim in idx.by_kind.get("PersistentVolumeClaim", ()):
            grouped.setdefault(claim.namespace, set()).add(claim.name)
        return grouped, {}

    grouped, made = index.cached("claim-names", build)
    if namespace not in made:
        names = set().union(*grouped.values()) if namespace is None else grouped.get(namespace, set()) | grouped.get(None, set())
        made[namespace] = sorted(names)
    return made[namespace]
