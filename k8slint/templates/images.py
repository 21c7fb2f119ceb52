"""Image reference templates: `latest`/untagged images and per-environment tag allow-lists."""

from __future__ import annotations

import functools
from typing import Iterator

from .. import globs, regex
from ..model import Location, Violation, some
from ..workloads import Container, Workload
from . import template


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """'reg/repo:tag@sha256:x' -> ('reg/repo', 'tag', 'sha256:x'); missing parts are None."""
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :], digest
    return image, None, digest


@functools.lru_cache(maxsize=256)
def _compiled(patterns: tuple) -> tuple:
    return tuple(regex.compile(p) for p in patterns)  # linear time: the patterns come with the repository


def _where(container: Container) -> str:
    obj = container.obj
    ns = f"{obj.namespace}/" if obj.namespace else ""
    kind = {"initContainers": "init container", "ephemeralContainers": "ephemeral container"}.get(container.group, "container")
    return f"{kind} '{container.name}' of {obj.kind} {ns}{obj.name}"


def _unpinned(container: Container) -> tuple[str, str | None] | None:
    """(image, tag or None) for a container image not pinned by digest; None when there is nothing to judge."""
    image = container.data.get("image")
    if not isinstance(image, str) or not image:
        return None
    _, tag, digest = split_image(image)
    return None if digest else (image, tag)


def _latest_reports(tag: str | None, ctx) -> bool:
    """Whether image-tag-latest, in force here, reports this tag (no tag, or a forbidden one)."""
    params = ctx.peers.get("image-tag-latest")
    return params is not None and (tag is None or tag in params["forbidden"])


def _policy_rejects(tag: str | None, params: dict | None, policy_env: str) -> bool:
    """Whether image-tag-policy with these params rejects this tag in this policy environment."""
    if params is None:
        return False
    allowed = params["allowed"].get(policy_env)
    if allowed is None:  # no list for this environment: anything goes (development)
        return False
    return tag is None or not _tag_allowed(tuple(allowed), tag)


@functools.lru_cache(maxsize=4096)
def _tag_allowed(patterns: tuple, tag: str) -> bool:
    """Whether ``tag`` fully matches one of ``patterns``: the same tag stands in many containers
    of a render, and each RE2 match costs a few Python calls."""
    return any(p.fullmatch(tag) for p in _compiled(patterns))


def _overlay_to_pin(container: Container, ctx) -> tuple[str, Location | None]:
    """When this render is a staging/production kustomize overlay (overlay-sets-image-tag in force)
    whose kustomization chain does not pin the container's image: (' in images: of <file>', where to
    report). The tag finding then stands for overlay-sets-image-tag too, which stays quiet about the
    image. It is reported at the overlay's images: list (line 1 without one) when the manifest comes
    from a base outside the overlay's folder (the overlay is what to edit), else at the image line
    (None). Otherwise ('', None)."""
    target = ctx.target
    if (target is None or target.kind != "kustomize" or ctx.env not in ("staging", "production")
            or "overlay-sets-image-tag" not in ctx.peers or ctx.index is None):
        return "", None
    kfile = ctx.kustomization_file()
    entries = ctx.index.cached("overlay-image-entries", lambda idx: {})
    obj = container.obj
    if kfile is None or _pinned(container.data["image"], obj.transformers, ctx, entries):
        return "", None
    folder = kfile.rsplit("/", 1)[0] + "/" if "/" in kfile else ""
    if obj.origin and obj.origin.startswith(folder) and not obj.origin[len(folder):].startswith("../"):
        return f" in images: of {kfile}", None
    if not _image_as_in_base(container, ctx):  # a patch or component wrote this image: the locator finds it
        return f" in images: of {kfile}", None
    return f" in images: of {kfile}", Location(kfile, _images_line(kfile, ctx))


def _image_as_in_base(container: Container, ctx) -> bool:
    """Whether the container's image is the one its origin manifest (the base) writes: a placeholder
    the overlay should pin. False when a patch, a component or a replacement set it (or added the
    container): then the line that set it is the one to edit."""
    obj = container.obj
    doc = ctx.sources.find(obj.origin, obj) if obj.origin and ctx.sources is not None else None
    node = doc
    for step in container.path[:-1]:
        node = node.get(step) if isinstance(node, dict) else None
    if not isinstance(node, list):
        return True  # the origin cannot be read as the same shape: keep the overlay's images: line
    for item in node:
        if isinstance(item, dict) and item.get("name") == container.name:
            return item.get("image") == container.data.get("image")
    return False


def _images_line(kfile: str, ctx) -> int:
    docs = ctx.sources.docs(kfile)
    data = docs[0].data if docs and isinstance(docs[0].data, dict) else {}
    return data.key_line("images") if "images" in data else 1


@template(scope="container", params={
    "forbidden": {"type": "array", "items": {"type": "string"}, "default": ["latest"],
                  "description": "Mutable tags refused besides no tag at all."},
})
def image_tag_latest(container: Container, params: dict, ctx) -> Iterator[Violation]:
    """An image tagged `latest`, or with no tag at all, unless pinned by digest."""
    found = _unpinned(container)
    if found is None:
        return
    image, tag = found
    overlay, at = _overlay_to_pin(container, ctx)
    if tag is None:
        yield Violation(
            f"{_where(container)} uses image '{image}' with no tag, which pulls 'latest': "
            f"pin an immutable tag or digest for {ctx.env_phrase}{overlay}",
            container.path + ("image",),
            location=at,
            key=container.name, part="tag",
        )
    elif tag in params["forbidden"]:
        yield Violation(
            f"{_where(container)} uses image '{image}': tag '{tag}' is mutable and not allowed in {ctx.env_phrase}"
            + (f": pin an immutable tag or digest{overlay}" if overlay else ""),
            container.path + ("image",),
            location=at,
            key=container.name, part="tag",
        )


SEMVER = r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?"
IMMUTABLE_TAGS = [SEMVER, r"sha-[0-9a-f]{7,40}", r"[0-9a-f]{40}", r"20\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])-([01]\d|2[0-3])[0-5]\d[0-5]\d"]
_PER_ENV = {env: {"type": "array", "items": {"type": "string", "format": "regex"}} for env in ("production", "staging", "development")}


@template(scope="container", params={
    "allowed": {"type": "object", "additionalProperties": False, "properties": _PER_ENV,
                "default": {"production": IMMUTABLE_TAGS, "staging": [*IMMUTABLE_TAGS, r"rc-[0-9A-Za-z][0-9A-Za-z._-]*"]},
                "description": "Per environment, the regular expressions a whole tag must match; an environment "
                               "without a list accepts any tag."},
    "examples": {"type": "object", "additionalProperties": False,
                 "properties": {env: {"type": "string"} for env in ("production", "staging", "development")},
                 "default": {"production": "v1.2.3, sha-abc1234 or a full 40-hex commit SHA, 20260202-143512",
                             "staging": "v1.2.3, sha-abc1234 or a full 40-hex commit SHA, 20260202-143512, rc-*"},
                 "description": "Per environment, the allowed tags as the message shows them."},
})
def image_tag_policy(container: Container, params: dict, ctx) -> Iterator[Violation]:
    """A tag that does not match the environment's allow-list of immutable tag patterns. Quiet
    where image-tag-latest, in force in the same environment, already reports the tag (no tag,
    or `latest`): one mistake, one finding."""
    found = _unpinned(container)
    if found is None:
        return
    image, tag = found
    if not _policy_rejects(tag, params, ctx.policy_env) or _latest_reports(tag, ctx):
        return
    shown = "no tag" if tag is None else f"tag '{tag}'"
    examples = params["examples"].get(ctx.policy_env, "v1.2.3, sha-abc1234, 20260202-143512")
    overlay, at = _overlay_to_pin(container, ctx)
    yield Violation(
        f"{_where(container)} uses image '{image}' with {shown}, which is not an immutable tag allowed in "
        f"{ctx.env_phrase} (allowed: {examples})" + (f": pin one{overlay}" if overlay else ""),
        container.path + ("image",),
        location=at,
        key=container.name, part="tag",
    )


def registry_path(image: str) -> str:
    """The fully qualified repository of an image: 'nginx' -> 'docker.io/library/nginx'."""
    name, _, _ = split_image(image)
    first, _, rest = name.partition("/")
    if not rest:
        return f"docker.io/library/{name}"
    if "." in first or ":" in first or first == "localhost":
        return name
    return f"docker.io/{name}"


@template(scope="container", params={
    "allowed": {"type": "array", "items": {"type": "string"}, "default": ["ghcr.io/*"],
                "description": "Globs on the image's fully qualified repository (`ghcr.io/acme/*`)."},
})
def image_registry(container: Container, params: dict, ctx) -> Iterator[Violation]:
    """An image whose repository is not under one of ``params.allowed`` (fnmatch globs on the
    fully qualified repository, e.g. ``ghcr.io/*`` or ``ghcr.io/acme/*``)."""
    image = container.data.get("image")
    if not isinstance(image, str) or not image:
        return
    allowed = params["allowed"]
    full = registry_path(image)
    if any(globs.fnmatchcase(full, p) or globs.fnmatchcase(split_image(image)[0], p) for p in allowed):
        return
    registry = full.split("/", 1)[0]
    yield Violation(
        f"{_where(container)} uses image '{image}' from {registry}, not an allowed registry ({some(allowed, 10)}): "
        "images are built by the app repository and pushed to ghcr.io/{organization}/{app-name}",
        container.path + ("image",),
        key=container.name, part="repository",
    )


def _has_pull_secrets(data) -> bool:
    secrets = data.get("imagePullSecrets") if isinstance(data, dict) else None
    return isinstance(secrets, list) and any(isinstance(s, dict) and s.get("name") for s in secrets)


PUBLIC_GHCR = ["ghcr.io/fluxcd/*", "ghcr.io/stefanprodan/*", "ghcr.io/external-secrets/*", "ghcr.io/open-telemetry/*",
               "ghcr.io/kedacore/*", "ghcr.io/dexidp/*", "ghcr.io/cloudnative-pg/*", "ghcr.io/aquasecurity/*",
               "ghcr.io/kyverno/*", "ghcr.io/actions/*", "ghcr.io/kube-vip/*", "ghcr.io/headlamp-k8s/*",
               "ghcr.io/linuxserver/*", "ghcr.io/home-assistant/*"]


@template(scope="podspec", params={
    "registries": {"type": "array", "items": {"type": "string"}, "default": ["ghcr.io"],
                   "description": "Private registries: pulling from one needs imagePullSecrets."},
    "public": {"type": "array", "items": {"type": "string"}, "default": PUBLIC_GHCR,
               "description": "Globs of well-known public packages on those registries (no pull secret needed)."},
    "extra-public": {"type": "array", "items": {"type": "string"}, "default": [],
                     "description": "The repository's own public packages, added to `public`."},
})
def image_pull_secret(workload: Workload, params: dict, ctx) -> Iterator[Violation]:
    """A pod pulling from a private registry (``params.registries``, default ghcr.io) with no
    imagePullSecrets on its spec nor on the ServiceAccount it runs as (looked up in the render).
    Images matching ``params.public`` (well-known public GHCR namespaces) or
    ``params.extra-public`` (the repository's own additions) need no pull secret."""
    registries = tuple(params["registries"])
    public = [*params["public"], *params["extra-public"]]
    pulling = []
    for container in workload.containers:
        image = container.data.get("image")
        if not isinstance(image, str):
            continue
        full = registry_path(image)
        if full.split("/", 1)[0] in registries and not any(globs.fnmatchcase(full, p) for p in public):
            pulling.append(image)
    if not pulling or _has_pull_secrets(workload.spec):
        return
    obj = workload.obj
    ns = f"{obj.namespace}/" if obj.namespace else ""
    images = ", ".join(f"'{i}'" for i in sorted(set(pulling))[:3]) + (" ..." if len(set(pulling)) > 3 else "")
    explicit = workload.spec.get("serviceAccountName") or workload.spec.get("serviceAccount")
    sa_name = explicit if isinstance(explicit, str) and explicit else "default"
    where = workload.path + (("serviceAccountName",) if "serviceAccountName" in workload.spec else ())
    found = ctx.index.get("ServiceAccount", sa_name, obj.namespace) if ctx.index is not None else []
    registry = registry_path(pulling[0]).split("/", 1)[0]
    what = f"{obj.kind} {ns}{obj.name} pulls {images} from {registry}"
    fix = "add imagePullSecrets (e.g. ghcr-secret) to the ServiceAccount, or to the pod spec (a public package: list it in params.extra-public)"
    if found:
        if any(_has_pull_secrets(sa.data) for sa in found):
            return
        yield Violation(
            f"{what} but neither its pod spec nor its ServiceAccount {sa_name} has imagePullSecrets: {fix}",
            where, key=sa_name,
        )
    elif sa_name == "default":
        yield Violation(
            f"{what} with no imagePullSecrets and runs as the namespace's default ServiceAccount, which is not in "
            f"this render and has no pull secret unless one was patched in outside the repo: set serviceAccountName "
            f"to a ServiceAccount with imagePullSecrets, or add them to the pod spec (a public package: list it in params.extra-public)",
            where, key=sa_name,
        )
    else:
        yield Violation(
            f"{what} with no imagePullSecrets, and its ServiceAccount {sa_name} is not in this render, so nothing "
            f"in the repo shows it carries a pull secret (a pod cannot even start if that ServiceAccount is missing): "
            f"render the ServiceAccount with imagePullSecrets beside the app, or add them to the pod spec (a public package: list it in params.extra-public)",
            where, key=sa_name,
        )


def _pinning_entries(kfile: str, ctx) -> list:
    """The images: entries of a kustomization (or a builtin ImageTagTransformer config)."""
    out = []
    for doc in ctx.sources.docs(kfile):
        data = doc.data if isinstance(doc.data, dict) else None
        if data is None:
            continue
        images = data.get("images")
        if isinstance(images, list):
            out.extend(e for e in images if isinstance(e, dict))
        if data.get("kind") == "ImageTagTransformer" and isinstance(data.get("imageTag"), dict):
            out.append(data["imageTag"])
    return out


def _pinned(image: str, transformers: tuple, ctx, entries: dict) -> bool:
    name = split_image(image)[0]
    for kfile, kind in transformers:
        if kind != "ImageTagTransformer":
            continue
        if kfile not in entries:
            entries[kfile] = _pinning_entries(kfile, ctx)
        for entry in entries[kfile]:
            if name not in (entry.get("newName"), entry.get("name")):
                continue
            if entry.get("newTag") not in (None, "") or entry.get("digest") not in (None, ""):
                return True
    return False


def _tag_reported(image: str, ctx) -> bool:
    tag = split_image(image)[1]
    return _latest_reports(tag, ctx) or _policy_rejects(tag, ctx.peers.get("image-tag-policy"), ctx.policy_env)


@template(scope="source", params={})
def overlay_sets_image_tag(target, params: dict, ctx) -> Iterator[Violation]:
    """A staging/production kustomize overlay deploys an image that no ``images:`` entry of its
    kustomization chain pins (newTag or digest). Digests written in the manifests count as pinned."""
    if target.kind != "kustomize" or ctx.env not in ("staging", "production"):
        return  # a kustomization of unknown environment is not known to be an environment's overlay
    rel = ctx.kustomization_file(target)
    if rel is None:
        return
    docs = ctx.sources.docs(rel)
    data = docs[0].data if docs and isinstance(docs[0].data, dict) else {}
    line = data.key_line("images") if "images" in data else 1
    entries: dict[str, list] = {}  # kustomization file -> its images: entries, read once per target
    for obj in ctx.index.objects:
        workload = ctx.index.workload(obj)
        if workload is None:
            continue
        seen: set[str] = set()
        for container in workload.containers:
            image = container.data.get("image")
            if not isinstance(image, str) or not image or image in seen:
                continue
            seen.add(image)
            if split_image(image)[2] or _pinned(image, obj.transformers, ctx, entries):
                continue
            if _tag_reported(image, ctx):
                continue  # image-tag-latest / image-tag-policy report it and name this overlay
            ns = f"{obj.namespace}/" if obj.namespace else ""
            yield Violation(
                f"image '{split_image(image)[0]}' of {obj.kind} {ns}{obj.name} is not pinned by the {ctx.env} overlay: "
                f"add it to images: in {rel} with this environment's newTag (the overlay, not the base, states the tag)",
                location=Location(rel, line), obj=obj, key=split_image(image)[0],
            )
