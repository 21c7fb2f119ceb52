"""What to lint: the repository root, and the targets from the paths a user gives, the
configuration's ``targets:``, ``--changed`` files, or discovery of every target of the repository.

Which path is what (a kustomization, a chart, plain YAML) and what a target of each kind holds
is the renderers' business (:mod:`k8slint.render`); this module only chooses.
"""

from __future__ import annotations

import sys
from dataclasses import field
from pathlib import Path

from .. import envs, globs, render
from ..errors import TargetError
from ..model import Target
from ..records import FACTORY, record
from ..render import Unit, classify, renderer
from ..sources import relative


def find_repo_root(start: Path) -> Path:
    """Nearest ancestor holding .k8slint.yaml, a [tool.k8slint] pyproject or .git; else ``start``."""
    start = start if start.is_dir() else start.parent
    for directory in [start, *start.parents]:
        if (directory / ".k8slint.yaml").is_file() or (directory / ".k8slint.yml").is_file():
            return directory
        if (directory / ".git").exists():
            return directory
    return start


def decide_root(paths: list[str], flag: str | None) -> tuple[Path, list[Path] | None]:
    """(the repository root, the scope of the repository rules: None for the whole root, else the
    given paths). The root is ``flag`` (--repo-root), else the nearest folder with .k8slint.yaml or
    .git above the first path (or the cwd), else a folder of overlays/charts given on its own.
    Without any of these a given file or folder never makes a large cwd the repository: the root
    is only where paths are shown from, and the repository rules cover just the given paths
    (nothing for a stream on stdin)."""
    if flag:
        root = Path(flag).resolve()
        if not root.is_dir():
            raise TargetError(f"--repo-root {flag}: not a directory")
        return root, None
    real = [Path(p).resolve() for p in paths if p != "-"]
    start = real[0] if real else Path.cwd().resolve()
    if not start.exists():
        raise TargetError(f"{paths[0]}: no such file or directory")
    found = find_repo_root(start)
    start_dir = start if start.is_dir() else start.parent
    if found != start_dir or (found / ".git").exists() or (found / ".k8slint.yaml").is_file() \
            or (found / ".k8slint.yml").is_file():
        return found, None
    if not paths:
        return start_dir, None  # `k8slint check` in a folder: the folder is what was asked for
    if not real:
        return start_dir, []  # a stream on stdin alone: no repository to look at (and none walked)
    if start.is_dir() and classify(start)[0] == "dir" and _has_units(start):
        return start_dir, None  # a folder of overlays/charts given on its own: it is the repository
    cwd = Path.cwd().resolve()
    return (cwd if start_dir == cwd or cwd in start_dir.parents else start_dir), real


def _has_units(folder: Path) -> bool:
    from .. import render
    from .settings import Settings

    units = render.discovery(folder, Settings(repo_root=folder), loose=False).units
    return any(unit.kind not in ("dir", "file") for unit in units)


def discover(root: Path, settings=None) -> list[Unit]:
    """Every unit (kind, path, env values file, loose files) of a repository or folder: overlays
    that no other kustomization includes, application charts once per ``values-<env>.yaml``,
    folders of loose manifests."""
    from .. import render
    from .settings import Settings

    return render.discover(root, settings if settings is not None else Settings(repo_root=root))


@record
class Targets:
    """The targets of a run, sorted; whether an empty result is fine (a ``--changed`` run whose
    files feed no target); the YAML files discovery found neither checked nor recognised."""

    targets: list[Target] = field(default_factory=list)
    allow_empty: bool = False
    unchecked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # a path checked as the Applications that deploy it

    def __init__(
            self, targets: list[Target] = FACTORY, allow_empty: bool = False, unchecked: list[str] = FACTORY,
            notes: list[str] = FACTORY
    ) -> None:
        self.targets = [] if targets is FACTORY else targets
        self.allow_empty = allow_empty
        self.unchecked = [] if unchecked is FACTORY else unchecked
        self.notes = [] if notes is FACTORY else notes


def build_targets(options, settings) -> Targets:
    """A path that Argo CD Applications or Flux objects deploy is checked as they deploy it (said
    in a note), unless Helm options on the command line say how to render it."""
    root = settings.repo_root
    paths = list(options.paths)
    targets: list[Target] = []
    unchecked: list[str] = []
    notes: list[str] = []
    excluded = settings.exclude
    env = envs.normalize(options.env, settings.aliases) if options.env else None

    def resolve_env(display: str) -> tuple[str, str]:
        return envs.resolve(display, options.env, settings.environments, settings.aliases)

    def is_excluded(display: str, inside: bool = False) -> bool:
        """``display`` matches an ``exclude:`` glob (``inside``: or one of its folders does)."""
        for path in [*(_parents(display + "/x") if inside else []), display]:
            if any(globs.fnmatchcase(path, g) or globs.fnmatchcase(path + "/", g) for g in excluded):
                return True
        return False

    def add_units(units) -> None:
        for unit in _for_env(units, env):
            # a folder of loose manifests found by discovery is excluded with any folder above it
            if not is_excluded(relative(unit.path, root), inside=bool(unit.files)):
                targets.append(renderer(unit.kind).target(unit, settings, resolve_env, options))

    def add_discovery(folder: Path) -> bool:
        """Add what ``folder`` holds; False when it holds no overlay or chart (a plain folder)."""
        found = render.discovery(folder, settings)
        if not any(unit.kind not in _PLAIN for unit in found.units):
            return False
        add_units(found.units)
        unchecked.extend(rel for rel in found.unchecked if not is_excluded(rel, inside=True))
        return True

    def done(allow_empty: bool) -> Targets:
        chosen = sorted(targets, key=lambda t: (t.label(), t.kind))  # independent of argument order
        return Targets(chosen, allow_empty, sorted(set(unchecked)), notes)

    if options.changed:
        from .changed import units_for_changed

        changed = [Path(p) for p in paths]
        units = units_for_changed(changed, settings) if changed else None
        if units is not None:  # None: something only a whole-repository run covers
            add_units(units)
            return done(True)
        paths = []
    if not paths:
        listed = settings.listed_targets
        if listed:
            paths = [str(p) for p in listed]
        else:
            found = render.discovery(root, settings)
            add_units(found.units)
            unchecked.extend(rel for rel in found.unchecked if not is_excluded(rel, inside=True))
            if not targets:
                raise TargetError(f"no kustomize overlays, Helm charts or Kubernetes manifests found under {root}: "
                                  "give a PATH (or - for stdin)")
            return done(options.allow_empty)

    for raw in paths:
        if raw == "-":
            targets.append(_stdin_target(options, settings))
            continue
        found = classify(Path(raw).resolve())
        if found is None:
            raise TargetError(f"{raw}: no such file or directory")
        kind, path = found
        if kind == "dir" and add_discovery(path):  # a repository or a folder of overlays/charts
            continue
        if kind == "file":  # a file of Applications or Flux objects: what they deploy, and the file itself
            add_units(render.declared(path, settings))
        helm_flags = options.values or options.set_values or options.release_name or options.namespace
        if kind in ("kustomize", "helm") and not helm_flags:
            units = (renderer("helm").discover([path], path, settings) or [Unit("helm", path)]) if kind == "helm" \
                else [Unit(kind, path)]
            deployed = render.deployed_as(units, settings)
            by = [u for u in deployed if u not in units]
            if by:  # checked as the Applications that deploy it (and, for a chart, its variants none passes)
                before = len(targets)
                add_units(deployed)
                shown = relative(path, root)
                labels = ", ".join(t.label() for t in targets[before:] if t.deployed_by)
                other = " (pass -f/--set/--release-name/--namespace to render it otherwise)" if kind == "helm" else ""
                notes.append(f"{shown} is deployed by {labels}: checked as deployed there{other}")
                continue
        if kind == "helm" and not options.values:  # a chart: the same targets however its path is spelled
            add_units(renderer("helm").discover([path], path, settings) or [Unit("helm", path)])
            continue
        targets.append(renderer(kind).target(Unit(kind, path), settings, resolve_env, options))
    return done(options.allow_empty)


_PLAIN = ("dir", "file", "stdin")


def _parents(rel: str) -> list[str]:
    parts = rel.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _for_env(units, env: str | None) -> list[Unit]:
    """With --env, a chart is rendered once, with that environment's values file (its target picks
    it), not once per ``values-<env>.yaml`` under the one environment."""
    if env is None:
        return list(units)
    out: list[Unit] = []
    charts: set[Path] = set()
    for unit in units:
        if unit.kind == "helm" and unit.env_file is not None:
            if unit.path not in charts:
                charts.add(unit.path)
                out.append(Unit("helm", unit.path))
            continue
        out.append(unit)
    return out


def _stdin_target(options, settings) -> Target:
    stream = options.stdin
    if stream is None:
        stream = sys.stdin.buffer if sys.stdin is not None else None
    if isinstance(stream, (bytes, bytearray)):
        data = bytes(stream[: settings.max_file_size + 1])
    else:
        data = stream.read(settings.max_file_size + 1) if stream is not None else b""
    env, source = (envs.normalize(options.env, settings.aliases) or options.env, "--env") if options.env else (envs.UNKNOWN, "unresolved")
    return Target("stdin", Path.cwd(), "<stdin>", env, source, stdin_data=data)
