"""Secret templates: no plaintext Secret objects, credentials in ConfigMaps, env literals or
Helm values files, and only SealedSecrets under secrets/sealed/. Messages name keys, never values."""

from __future__ import annotations

import fnmatch
from typing import Iterator

from ..model import K8sObject, Location, Violation
from ..sensitive import credential_value, literal_value, sensitive_name
from ..workloads import Container
from . import template


def is_sops_encrypted(obj: K8sObject) -> bool:
    """A SOPS file keeps a top-level `sops:` block and ENC[...] values."""
    if not isinstance(obj.data.get("sops"), dict):
        return False
    for key in ("data", "stringData"):
        values = obj.data.get(key)
        if isinstance(values, dict):
            for value in values.values():
                if isinstance(value, str) and value and not value.startswith("ENC["):
                    return False
    return True


@template(scope="object")
def no_plaintext_secret(obj: K8sObject, params: dict, ctx) -> Iterator[Violation]:
    """A core/v1 Secret with data or stringData values. Only key names are reported."""
    if obj.kind != "Secret" or obj.api_version != "v1" or is_sops_encrypted(obj):
        return
    ns = f"{obj.namespace}/" if obj.namespace else ""
    for field in ("data", "stringData"):
        values = obj.data.get(field)
        if not isinstance(values, dict):
            continue
        keys = sorted(str(k) for k, v in values.items() if v not in (None, ""))
        if keys:
            yield Violation(
                f"Secret {ns}{obj.name} commits plaintext {field} (keys: {_shown(keys)}; values not shown): "
                "commit a SealedSecret or ExternalSecret instead",
                (field,),
                key=field,
            )


def _shown(keys: list[str]) -> str:
    return ", ".join(keys[:10]) + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")


@template(scope="object")
def secret_in_configmap(obj: K8sObject, params: dict, ctx) -> Iterator[Violation]:
    """A ConfigMap key whose name marks it as a credential (with a non-empty value), or whose
    value looks like one (PEM private key, well-known token prefixes, a URL with a password)."""
    if obj.kind != "ConfigMap":
        return
    ns = f"{obj.namespace}/" if obj.namespace else ""
    for field in ("data", "binaryData"):
        values = obj.data.get(field)
        if not isinstance(values, dict):
            continue
        for key in sorted(values, key=str):
            value = values[key]
            what = credential_value(value)
            if what is None and not (sensitive_name(str(key)) and literal_value(value)):
                continue
            reason = f"its value looks like {what}" if what else "its name marks it as a credential"
            yield Violation(
                f"ConfigMap {ns}{obj.name} key '{key}' ({reason}; value not shown) belongs in a Secret: "
                "move it to a SealedSecret/ExternalSecret and reference it with secretKeyRef",
                (field, key),
                key=f"{field}/{key}",
            )


@template(scope="container")
def env_literal_secret(container: Container, params: dict, ctx) -> Iterator[Violation]:
    """An env var with a credential-looking name (or a credential-looking value) set by a
    literal ``value:`` instead of ``valueFrom.secretKeyRef``. Empty values, flags
    (true/yes/...) and ``$(OTHER_VAR)`` references are not secrets."""
    env = container.data.get("env")
    if not isinstance(env, list):
        return
    obj = container.obj
    ns = f"{obj.namespace}/" if obj.namespace else ""
    for position, item in enumerate(env):
        if not isinstance(item, dict) or "value" not in item or not isinstance(item.get("name"), str):
            continue
        name, value = item["name"], item["value"]
        what = credential_value(value)
        if what is None and not (sensitive_name(name) and literal_value(value)):
            continue
        reason = f" (its value looks like {what})" if what else ""
        yield Violation(
            f"container '{container.name}' of {obj.kind} {ns}{obj.name} sets {name} by a literal value{reason} "
            "(value not shown): take it from a Secret with valueFrom.secretKeyRef",
            container.path + ("env", position, "value"),
            key=f"{container.name}/{name}",
        )


def _walk_values(node, trail: tuple = ()):
    """(key path, holder mapping, key) for every mapping key of a values document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield trail + (str(key),), node, key
            yield from _walk_values(value, trail + (str(key),))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk_values(item, trail + (f"[{index}]",))


@template(scope="repo")
def helm_values_plaintext_secret(repo, params: dict, ctx) -> Iterator[Violation]:
    """A Helm values file (``params.files`` globs, default ``values*.yaml``/``values*.yml``,
    anywhere in the repo) that sets a credential-looking key (password, adminPassword, apiKey,
    token, ...) to a non-empty literal. References such as existingSecret, secretName,
    imagePullSecrets or passwordSecretKey are not secrets; empty strings are fine; files that
    SOPS encrypted (a top-level ``sops:`` block) are skipped."""
    patterns = [str(p).lower() for p in params.get("files", ["values*.yaml", "values*.yml"])]
    for rel in repo.files:
        name = rel.rsplit("/", 1)[-1].lower()
        if not any(fnmatch.fnmatchcase(name, p) for p in patterns):
            continue
        for doc in ctx.sources.docs(rel):
            data = doc.data
            if not isinstance(data, dict) or isinstance(data.get("sops"), dict):
                continue
            for trail, holder, key in _walk_values(data):
                value = holder[key]
                if not isinstance(key, str) or not sensitive_name(key) or not literal_value(value):
                    continue
                dotted = ".".join(trail).replace(".[", "[")
                yield Violation(
                    f"{rel} sets {dotted} to a literal (value not shown): a Helm values file is committed in "
                    "plain text; point the chart at an existing Secret (e.g. existingSecret) created from a SealedSecret",
                    location=Location(rel, holder.key_line(key)),
                    key=f"{rel}:{dotted}",
                )


@template(scope="repo")
def sealed_dir_only_sealed(repo, params: dict, ctx) -> Iterator[Violation]:
    """Every file under a ``secrets/sealed/`` folder (``params.dirs``) holds only SealedSecret
    objects. A kustomization file listing them, README and .gitkeep files are allowed."""
    dirs = ["/" + str(d).strip("/") + "/" for d in params.get("dirs", ["secrets/sealed"])]
    allowed = [str(p).lower() for p in params.get("allow-files", ["kustomization.yaml", "kustomization.yml", "readme*", ".gitkeep", ".keep"])]
    kinds = set(params.get("kinds", ["SealedSecret"]))
    for rel in repo.files:
        if not any(d in "/" + rel for d in dirs):
            continue
        name = rel.rsplit("/", 1)[-1]
        if any(fnmatch.fnmatchcase(name.lower(), p) for p in allowed):
            continue
        if not name.lower().endswith((".yaml", ".yml", ".json")):
            yield Violation(f"{rel} is not a manifest; only SealedSecret objects belong under secrets/sealed/",
                            location=Location(rel, 1), key=rel)
            continue
        from ..load import load_text

        text = ctx.sources.text(rel)
        docs, errors = load_text(text)
        if errors:
            yield Violation(f"{rel} does not parse as YAML ({errors[0].message}); only SealedSecret objects belong under "
                            "secrets/sealed/", location=Location(rel, errors[0].line), key=rel)
            continue
        for doc in docs:
            data = doc.data
            if data is None:
                continue
            kind = data.get("kind") if isinstance(data, dict) else None
            if kind in kinds:
                continue
            meta = data.get("metadata") if isinstance(data, dict) else None
            obj_name = meta.get("name") if isinstance(meta, dict) else None
            what = f"a {kind} {obj_name}" if kind and obj_name else (f"a {kind}" if kind else "a document with no kind")
            line = data.key_line("kind") if isinstance(data, dict) and "kind" in data else doc.line
            extra = " (a plaintext Secret: its values are now in Git history; rotate them)" if kind == "Secret" else ""
            yield Violation(
                f"{rel} holds {what}{extra}; only SealedSecret objects belong under secrets/sealed/ "
                "(seal it with kubeseal, or move it out of the folder)",
                location=Location(rel, line), key=f"{rel}:{kind}:{obj_name}",
            )
