"""`k8slint check --changed FILE...`: from the files a commit changes to the targets they feed.

- a file inside a kustomization a target includes (its resources, components and bases, followed
  recursively, plus patches, generator files and other referenced files) re-checks that overlay:
  a change in a base re-checks every overlay built on it;
- a file of a Helm chart re-checks the chart with each environment's values; a
  ``values-<env>.yaml`` only that environment;
- Dockerfiles, Containerfiles and Compose files need only the repository-tree rules, which every
  ``--changed`` run applies;
- anything else (a file no target includes, the config) falls back to the whole repository.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from .kustomization import references
from .targets import KUSTOMIZATION_FILES, discover, kustomization_file

REPO_TREE_PATTERNS = ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile", "Containerfile.*",
                      "docker-compose*.yml", "docker-compose*.yaml", "compose.yml", "compose.yaml", "compose.*.yml",
                      "compose.*.yaml", ".dockerignore")
CONFIG_FILES = (".k8slint.yaml", ".k8slint.yml", "pyproject.toml")


def is_repo_tree_file(path: Path) -> bool:
    return any(fnmatch.fnmatch(path.name, pattern) for pattern in REPO_TREE_PATTERNS)


def _entries(data: dict) -> list[str]:
    return [path for path, _, _ in references(data) if "://" not in path and not path.startswith(("github.com/", "git@"))]


def kustomize_inputs(directory: Path) -> tuple[set[Path], set[Path]]:
    """(directories, files) a kustomization reads, following included kustomizations."""
    from .load import load_text

    dirs: set[Path] = set()
    files: set[Path] = set()
    todo = [directory.resolve()]
    while todo:
        current = todo.pop()
        if current in dirs:
            continue
        kfile = kustomization_file(current)
        if kfile is None:
            continue
        dirs.add(current)
        try:
            docs, _ = load_text(kfile.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        for doc in docs:
            if not isinstance(doc.data, dict):
                continue
            for entry in _entries(doc.data):
                path = (current / entry).resolve()
                if path.is_dir():
                    todo.append(path)
                else:
                    files.add(path)
    return dirs, files


def _inside(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def units_for_changed(changed: list[Path], root: Path):
    """The units (as targets.discover returns them) the changed files feed, or None for the
    whole repository."""
    units = discover(root)
    kustomize = {path: kustomize_inputs(path) for kind, path, _ in units if kind == "kustomize"}
    chosen: list = []

    def choose(unit) -> None:
        if unit not in chosen:
            chosen.append(unit)

    for raw in changed:
        path = raw.resolve()
        if path.name in CONFIG_FILES and path.parent == root.resolve():
            return None
        matched = is_repo_tree_file(path)
        for unit in units:
            kind, target, env_file = unit
            if kind == "helm":
                chart = target.resolve()
                if not _inside(path, chart):
                    continue
                values_of_env = [u[2].resolve() for u in units if u[0] == "helm" and u[1] == target and u[2]]
                if path in values_of_env and (env_file is None or path != env_file.resolve()):
                    continue  # another environment's values file
                choose(unit)
                matched = True
            else:
                dirs, files = kustomize[target]
                if path in files or any(_inside(path, d) for d in dirs) or path.name in KUSTOMIZATION_FILES and path.parent in dirs:
                    choose(unit)
                    matched = True
        if not matched:
            return None
    return sorted(chosen, key=lambda u: (u[1].as_posix(), u[2].name if u[2] else ""))
