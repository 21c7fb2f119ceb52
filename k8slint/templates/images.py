"""Image reference templates: `latest`/untagged images and per-environment tag allow-lists."""

from __future__ import annotations

import functools
import re
from typing import Iterator

from ..model import Violation
from ..workloads import Container
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
    return tuple(re.compile(p) for p in patterns)


def _where(container: Container) -> str:
    obj = container.obj
    ns = f"{obj.namespace}/" if obj.namespace else ""
    kind = {"initContainers": "init container", "ephemeralContainers": "ephemeral container"}.get(container.group, "container")
    return f"{kind} '{container.name}' of {obj.kind} {ns}{obj.name}"


@template(scope="container")
def image_tag_latest(container: Container, params: dict, ctx) -> Iterator[Violation]:
    """An image tagged `latest`, or with no tag at all, unless pinned by digest."""
    image = container.data.get("image")
    if not isinstance(image, str) or not image:
        return
    _, tag, digest = split_image(image)
    if digest:
        return
    if tag is None:
        yield Violation(
            f"{_where(container)} uses image '{image}' with no tag, which pulls 'latest': "
            f"pin an immutable tag or digest for {ctx.env_phrase}",
            container.path + ("image",),
            key=container.name,
        )
    elif tag in params.get("forbidden", ["latest"]):
        yield Violation(
            f"{_where(container)} uses image '{image}': tag '{tag}' is mutable and not allowed in {ctx.env_phrase}",
            container.path + ("image",),
            key=container.name,
        )


@template(scope="container")
def image_tag_policy(container: Container, params: dict, ctx) -> Iterator[Violation]:
    """A tag that does not match the environment's allow-list of immutable tag patterns."""
    image = container.data.get("image")
    if not isinstance(image, str) or not image:
        return
    _, tag, digest = split_image(image)
    if digest:
        return
    allowed = params.get("allowed", {}).get(ctx.policy_env)
    if allowed is None:  # no list for this environment: anything goes (development)
        return
    patterns = _compiled(tuple(allowed))
    if tag is not None and any(p.fullmatch(tag) for p in patterns):
        return
    shown = "no tag" if tag is None else f"tag '{tag}'"
    examples = params.get("examples", {}).get(ctx.policy_env, "v1.2.3, sha-abc1234, 20260202-143512")
    yield Violation(
        f"{_where(container)} uses image '{image}' with {shown}, which is not an immutable tag allowed in "
        f"{ctx.env_phrase} (allowed: {examples})",
        container.path + ("image",),
        key=container.name,
    )
