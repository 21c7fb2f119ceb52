"""ConfigMap and Secret references of pods resolve within the render.

A Secret counts as present when the render holds the Secret itself, or something that
produces it: a SealedSecret (``spec.template.metadata.name``, else its own name), an
ExternalSecret (``spec.target.name``, else its own name) or a cert-manager Certificate
(``spec.secretName``). Sealed secrets kept in the repository's shared sealed folder
(``params.shared-secrets``, default ``*secrets/sealed/*.yaml`` and ``.yml``: DEPLOY 2.1 keeps them in
``_shared/secrets/sealed/`` and applies them on their own) count too. ``optional: true``
references are never reported. Keys are checked only where the producer's keys are known.
"""

from __future__ import annotations

from typing import Iterator

from ..model import K8sObject, Violation, some
from . import template
from .lookup import effective_namespace, get_in, same_namespace

UNKNOWN = None  # a producer whose keys cannot be known (ExternalSecret dataFrom, templates)


def _keys(mapping: object) -> set[str]:
    return {str(k) for k in mapping} if isinstance(mapping, dict) else set()


def _producers(obj: K8sObject) -> Iterator[tuple[str, str, frozenset | None]]:
    """(ConfigMap|Secret, name, keys or None) that an object makes exist."""
    kind = obj.kind
    data = obj.data
    if kind == "ConfigMap":
        yield "ConfigMap", obj.name, frozenset(_keys(data.get("data")) | _keys(data.get("binaryData")))
    elif kind == "Secret":
        yield "Secret", obj.name, frozenset(_keys(data.get("data")) | _keys(data.get("stringData")))
    elif kind == "SealedSecret":
        name = get_in(data, "spec", "template", "metadata", "name") or obj.name
        keys = _keys(get_in(data, "spec", "encryptedData")) | _keys(get_in(data, "spec", "template", "data"))
        yield "Secret", str(name), frozenset(keys) if keys else UNKNOWN
    elif kind == "ExternalSecret":
        name = get_in(data, "spec", "target", "name") or obj.name
        items = get_in(data, "spec", "data")
        known = isinstance(items, list) and not get_in(data, "spec", "dataFrom") and not get_in(data, "spec", "target", "template")
        keys = frozenset(str(i.get("secretKey")) for i in items if isinstance(i, dict)) if known else UNKNOWN
        yield "Secret", str(name), keys
    elif kind == "Certificate" and obj.api_version.startswith("cert-manager.io/"):
        name = get_in(data, "spec", "secretName")
        if isinstance(name, str):
            yield "Secret", name, frozenset({"tls.crt", "tls.key", "ca.crt"})


def _render_producers(index, ctx) -> dict[tuple[str, str], list[tuple[str | None, frozenset | None]]]:
    def build(idx) -> dict:
        out: dict[tuple[str, str], list] = {}
        for kind in ("ConfigMap", "Secret", "SealedSecret", "ExternalSecret", "Certificate"):
            for obj in idx.by_kind.get(kind, ()):
                for produced, name, keys in _producers(obj):
                    out.setdefault((produced, name), []).append((effective_namespace(obj, ctx), keys))
        return out

    return index.cached("config-producers", build)


def _shared_producers(ctx, patterns: tuple) -> dict[tuple[str, str], list]:
    """Secrets produced by sealed/external secrets kept in the repo's shared folders, read once per run
    through the context (size limit, symlink guard). ``patterns`` are fnmatch globs on repo-relative
    paths (``*`` crosses folders)."""
    from .. import globs

    def build() -> dict[tuple[str, str], list]:
        out: dict[tuple[str, str], list] = {}
        for rel in ctx.files():
            if not any(globs.fnmatchcase(rel, p) for p in patterns):
                continue
            for doc in ctx.sources.docs(rel):
                if isinstance(doc.data, dict):
                    obj = K8sObject(doc.data, rel, 0)
                    for produced, produced_name, keys in _producers(obj):
                        out.setdefault((produced, produced_name), []).append((obj.namespace, keys))
        return out

    return ctx.cached(("shared-producers", patterns), build)


def _references(workload) -> Iterator[tuple[str, str, str | None, bool, tuple, str]]:
    """(ConfigMap|Secret, name, key or None, optional, path, how) for every reference of a pod."""
    base = workload.path
    for container in workload.containers:
        cpath = container.path
        env = container.data.get("env")
        for i, item in enumerate(env if isinstance(env, list) else []):
            for ref_key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                ref = get_in(item, "valueFrom", ref_key)
                if isinstance(ref, dict) and isinstance(ref.get("name"), str):
                    key = ref.get("key") if isinstance(ref.get("key"), str) else None
                    yield kind, ref["name"], key, ref.get("optional") is True, cpath + ("env", i, "valueFrom", ref_key, "name"), \
                        f"env {item.get('name')!s} of container '{container.name}'"
        env_from = container.data.get("envFrom")
        for i, item in enumerate(env_from if isinstance(env_from, list) else []):
            for ref_key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                ref = get_in(item, ref_key)
                if isinstance(ref, dict) and isinstance(ref.get("name"), str):
                    yield kind, ref["name"], None, ref.get("optional") is True, cpath + ("envFrom", i, ref_key, "name"), \
                        f"envFrom of container '{container.name}'"
    volumes = workload.spec.get("volumes")
    for i, volume in enumerate(volumes if isinstance(volumes, list) else []):
        if not isinstance(volume, dict):
            continue
        label = f"volume '{volume.get('name')}'"
        cm = volume.get("configMap")
        if isinstance(cm, dict) and isinstance(cm.get("name"), str):
            yield "ConfigMap", cm["name"], None, cm.get("optional") is True, base + ("volumes", i, "configMap", "name"), label
        secret = volume.get("secret")
        if isinstance(secret, dict) and isinstance(secret.get("secretName"), str):
            yield "Secret", secret["secretName"], None, secret.get("optional") is True, base + ("volumes", i, "secret", "secretName"), label
        sources = get_in(volume, "projected", "sources")
        for j, source in enumerate(sources if isinstance(sources, list) else []):
            for src_key, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                ref = get_in(source, src_key)
                if isinstance(ref, dict) and isinstance(ref.get("name"), str):
                    yield kind, ref["name"], None, ref.get("optional") is True, \
                        base + ("volumes", i, "projected", "sources", j, src_key, "name"), label


@template(scope="render", params={
    "shared-secrets": {"type": "array", "items": {"type": "string"}, "default": ["*secrets/sealed/*.yaml", "*secrets/sealed/*.yml"],
                       "description": "Globs on repo-relative paths of sealed secrets applied on their own, whose Secrets count as present."},
})
def config_ref_exists(index, params: dict, ctx) -> Iterator[Violation]:
    """envFrom/valueFrom/volume references to ConfigMaps and Secrets resolve within the render."""
    produced = _render_producers(index, ctx)
    patterns = tuple(params["shared-secrets"])
    shared = _shared_producers(ctx, patterns) if patterns else {}
    for obj in index.objects:
        workload = index.workload(obj)
        if workload is None:
            continue
        ns = effective_namespace(obj, ctx)
        for kind, name, key, optional, path, how in _references(workload):
            if optional:
                continue
            found = [keys for pns, keys in produced.get((kind, name), ()) if same_namespace(pns, ns)]
            found += [keys for pns, keys in shared.get((kind, name), ()) if same_namespace(pns, ns)]
            where = f"{obj.kind} {ns + '/' if ns else ''}{obj.name}"
            if not found:
                producers = "ConfigMap" if kind == "ConfigMap" else "Secret, SealedSecret, ExternalSecret or Certificate"
                yield Violation(
                    f"{how} of {where} references {kind} '{name}', which is not in this render (no {producers} of that name"
                    f"{' in namespace ' + ns if ns else ''}): the pod will not start; add it, or mark the reference optional: true",
                    path, obj=obj, key=f"{kind}/{name}/{key or ''}/{how}",
                )
                continue
            if key is not None and all(keys is not UNKNOWN and key not in keys for keys in found):
                known = sorted(set().union(*[k for k in found if k is not UNKNOWN]))
                yield Violation(
                    f"{how} of {where} reads key '{key}' of {kind} '{name}', which has no such key "
                    f"(keys: {some(known, 10) or 'none'})",
                    path[:-1] + ("key",), obj=obj, key=f"{kind}/{name}/{key}/{how}",
                )
