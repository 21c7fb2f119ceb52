"""Source-level kustomize rules: deprecated fields and references between app directories.

Both read the kustomization files of a target's tree (the overlay and every local base and
component it pulls in, recursively) from the run's kustomization graph (``ctx.kustomizations()``),
never running kustomize. A kustomization shared by several targets is reported once per run
(the checker drops repeated source findings).
"""

from __future__ import annotations

import os
from typing import Iterator

from ..load import YList, YMap
from ..model import Location, Violation
from . import template

DEPRECATED = {
    "bases": "list them under `resources:`",
    "patchesStrategicMerge": "move them to `patches:` (each as `- path: <file>`)",
    "patchesJson6902": "move them to `patches:` (`- path: <file>` with `target:`)",
    "commonLabels": "use `labels: [{pairs: {...}, includeSelectors: true}]` (includeSelectors: false leaves selectors alone)",
    "vars": "use `replacements:`",
    "imageTags": "use `images:`",
    "helmChartInflationGenerator": "render the chart as its own target instead",
}


def kustomization_tree(target, ctx) -> list[tuple[str, YMap]]:
    """(repo-relative kustomization file, its mapping) for the target and every local kustomization it includes."""
    return [(node.rel, node.data) for node in ctx.kustomizations(target)]


@template(scope="source", params={
    "fields": {"type": "array", "items": {"enum": list(DEPRECATED)}, "default": list(DEPRECATED),
               "description": "The deprecated kustomization fields reported."},
})
def kustomize_deprecated_field(target, params: dict, ctx) -> Iterator[Violation]:
    """Fields that kustomize v5 deprecates, at the line of the key."""
    fields = {k: v for k, v in DEPRECATED.items() if k in params["fields"]}
    for rel, data in kustomization_tree(target, ctx):
        for key, instead in fields.items():
            if key in data:
                yield Violation(
                    f"{rel} uses `{key}:`, deprecated since kustomize v5 (`kustomize edit fix` rewrites it): {instead}",
                    location=Location(rel, data.key_line(key)), key=f"{rel}:{key}",
                )
        images = data.get("images")
        if isinstance(images, YList):
            for position, entry in enumerate(images):
                if isinstance(entry, YMap) and "name" not in entry and any(k in entry for k in ("newTag", "newName", "digest")):
                    yield Violation(
                        f"{rel} images entry {position + 1} sets {', '.join(k for k in ('newName', 'newTag', 'digest') if k in entry)} "
                        "without `name:`: kustomize cannot tell which image it changes",
                        location=Location(rel, images.item_line(position)), key=f"{rel}:images[{position}]",
                    )


NOT_APPS = {"base", "bases", "overlays", "overlay", "components", "common", "shared", "_shared", "templates", "charts",
            "production", "prod", "prd", "staging", "stage", "stg", "development", "dev", "local", "test", "tests",
            "environments", "envs", "clusters"}


def app_of(rel_dir: str, roots: set[str]) -> str | None:
    """The app a repo-relative directory belongs to: the first folder below an apps root
    (`apps/`, `services/`, `applications/` by default) that is not a layout folder (base,
    overlays, an environment name, ...). ``apps/api/overlays/prod`` -> api;
    ``apps/base/podinfo`` -> podinfo; ``apps/production`` -> None (an environment, not an app)."""
    parts = [p for p in rel_dir.split("/") if p not in ("", ".")]
    for position, part in enumerate(parts):
        if part in roots:
            for candidate in parts[position + 1:]:
                if candidate.lower() not in NOT_APPS:
                    return candidate
            return None
    return None


@template(scope="source", params={
    "app-roots": {"type": "array", "items": {"type": "string"}, "default": ["apps", "services", "applications"],
                  "description": "Folder names whose sub-folders are apps (`apps/<app>/...`)."},
})
def cross_app_reference(target, params: dict, ctx) -> Iterator[Violation]:
    """A kustomization in one app's directory that refers to a file or folder of another app's directory."""
    roots = set(params["app-roots"])
    for kustomization in ctx.kustomizations(target):
        rel = kustomization.rel
        kdir = rel.rsplit("/", 1)[0] if "/" in rel else ""
        own = app_of(kdir, roots)
        if own is None:
            continue
        for entry, line, _ in kustomization.refs:  # local paths (URLs left out)
            resolved = os.path.normpath(os.path.join(kdir or ".", entry)).replace(os.sep, "/")
            if resolved.startswith("../"):
                continue
            folder = resolved if ctx.is_dir(resolved) else resolved.rsplit("/", 1)[0] if "/" in resolved else ""
            other = app_of(folder, roots)
            if other is not None and other != own:
                yield Violation(
                    f"{rel} (app '{own}') refers to {entry!r} in the directory of app '{other}': apps must not reference "
                    "each other's files (DEPLOY 5.5); move what both need to a shared base or component outside the app "
                    "directories, or reach the other app through its Service DNS name",
                    location=Location(rel, line), key=f"{rel}:{resolved}",
                )
