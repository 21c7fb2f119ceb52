"""`k8slint check --changed FILE...`: from the files a commit changes to the targets they feed.

- a file a target reads (its renderer's :meth:`~k8slint.render.Renderer.inputs`) re-checks that
  target: a change in a base re-checks every overlay built on it (kustomizations followed
  recursively, with their patches, generator files and other referenced files); a file of a
  Helm chart re-checks the chart with each environment's values, a ``values-<env>.yaml`` only
  that environment;
- Dockerfiles, Containerfiles and Compose files need only the repository-tree rules, which every
  ``--changed`` run applies;
- anything else (a file no target includes, the config) falls back to the whole repository.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from ..render import Unit, discover, renderer

REPO_TREE_PATTERNS = ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile", "Containerfile.*",
                      "docker-compose*.yml", "docker-compose*.yaml", "compose.yml", "compose.yaml", "compose.*.yml",
                      "compose.*.yaml", ".dockerignore")
CONFIG_FILES = (".k8slint.yaml", ".k8slint.yml", "pyproject.toml")


def is_repo_tree_file(path: Path) -> bool:
    return any(fnmatch.fnmatch(path.name, pattern) for pattern in REPO_TREE_PATTERNS)


def units_for_changed(changed: list[Path], settings) -> list[Unit] | None:
    """The units (as discovery returns them) the changed files feed, or None for the whole repository."""
    root = settings.repo_root
    units = discover(root, settings)
    inputs = {unit: renderer(unit.kind).inputs(unit, settings) for unit in units}
    chosen: list[Unit] = []
    for raw in changed:
        path = raw.resolve()
        if path.name in CONFIG_FILES and path.parent == root.resolve():
            return None
        matched = is_repo_tree_file(path)
        for unit in units:
            if inputs[unit].fed_by(path):
                if unit not in chosen:
                    chosen.append(unit)
                matched = True
        if not matched:
            return None
    return sorted(chosen, key=lambda u: (u.path.as_posix(), u.env_file.name if u.env_file else ""))
