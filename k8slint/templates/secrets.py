"""Secret templates: no plaintext Secret objects, credentials in ConfigMaps, env literals or
Helm values files, and only SealedSecrets under secrets/sealed/. Messages name keys, never values."""

from __future__ import annotations

from typing import Iterator

from .. import globs
from ..model import K8sObject, Location, Violation
from ..sensitive import credential_value, helm_value_is_credential, inner_credentials, is_config_file, literal_value, sensitive_name
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


@template(scope="object", params={})
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


@template(scope="object", params={})
def secret_in_configmap(obj: K8sObject, params: dict, ctx) -> Iterator[Violation]:
    """A ConfigMap key whose name marks it as a credential (with a non-empty value), or whose
    value looks like one (PEM private key, well-known token prefixes, a URL with a password);
    else, for a key that holds a whole config file (several lines, or a name like
    ``application.properties``, ``app.env``, ``config.yaml``), every line inside it that sets a
    credential-named key to a literal (``DB_PASSWORD=...``, ``spring.datasource.password=...``,
    ``password: ...``), at that line of the source file when it can be found."""
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
                if field == "data" and is_config_file(str(key), value):
                    yield from _credentials_in_file(obj, ns, str(key), value, ctx)
                continue
            reason = f"its value looks like {what}" if what else "its name marks it as a credential"
            yield Violation(
                f"ConfigMap {ns}{obj.name} key '{key}' ({reason}; value not shown) belongs in a Secret: "
                "move it to a SealedSecret/ExternalSecret and reference it with secretKeyRef",
                (field, key),
                key=f"{field}/{key}",
            )


def _credentials_in_file(obj: K8sObject, ns: str, key: str, value: str, ctx) -> Iterator[Violation]:
    found = inner_credentials(value)
    if not found:
        return
    lines = value.splitlines()
    source = _file_source(obj, key, ctx)
    for inner, number in found:
        yield Violation(
            f"ConfigMap {ns}{obj.name} key '{key}' sets {inner} inside the file it holds (value not shown): a credential "
            "in a config file belongs in a Secret: mount the file from a SealedSecret/ExternalSecret, or read the value "
            "from an environment variable set by secretKeyRef",
            ("data", key),
            location=_inner_location(source, lines[number], ctx),
            key=f"data/{key}/{inner}",
        )


def _file_source(obj: K8sObject, key: str, ctx) -> tuple[str, int] | None:
    """(repo-relative file, 1-based line to search from) where the key's text is written: the file a
    configMapGenerator ``files:`` entry reads, or the manifest that holds the ConfigMap."""
    import posixpath

    if ctx.sources is None or not obj.origin:
        return None
    if obj.origin_generator:
        for doc in ctx.sources.docs(obj.origin):
            entries = doc.data.get("configMapGenerator") if isinstance(doc.data, dict) else None
            for entry in entries if isinstance(entries, list) else ():
                if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or entry["name"] not in obj.name:
                    continue
                for item in entry.get("files") or ():
                    if not isinstance(item, str):
                        continue
                    name, _, path = item.partition("=") if "=" in item else (posixpath.basename(item), "", item)
                    if name != key:
                        continue
                    rel = posixpath.normpath(posixpath.join(posixpath.dirname(obj.origin), path))
                    if rel.startswith("../") or rel == ".." or posixpath.isabs(rel):
                        return None
                    return rel, 1
        return None
    if obj.helm_template is not None:
        return obj.origin, 1
    if obj.origin == obj.stream_file:
        data = obj.data.get("data")
    else:
        doc = ctx.sources.find(obj.origin, obj)
        data = doc.get("data") if isinstance(doc, dict) else None
    if isinstance(data, dict) and key in data and hasattr(data, "key_line"):
        return obj.origin, data.key_line(key)
    return obj.origin, 1


def _inner_location(source: tuple[str, int] | None, text: str, ctx) -> Location | None:
    """The line of ``source`` at or after its start line whose text is ``text``: the inner line itself."""
    if source is None:
        return None
    rel, start = source
    wanted = text.strip()
    lines = ctx.sources.lines(rel)
    for number in range(max(start - 1, 0), len(lines)):
        if lines[number].strip() == wanted:
            return Location(rel, number + 1)
    return None


@template(scope="container", params={})
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


@template(scope="repo", params={
    "files": {"type": "array", "items": {"type": "string"}, "default": ["values*.yaml", "values*.yml"],
              "description": "Globs on file names (case-insensitive) of the values files read."},
})
def helm_values_plaintext_secret(repo, params: dict, ctx) -> Iterator[Violation]:
    """A Helm values file (``params.files`` globs, default ``values*.yaml``/``values*.yml``,
    anywhere in the repo) that sets a credential-looking key (password, adminPassword, apiKey,
    token, ...) to a non-empty literal. Keys that name where a secret is kept are not secrets:
    by key shape (existingSecret, secretName, imagePullSecrets, passwordSecretKey, *Ref, *File,
    *Path) and, for keys ending in a bare secret/secretKey (tlsSecret, caCerts.secret,
    secretKey), by value shape (a Kubernetes name or Secret data key); see
    :func:`~k8slint.sensitive.helm_value_is_credential`. Empty strings, flags, placeholders and
    paths are fine; files that SOPS encrypted (a top-level ``sops:`` block) are skipped."""
    patterns = [p.lower() for p in params["files"]]
    for rel in repo.files:
        name = rel.rsplit("/", 1)[-1].lower()
        if not any(globs.fnmatchcase(name, p) for p in patterns):
            continue
        for doc in ctx.sources.docs(rel):
            data = doc.data
            if not isinstance(data, dict) or isinstance(data.get("sops"), dict):
                continue
            for trail, holder, key in _walk_values(data):
                if not isinstance(key, str) or not helm_value_is_credential(trail, holder[key]):
                    continue
                dotted = ".".join(trail).replace(".[", "[")
                yield Violation(
                    f"{rel} sets {dotted} to a literal (value not shown): a Helm values file is committed in "
                    "plain text; point the chart at an existing Secret (e.g. existingSecret) created from a SealedSecret",
                    location=Location(rel, holder.key_line(key)),
                    key=f"{rel}:{dotted}",
                )


@template(scope="repo", params={
    "dirs": {"type": "array", "items": {"type": "string", "minLength": 1}, "default": ["secrets/sealed"],
             "description": "Folders (path tails) that hold only sealed secrets."},
    "kinds": {"type": "array", "items": {"type": "string"}, "default": ["SealedSecret"], "description": "The kinds allowed there."},
    "allow-files": {"type": "array", "items": {"type": "string"},
                    "default": ["kustomization.yaml", "kustomization.yml", "readme*", ".gitkeep", ".keep"],
                    "description": "Globs on file names (case-insensitive) of other files allowed there."},
})
def sealed_dir_only_sealed(repo, params: dict, ctx) -> Iterator[Violation]:
    """Every file under a ``secrets/sealed/`` folder (``params.dirs``) holds only SealedSecret
    objects. A kustomization file listing them, README and .gitkeep files are allowed."""
    dirs = ["/" + d.strip("/") + "/" for d in params["dirs"]]
    allowed = [p.lower() for p in params["allow-files"]]
    kinds = set(params["kinds"])
    for rel in repo.files:
        if not any(d in "/" + rel for d in dirs):
            continue
        name = rel.rsplit("/", 1)[-1]
        if any(globs.fnmatchcase(name.lower(), p) for p in allowed):
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
