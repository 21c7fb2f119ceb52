"""What to lint: the repository root, and the targets from the paths a user gives, the
configuration's ``targets:``, ``--changed`` files, or discovery of every target of the repository.

Which path is what (a kustomization, a chart, plain YAML) and what a target of each kind holds
is the renderers' business (:mod:`k8slint.render`); this module only chooses.
"""

from __future__ import annotations

import fnmatch
import sys
from pathlib import Path

from .. import envs
from ..errors import TargetError
from ..model import Target
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


def decide_root(paths: list[str], flag: str | None) -> Path:
    """The repository root: ``flag`` (--repo-root), else found from the first path (or the cwd)."""
    if flag:
        root = Path(flag).resolve()
        if not root.is_dir():
            raise TargetError(f"--repo-root {flag}: not a directory")
        return root
    real = [Path(p).resolve() for p in paths if p != "-"]
    start = real[0] if real else Path.cwd().resolve()
    if not start.exists():
        raise TargetError(f"{paths[0]}: no such file or directory")
    found = find_repo_root(start)
    start_dir = start if start.is_dir() else start.parent
    if found != start_dir or (found / ".git").exists() or (found / ".k8slint.yaml").is_file():
        return found
    if start.is_dir() and classify(start)[0] == "dir":
        if discover(start):  # a folder of overlays/charts given on its own: it is the repository
            return start_dir
    cwd = Path.cwd().resolve()
    if start_dir == cwd or cwd in start_dir.parents:
        return cwd
    return start_dir


def discover(root: Path, settings=None) -> list[Unit]:
    """Every unit (kind, path, env values file) of a repository or folder: overlays that no other
    kustomization includes, application charts once per ``values-<env>.yaml``."""
    from .. import render
    from .settings import Settings

    return render.discover(root, settings if settings is not None else Settings(repo_root=root))


def build_targets(options, settings, notes: list[str] | None = None) -> tuple[list[Target], bool]:
    """The targets of a run, sorted, and whether an empty result is fine (a ``--changed`` run
    whose files feed no target). A path that Argo CD Applications or Flux objects deploy is
    checked as they deploy it (said in ``notes``), unless Helm options on the command line say how."""
    root = settings.repo_root
    paths = list(options.paths)
    targets: list[Target] = []

    def resolve_env(display: str) -> tuple[str, str]:
        return envs.resolve(display, options.env, settings.environments)

    def add_units(units) -> None:
        excluded = settings.exclude
        for unit in units:
            display = relative(unit.path, root)
            if any(fnmatch.fnmatchcase(display, g) or fnmatch.fnmatchcase(display + "/", g) for g in excluded):
                continue
            targets.append(renderer(unit.kind).target(unit, settings, resolve_env, options))

    def done(allow_empty: bool) -> tuple[list[Target], bool]:
        return sorted(targets, key=lambda t: (t.label(), t.kind)), allow_empty  # independent of argument order

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
            add_units(discover(root, settings))
            if not targets:
                raise TargetError(f"no kustomize overlays or Helm charts found under {root}: give a PATH (or - for stdin)")
            return done(options.allow_empty)

    for raw in paths:
        if raw == "-":
            targets.append(_stdin_target(options, settings))
            continue
        found = classify(Path(raw).resolve())
        if found is None:
            raise TargetError(f"{raw}: no such file or directory")
        kind, path = found
        if kind == "dir":
            units = discover(path, settings)
            if units:  # a repository or a folder of overlays/charts: lint what it holds
                add_units(units)
                from .. import render

                if all(u.kind == "gitops" for u in render.discover(path, settings, deployed=False)):
                    # a folder of Applications only: the objects themselves are checked too (crd-schema)
                    targets.append(renderer(kind).target(Unit(kind, path), settings, resolve_env, options))
                continue
        if kind == "file":  # a file of Applications or Flux objects: what they deploy, and the file itself
            from ..render import declared

            add_units(declared(path, settings))
        helm_flags = options.values or options.set_values or options.release_name or options.namespace
        if kind in ("kustomize", "helm") and not helm_flags:
            from ..render import deployers

            by = deployers(Unit(kind, path), settings)
            if by:
                before = len(targets)
                add_units(by)
                if notes is not None:
                    shown = relative(path, root)
                    labels = ", ".join(t.label() for t in targets[before:])
                    other = " (pass -f/--set/--release-name/--namespace to render it otherwise)" if kind == "helm" else ""
                    notes.append(f"{shown} is deployed by {labels}: checked as deployed there{other}")
                continue
        targets.append(renderer(kind).target(Unit(kind, path), settings, resolve_env, options))
    return done(options.allow_empty)


def _stdin_target(options, settings) -> Target:
    stream = options.stdin
    if stream is None:
        stream = sys.stdin.buffer if sys.stdin is not None else None
    if isinstance(stream, (bytes, bytearray)):
        data = bytes(stream[: settings.max_file_size + 1])
    else:
        data = stream.read(settings.max_file_size + 1) if stream is not None else b""
    env, source = (envs.normalize(options.env) or options.env, "--env") if options.env else (envs.UNKNOWN, "unresolved")
    return Target("stdin", Path.cwd(), "<stdin>", env, source, stdin_data=data)
