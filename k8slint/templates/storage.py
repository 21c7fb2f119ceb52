"""Storage templates: PersistentVolumeClaim naming."""

from __future__ import annotations

import re
from typing import Iterator

from ..model import K8sObject, Violation
from ..workloads import app_name, workload_of
from . import template

_LABEL = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def suggest(name: str, app: str | None, suffix: str, purpose: str = "data") -> str:
    """A compliant name close to ``name``."""
    stem = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    if stem.endswith(suffix):
        stem = stem[: -len(suffix)]
    if app and not stem.startswith(app + "-"):
        stem = f"{app}-{stem}" if stem and stem != app else f"{app}-{purpose}"
    if "-" not in stem:
        stem = f"{stem}-{purpose}"
    return stem + suffix


def _problem(name: str, app: str | None, suffix: str) -> str | None:
    if not name.endswith(suffix):
        return f"does not end in '{suffix}'"
    stem = name[: -len(suffix)]
    if not _LABEL.fullmatch(stem) or "-" not in stem:
        return "needs an app part and a purpose part of lowercase letters and digits before the suffix"
    if app and not (stem.startswith(app + "-") and len(stem) > len(app) + 1):
        return f"does not start with its app '{app}-' followed by a purpose"
    return None


@template(scope="object")
def pvc_naming(obj: K8sObject, params: dict, ctx) -> Iterator[Violation]:
    """PVC names (and StatefulSet volumeClaimTemplates names) follow {app}-{purpose}-pvc."""
    suffix = params.get("suffix", "-pvc")
    if obj.kind == "PersistentVolumeClaim":
        app = app_name(obj) if params.get("require-app-prefix", True) else None
        problem = _problem(obj.name, app, suffix)
        if problem:
            ns = f"{obj.namespace}/" if obj.namespace else ""
            yield Violation(
                f"PersistentVolumeClaim {ns}{obj.name} {problem}: PVC names follow {{app}}-{{purpose}}{suffix}, "
                f"e.g. '{suggest(obj.name, app, suffix)}'",
                ("metadata", "name"),
            )
    elif obj.kind == "StatefulSet":
        templates = obj.data.get("spec", {}).get("volumeClaimTemplates") if isinstance(obj.data.get("spec"), dict) else None
        if not isinstance(templates, list):
            return
        workload = workload_of(obj)
        app = app_name(obj, workload) if params.get("require-app-prefix", True) else None
        for index, item in enumerate(templates):
            meta = item.get("metadata") if isinstance(item, dict) else None
            name = meta.get("name") if isinstance(meta, dict) else None
            if not isinstance(name, str):
                continue
            problem = _problem(name, app, suffix)
            if problem:
                yield Violation(
                    f"volumeClaimTemplates '{name}' of StatefulSet {obj.namespace + '/' if obj.namespace else ''}{obj.name} "
                    f"{problem}: claim names follow {{app}}-{{purpose}}{suffix}, e.g. '{suggest(name, app, suffix)}'",
                    ("spec", "volumeClaimTemplates", index, "metadata", "name"),
                    key=name,
                )
