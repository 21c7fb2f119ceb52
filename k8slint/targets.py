"""What to lint: classify the paths a user gives, or discover every target of a repository."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from . import envs

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".terraform", "vendor"}

ENV_VALUES_NAMES = {
    "production": ("values-prod.yaml", "values-production.yaml", "values-prd.yaml", "values-prod.yml", "values-production.yml"),
    "staging": ("values-staging.yaml", "values-stg.yaml", "values-stage.yaml", "values-staging.yml", "values-stg.yml"),
    "development": ("values-dev.yaml", "values-development.yaml", "values-local.yaml", "values-dev.yml"),
}


class TargetError(Exception):
    """A path that cannot be linted; the message says why and what to do."""


@dataclass
class Target:
    kind: str  # kustomize | helm | file | dir | stdin
    path: Path  # absolute (for stdin: the cwd)
    display: str  # repo-relative, what the user sees
    env: str = envs.UNKNOWN
    env_source: str = "unresolved"
    values: list[Path] = field(default_factory=list)  # helm: extra values files, in order
    set_values: list[str] = field(default_factory=list)  # helm: --set expressions
    release_name: str = "release"
    namespace: str | None = None
    stdin_data: bytes | None = None

    def label(self) -> str:
        if self.kind == "helm" and self.values:
            names = ",".join(p.name for p in self.values)
            return f"{self.display} [{names}]"
        return self.display


def kustomization_file(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def find_repo_root(start: Path) -> Path:
    """Nearest ancestor holding .k8slint.yaml, a [tool.k8slint] pyproject or .git; else ``start``."""
    start = start if start.is_dir() else start.parent
    for directory in [start, *start.parents]:
        if (directory / ".k8slint.yaml").is_file() or (directory / ".k8slint.yml").is_file():
            return directory
        if (directory / ".git").exists():
            return directory
    return start


def relative(path: Path, root: Path) -> str:
    try:
        return Path(os.path.relpath(path, root)).as_posix() if path.is_absolute() else path.as_posix()
    except ValueError:  # another drive (Windows)
        return path.as_posix()


def env_values_file(chart: Path, env: str) -> Path | None:
    for name in ENV_VALUES_NAMES.get(env, ()):
        if (chart / name).is_file():
            return chart / name
    return None


def classify(path: Path, root: Path) -> str:
    if path.is_dir():
        if kustomization_file(path):
            return "kustomize"
        if (path / "Chart.yaml").is_file():
            return "helm"
        return "dir"
    if path.is_file():
        if path.name in KUSTOMIZATION_FILES:
            return "kustomize"
        if path.name == "Chart.yaml":
            return "helm"
        return "file"
    raise TargetError(f"{path}: no such file or directory")


def _walk(root: Path):
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        yield Path(dirpath), sorted(filenames)


def _referenced_dirs(kfile: Path) -> set[Path]:
    """Directories a kustomization pulls in (resources/components/bases), for root detection."""
    from .load import load_text

    try:
        docs, _ = load_text(kfile.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return set()
    out: set[Path] = set()
    for doc in docs:
        if not isinstance(doc.data, dict):
            continue
        for key in ("resources", "components", "bases"):
            entries = doc.data.get(key)
            if isinstance(entries, list):
                for entry in entries:
                    if isinstance(entry, str) and "://" not in entry:
                        out.add((kfile.parent / entry).resolve())
    return out


def _is_component(kfile: Path) -> bool:
    try:
        head = kfile.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return False
    return "kind: Component" in head


def discover(root: Path) -> list[tuple[str, Path, Path | None]]:
    """Every lintable unit of a repo: (kind, path, env values file or None).

    kustomize: every kustomization that no other kustomization includes (overlays, not bases);
    helm: every application chart not vendored under another chart's charts/, once per
    ``values-<env>.yaml`` it has (or once with its defaults when it has none).
    """
    kustomizations: list[Path] = []
    charts: list[Path] = []
    for directory, files in _walk(root):
        if "Chart.yaml" in files and "charts" not in directory.relative_to(root).parts[:-1]:
            charts.append(directory)
        kfile = next((directory / n for n in KUSTOMIZATION_FILES if n in files), None)
        if kfile is not None:
            kustomizations.append(kfile)
    referenced: set[Path] = set()
    for kfile in kustomizations:
        referenced |= _referenced_dirs(kfile)
    units: list[tuple[str, Path, Path | None]] = []
    for kfile in kustomizations:
        directory = kfile.parent
        if directory.resolve() in referenced or _is_component(kfile):
            continue
        if any(part == "templates" for part in directory.relative_to(root).parts):
            continue
        units.append(("kustomize", directory, None))
    for chart in charts:
        try:
            head = (chart / "Chart.yaml").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "type: library" in head:
            continue
        env_files = [f for env in envs.ENVIRONMENTS if (f := env_values_file(chart, env))]
        if env_files:
            units.extend(("helm", chart, f) for f in env_files)
        else:
            units.append(("helm", chart, None))
    return sorted(units, key=lambda u: (u[1].as_posix(), u[2].name if u[2] else ""))
